package srgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static srgan.train.TrainRuns.train;

/** End-to-end training runs through {@code srgan train}, on the CPU backend, in tiny configurations. */
class TrainingTest {

    @TempDir
    Path tmp;

    private static Path checkpoint(Path run, long step) {
        return run.resolve(Checkpoint.FOLDER).resolve(String.format("step-%08d", step));
    }

    @Test
    void msePhaseThenGanPhaseWithRandomVggWriteCheckpointsSamplesAndCurves() throws IOException {
        Path mse = tmp.resolve("mse");
        assertEquals(0, train(mse, "--steps", "3", "--val-every", "2"));
        Path ckpt = checkpoint(mse, 3);
        for (String f : List.of(Checkpoint.STATE, Checkpoint.GENERATOR, Checkpoint.OPTIMIZER)) {
            assertTrue(Files.isRegularFile(ckpt.resolve(f)), f);
        }
        assertTrue(Files.isRegularFile(mse.resolve(Checkpoint.GENERATOR)));
        assertTrue(Files.isRegularFile(mse.resolve("sample.png")));
        assertTrue(Files.isRegularFile(mse.resolve("samples/step-00000002.png")));
        assertTrue(Files.isRegularFile(mse.resolve(CurvePlot.FILE)));
        List<JsonNode> log = TrainRuns.metrics(mse);
        // Validations at steps 0, 2 and 3; loss lines at the last step (log every 10 > 3 steps).
        assertEquals(List.of(0L, 2L, 3L), log.stream().filter(n -> n.has("val_psnr"))
                .map(n -> n.get("step").asLong()).toList());
        JsonNode lossLine = log.stream().filter(n -> n.has("loss_g")).findFirst().orElseThrow();
        assertEquals(3, lossLine.get("step").asLong());
        assertTrue(lossLine.get("loss_g").asDouble() > 0);

        // The GAN phase from that generator: --channels/--blocks are read from --init (TINY passes them too).
        Path gan = tmp.resolve("gan");
        assertEquals(0, train(gan, "--phase", "gan", "--init", mse.resolve(Checkpoint.GENERATOR).toString(),
                "--vgg", "random", "--steps", "1"));
        Path ganCkpt = checkpoint(gan, 1);
        assertTrue(Files.isRegularFile(ganCkpt.resolve(Checkpoint.DISCRIMINATOR)));
        Map<String, HostTensor> opt = SafeTensors.read(ganCkpt.resolve(Checkpoint.OPTIMIZER));
        assertEquals(1f, opt.get("generator.step").data()[0]);
        assertEquals(1f, opt.get("discriminator.step").data()[0]);
        JsonNode ganLoss = TrainRuns.metrics(gan).stream().filter(n -> n.has("loss_d")).findFirst().orElseThrow();
        for (String k : List.of("loss_g", "loss_content", "loss_adv", "loss_d")) {
            assertTrue(Double.isFinite(ganLoss.get(k).asDouble()) && ganLoss.get(k).asDouble() >= 0, k);
        }
        // loss_g = content + 1e-3 * adversarial, as the paper's generator loss (means of one step: exact).
        assertEquals(ganLoss.get("loss_content").asDouble() + 1e-3 * ganLoss.get("loss_adv").asDouble(),
                ganLoss.get("loss_g").asDouble(), 1e-6 * ganLoss.get("loss_g").asDouble());
        assertFalse(Files.mismatch(mse.resolve(Checkpoint.GENERATOR), gan.resolve(Checkpoint.GENERATOR)) == -1,
                "the GAN phase should have changed the generator");
    }

    @Test
    void resumingGivesBitIdenticalWeightsInTheMsePhase() throws IOException {
        Path whole = tmp.resolve("whole");
        Path split = tmp.resolve("split");
        assertEquals(0, train(whole, "--steps", "6", "--val-every", "100", "--log-every", "1"));
        // The split run also validates and samples between steps, which must not disturb anything.
        assertEquals(0, train(split, "--steps", "3", "--val-every", "1", "--log-every", "1"));
        assertEquals(0, TrainRuns.train(split, "--resume", split.toString(), "--steps", "6", "--val-every", "1"));
        assertEquals(6, losses(split).size());
        assertSameFiles(checkpoint(whole, 6), checkpoint(split, 6), Checkpoint.GENERATOR, Checkpoint.OPTIMIZER);
        assertSameLosses(whole, split);
    }

