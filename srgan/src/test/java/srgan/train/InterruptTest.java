package srgan.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C: a training JVM that is asked to shut down (SIGTERM here; SIGINT takes the same path) finishes its
 * update, writes a checkpoint, says how to resume, and exits; the run then resumes from that checkpoint.
 */
class InterruptTest {

    @TempDir
    Path tmp;

    @Test
    void aShutdownWritesACheckpointThatResumes() throws Exception {
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("stdout.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", childClassPath(), "srgan.app.Main", "train",
                "--out", run.toString(), "--steps", "1000000", "--log-every", "1", "--val-every", "1000000", "--checkpoint-every", "1000000"));
        command.addAll(TrainRuns.TINY);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path metrics = run.resolve(MetricsLog.FILE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() >= 5)) {
                assertTrue(p.isAlive(), () -> "training exited early:\n" + read(log));
                assertTrue(System.nanoTime() < deadline, () -> "no progress within 60 s:\n" + read(log));
                Thread.sleep(50);
            }
            p.destroy(); // SIGTERM: the JVM runs its shutdown hooks, as on Ctrl-C
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM did not exit after the checkpoint");
        } finally {
            p.destroyForcibly();
        }
        String output = read(log);
        assertTrue(output.contains("Interrupted at step"), output);
        assertTrue(output.contains("--resume " + run), output);
        Checkpoint.Saved saved = Checkpoint.find(run);
        assertTrue(saved.step() >= 4, "checkpoint at step " + saved.step());
        long next = saved.step() + 2;
        assertEquals(0, TrainRuns.train(run, "--resume", run.toString(), "--steps", Long.toString(next)));
        assertEquals(next, Checkpoint.find(run).step());
    }

    /**
     * The class path of the training JVM: this one's, plus where the classes it needs were loaded from (a test
     * launcher may load them through its own class loader, outside java.class.path).
     */
    private static String childClassPath() throws Exception {
        Set<String> entries = new LinkedHashSet<>(
                List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        for (Class<?> c : List.of(srgan.app.Main.class, srgan.engine.Tensor.class, picocli.CommandLine.class,
                com.fasterxml.jackson.databind.ObjectMapper.class, com.fasterxml.jackson.core.JsonFactory.class,
                com.fasterxml.jackson.annotation.JsonProperty.class, me.tongfei.progressbar.ProgressBar.class,
                org.jline.terminal.Terminal.class, org.knowm.xchart.XYChart.class)) {
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
