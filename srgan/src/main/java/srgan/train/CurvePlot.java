package srgan.train;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Draws the run's curves into one PNG with XChart: the losses against the step (log scale) and, when the run
 * validates, PSNR-Y against the step with the bicubic baseline for reference.
 */
final class CurvePlot {
    static final String FILE = "curves.png";

    private CurvePlot() {
    }

    /** Writes {@code file} (via a temporary file and a rename); does nothing while there is nothing to draw. */
    static void write(MetricsLog log, Path file) throws IOException {
        List<XYChart> charts = new ArrayList<>();
        XYChart loss = chart("Training loss", "loss");
        boolean positive = true;
        for (Map.Entry<String, MetricsLog.Series> e : log.losses().entrySet()) {
            MetricsLog.Series s = e.getValue();
            if (s.steps().isEmpty()) continue;
            loss.addSeries(e.getKey(), s.steps(), s.values()).setMarker(SeriesMarkers.NONE);
            for (double v : s.values()) positive &= v > 0;
        }
        if (loss.getSeriesMap().isEmpty()) return;
        loss.getStyler().setYAxisLogarithmic(positive);
        charts.add(loss);
        if (!log.valPsnr().steps().isEmpty()) {
            XYChart psnr = chart("Validation PSNR-Y", "dB");
            psnr.addSeries("SR", log.valPsnr().steps(), log.valPsnr().values());
            psnr.addSeries("bicubic", log.bicubicPsnr().steps(), log.bicubicPsnr().values())
                    .setMarker(SeriesMarkers.NONE);
            charts.add(psnr);
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp.png");
        BitmapEncoder.saveBitmap(charts, 1, charts.size(), tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(560).height(380).title(title).xAxisTitle("step").yAxisTitle(yTitle)
                .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setMarkerSize(4);
        return c;
    }
}