    @Test
    void resumingGivesBitIdenticalWeightsInTheGanPhaseAcrossTheLearningRateDrop() throws IOException {
        Path init = tmp.resolve("init");
        assertEquals(0, train(init, "--steps", "1", "--val-every", "100"));
        String g = init.resolve(Checkpoint.GENERATOR).toString();
        Path whole = tmp.resolve("whole");
        Path split = tmp.resolve("split");
        String[] gan = {"--phase", "gan", "--init", g, "--content", "mse", "--lr-decay-step", "1", "--val-every", "100",
                "--log-every", "1"};
        assertEquals(0, train(whole, concat(gan, "--steps", "2")));
        assertEquals(0, train(split, concat(gan, "--steps", "1")));
        // Resume from the checkpoint folder itself this time; the learning rate drops in the resumed part.
        assertEquals(0, TrainRuns.train(split, "--resume", checkpoint(split, 1).toString(), "--steps", "2"));
        assertSameFiles(checkpoint(whole, 2), checkpoint(split, 2), Checkpoint.GENERATOR, Checkpoint.DISCRIMINATOR,
                Checkpoint.OPTIMIZER);
        // TINY's demo learning rate 1e-3, divided by 10 from step index 1 on (the paper's 1e-4 then 1e-5).
        assertEquals(List.of(1e-3, 1e-4), TrainRuns.metrics(split).stream().filter(n -> n.has("lr"))
                .map(n -> n.get("lr").asDouble()).toList());
        assertSameLosses(whole, split);
    }

    @Test
    void aTinyGeneratorOverfitsOneImageAndBeatsBicubicOnIt() throws IOException {
        Path data = tmp.resolve("one");
        TrainRuns.writeStripesAndDisc(data.resolve("stripes.png"), 32);
        Path run = tmp.resolve("run");
        assertEquals(0, srgan.app.Main.run("train", "--device", "cpu", "--progress", "lines", "--out", run.toString(),
                "--data", data.toString(), "--val", data.toString(), "--crop", "32", "--batch", "4",
                "--channels", "8", "--blocks", "1", "--lr", "2e-3", "--steps", "100", "--val-every", "100"));
        JsonNode val = TrainRuns.lastValidation(run);
        double sr = val.get("val_psnr").asDouble();
        double bicubic = val.get("bicubic_psnr").asDouble();
        // Measured: bicubic 16.8 dB, the generator about 26 dB after 100 steps; 3 dB is a margin, not a tolerance.
        assertTrue(sr > bicubic + 3, "SR " + sr + " dB vs bicubic " + bicubic + " dB");
        assertTrue(val.get("val_ssim").asDouble() > val.get("bicubic_ssim").asDouble());
    }

    @Test
    void aLossThatBecomesNanStopsTrainingAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path run = tmp.resolve("nan");
        // lr 1e30 throws the weights to ~1e30 in one Adam step; the next forward overflows to Inf - Inf = NaN.
        assertEquals(2, train(run, "--steps", "10", "--lr", "1e30", "--checkpoint-every", "1", "--val-every", "100"));
        Checkpoint.Saved last = Checkpoint.find(run);
        assertEquals(1, last.step());
        assertFalse(Files.exists(checkpoint(run, 2)));
        // The kept checkpoint holds finite weights.
        for (HostTensor t : SafeTensors.read(last.dir().resolve(Checkpoint.GENERATOR)).values()) {
            for (float v : t.data()) assertTrue(Float.isFinite(v));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void assertSameFiles(Path a, Path b, String... names) throws IOException {
        for (String name : names) {
            Map<String, HostTensor> ta = SafeTensors.read(a.resolve(name));
            Map<String, HostTensor> tb = SafeTensors.read(b.resolve(name));
            assertEquals(ta.keySet(), tb.keySet(), name);
            for (String k : ta.keySet()) {
                // HostTensor equality is bit for bit.
                assertEquals(ta.get(k), tb.get(k), name + " " + k);
            }
            assertEquals(-1, Files.mismatch(a.resolve(name), b.resolve(name)), name + " differs byte-wise");
        }
    }

    /**
     * Both logs hold the same loss for every step, once each: the resumed log was cut back to its checkpoint and
     * continued, and the losses themselves are bit-identical.
     */
    private static void assertSameLosses(Path a, Path b) throws IOException {
        assertEquals(losses(a), losses(b));
    }

    private static List<String> losses(Path run) throws IOException {
        return TrainRuns.metrics(run).stream().filter(n -> n.has("loss_g"))
                .map(n -> n.get("step").asLong() + ":" + n.get("loss_g").asDouble()).toList();
    }
}
