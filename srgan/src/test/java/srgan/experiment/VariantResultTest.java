package srgan.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.train.Scores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VariantResultTest {
    @TempDir
    Path dir;

    private static Map<String, Scores> scores() {
        Map<String, Scores> s = new LinkedHashMap<>();
        s.put("Set5", new Scores(30.123456789012345, 0.8678912345));
        s.put("Set14", new Scores(Double.NaN, 0.75)); // a set that could not be scored
        return s;
    }

    @Test
    void roundTripsExactlyWithTheMetricsPathRelativeToItsFolder() throws IOException {
        Path run = Files.createDirectories(dir.resolve("exp/runs/mse"));
        VariantResult r = new VariantResult("mse", 1_546_947, 2000, 512.3456789, Double.NaN, scores(),
                run.resolve("metrics.jsonl"));
        Path file = run.resolve(VariantResult.FILE);
        r.write(file);
        VariantResult back = VariantResult.read(file);
        assertEquals(r, back);
        assertEquals(List.of("Set5", "Set14"), List.copyOf(back.scores().keySet()));
        String json = Files.readString(file);
        assertTrue(json.contains("\"metrics\" : \"metrics.jsonl\""), json);
        assertTrue(json.contains("\"peak_rss_mib\" : null"), json);

        // The experiment folder moves: the metrics path follows it.
        Path moved = dir.resolve("moved");
        Files.move(dir.resolve("exp"), moved);
        assertEquals(moved.resolve("runs/mse/metrics.jsonl"), VariantResult.read(moved.resolve("runs/mse/result.json")).metrics());
    }

    @Test
    void aMetricsFileElsewhereIsStoredAbsolute() throws IOException {
        Path metrics = dir.resolve("elsewhere/metrics.jsonl").toAbsolutePath();
        VariantResult r = new VariantResult("gan", 10, 5, 1.5, 100, Map.of(), metrics);
        Path file = Files.createDirectories(dir.resolve("run")).resolve(VariantResult.FILE);
        r.write(file);
        assertEquals(r, VariantResult.read(file));
    }

    @Test
    void badFilesAreErrorsNamingThem() throws IOException {
        Path missing = dir.resolve("none.json");
        IOException e = assertThrows(IOException.class, () -> VariantResult.read(missing));
        assertEquals("variant result " + missing + " does not exist", e.getMessage());
        Path noSteps = Files.writeString(dir.resolve("a.json"), """
                {"name":"x","parameters":1,"ms_per_step":1.0,"peak_rss_mib":null,"scores":{},"metrics":"m.jsonl"}
                """);
        e = assertThrows(IOException.class, () -> VariantResult.read(noSteps));
        assertEquals("variant result " + noSteps + " has no \"steps\"", e.getMessage());
        Path negative = Files.writeString(dir.resolve("b.json"), """
                {"name":"x","parameters":-1,"steps":1,"ms_per_step":1.0,"peak_rss_mib":null,"scores":{},"metrics":"m"}
                """);
        e = assertThrows(IOException.class, () -> VariantResult.read(negative));
        assertEquals("variant result " + negative + ": parameters must be >= 0, got -1", e.getMessage());
        Path notJson = Files.writeString(dir.resolve("c.json"), "{\"name\":");
        e = assertThrows(IOException.class, () -> VariantResult.read(notJson));
        assertTrue(e.getMessage().startsWith("variant result " + notJson + " is not JSON"), e.getMessage());
    }

    @Test
    void invalidResultsAreRefused() {
        Path m = Path.of("metrics.jsonl");
        assertThrows(IllegalArgumentException.class, () -> new VariantResult(" ", 1, 1, 1, 1, Map.of(), m));
        assertThrows(IllegalArgumentException.class, () -> new VariantResult("a\nb", 1, 1, 1, 1, Map.of(), m));
        assertThrows(IllegalArgumentException.class, () -> new VariantResult("a", 1, -1, 1, 1, Map.of(), m));
        assertThrows(IllegalArgumentException.class, () -> new VariantResult("a", 1, 1, -2, 1, Map.of(), m));
        assertThrows(NullPointerException.class, () -> new VariantResult("a", 1, 1, 1, 1, Map.of(), null));
    }
}
