package srgan.train;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.text.DecimalFormat;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * Shows training progress: step, losses, steps per second and ETA. On a terminal it is a progress bar redrawn
 * in place; when the output is a file or a pipe (CI, {@code nohup}) it is one plain line every few seconds,
 * which a log can hold.
 */
final class Progress implements AutoCloseable {
    private static final long LINE_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintStream out;
    private final long first;
    private final long total;
    private final double budgetSeconds;
    private final long startNanos = System.nanoTime();
    private final ProgressBar bar;
    private long lastLineNanos;

    /**
     * @param first       the step the session starts at (non-zero on resume)
     * @param total       the step it ends at
     * @param budget      the session's training-time budget, or null; with one, progress and ETA are measured
     *                    against it rather than against {@code total}
     * @param interactive draw a bar (a terminal) rather than print lines
     */
    Progress(PrintStream out, long first, long total, Duration budget, boolean interactive) {
        this.out = out;
        this.first = first;
        this.total = total;
        this.budgetSeconds = budget == null ? Double.NaN : budget.toMillis() / 1000.0;
        // With a time budget the bar counts training seconds, and the step count goes into the message.
        this.bar = interactive ? new ProgressBarBuilder()
                .setTaskName(budget == null ? "train" : "train (s)")
                .setInitialMax(budget == null ? total : Math.max(1, Math.round(budgetSeconds)))
                .startsFrom(budget == null ? first : 0, Duration.ZERO)
                .setStyle(ProgressBarStyle.UNICODE_BLOCK)
                .showSpeed(new DecimalFormat("0.00"))
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(out))
                .build() : null;
    }

    /** Whether this JVM writes to a terminal. */
    static boolean terminal() {
        return System.console() != null;
    }

    /**
     * Reports that {@code step} updates are done after {@code trainSeconds} of training; {@code losses} is shown
     * beside the figures.
     */
    void update(long step, double trainSeconds, String losses) {
        if (bar != null) {
            if (Double.isNaN(budgetSeconds)) {
                bar.stepTo(step);
                bar.setExtraMessage(" " + losses);
            } else {
                bar.stepTo(Math.min(bar.getMax(), Math.round(trainSeconds)));
                bar.setExtraMessage(" step " + step + " " + losses);
            }
            return;
        }
        long now = System.nanoTime();
        if (step == first + 1 || step == total || now - lastLineNanos >= LINE_INTERVAL_NANOS) {
            lastLineNanos = now;
            out.println(line(step, trainSeconds, losses, now));
        }
    }

    /**
     * The plain-line form: "step 40/200 (20%)  loss 0.0123  3.10 steps/s  ETA 0:51", or with a time budget
     * "step 40  loss 0.0123  3.10 steps/s  training 0:13 of 30:00".
     */
    String line(long step, double trainSeconds, String losses, long now) {
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds > 0 ? (step - first) / seconds : 0;
        if (!Double.isNaN(budgetSeconds)) {
            return String.format("step %d  %s  %.2f steps/s  training %s of %s", step, losses, rate,
                    duration(trainSeconds), duration(budgetSeconds));
        }
        String eta = rate > 0 ? duration((total - step) / rate) : "?";
        return String.format("step %d/%d (%d%%)  %s  %.2f steps/s  ETA %s", step, total, 100 * step / total, losses,
                rate, eta);
    }

    /** A message on its own line, without breaking the bar. */
    void println(String message) {
        if (bar != null) {
            // Clear the bar's line; it redraws itself below at its next refresh.
            out.print("\r\033[2K");
        }
        out.println(message);
    }

    /** Seconds of this session so far. */
    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** "1:02:03" or "2:03". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        long h = s / 3600, m = s % 3600 / 60;
        return h > 0 ? String.format("%d:%02d:%02d", h, m, s % 60) : String.format("%d:%02d", m, s % 60);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
