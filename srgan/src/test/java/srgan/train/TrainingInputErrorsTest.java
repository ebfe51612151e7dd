package srgan.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.app.Main;
import srgan.engine.Rng;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.config.GeneratorSpec;
import srgan.config.VariantConfig;
import srgan.model.Generator;
import srgan.model.Vgg19Features;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bad input is one clear error before any training starts: bad settings, unreadable or mismatched weight
 * files, an output folder that cannot be written, missing or empty data.
 */
class TrainingInputErrorsTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream sink = new PrintStream(printed, true, StandardCharsets.UTF_8);

    /** A tiny MSE-phase config on built-in data; tests change one thing. */
    private static TrainConfig tiny() {
        VariantConfig v = VariantConfig.paper();
        return new TrainConfig(Phase.MSE, v.withGenerator(v.generator().withSize(4, 1)), null, null, null, null, 2, 2,
                16, 1e-3, 0, 0.9, 0.999, -1, 0, 1, 10, 100, 100, null, null);
    }

    private static TrainConfig with(TrainConfig c, Phase phase, String content, Path data, Path init, String vgg,
                                    int crop, int channels) {
        VariantConfig v = c.variant();
        v = v.withGenerator(v.generator().withSize(channels, v.generator().blocks())).withLoss(
                v.loss().withContent(content));
        return new TrainConfig(phase, v, data, c.val(), init, vgg, c.steps(), c.batch(), crop, c.lr(),
                c.warmupSteps(), c.beta1(), c.beta2(), c.lrDecayStep(), c.seed(), c.workers(), c.logEvery(),
                c.valEvery(), c.checkpointEvery(), null, null);
    }

    /** The message of the error that {@link Trainer#prepare} throws for {@code config}. */
    private String prepareFails(TrainConfig config, Path out) {
        try (CpuBackend cpu = new CpuBackend(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                try (Trainer t = Trainer.prepare(config, null, out, cpu, sink, sink)) {
                    t.close();
                }
            });
            return e.getMessage();
        }
    }

    private static boolean noCheckpoint(Path run) {
        return !Files.exists(run.resolve(Checkpoint.FOLDER));
    }

    private Path saveGenerator(int channels, int blocks) throws IOException {
        Path file = tmp.resolve("g" + channels + "x" + blocks + ".safetensors");
        try (CpuBackend cpu = new CpuBackend(1); Generator g = new Generator(cpu, new Rng(5), GeneratorSpec.paper().withSize(channels, blocks))) {
            g.save(file);
        }
        return file;
    }

    @Test
    void missingEmptyAndImagelessDataFoldersFailBeforeTraining() throws IOException {
        Path out = tmp.resolve("run");
        String missing = prepareFails(with(tiny(), Phase.MSE, "vgg54", tmp.resolve("none"), null, null,
                16, 4), out);
        assertTrue(missing.contains("--data") && missing.contains("does not exist"), missing);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        String emptyMessage = prepareFails(with(tiny(), Phase.MSE, "vgg54", empty, null, null, 16, 4), out);
        assertTrue(emptyMessage.contains("is empty"), emptyMessage);
        Path small = tmp.resolve("small");
        TrainRuns.writeRamp(small.resolve("a.png"), 12, 40);
        String smallMessage = prepareFails(with(tiny(), Phase.MSE, "vgg54", small, null, null, 16, 4), out);
        assertTrue(smallMessage.contains("no usable image"), smallMessage);
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("skipping a.png: 12x40 is smaller than 16x16"));
        assertFalse(Files.exists(out), "a run that never started leaves no folder");
        // Through the command line, the same is exit code 1.
        assertEquals(1, Main.run("train", "--device", "cpu", "--out", out.toString(), "--data", empty.toString()));
    }

    @Test
    void aMismatchedInitNamesTheTensorAndBothShapes() throws IOException {
        Path g8 = saveGenerator(8, 1);
        Path out = tmp.resolve("run");
        String m = prepareFails(with(tiny(), Phase.MSE, "vgg54", null, g8, null, 16, 4), out);
        assertTrue(m.contains("--init " + g8)
                && m.contains("head.0.weight: checkpoint [8, 3, 9, 9], model [4, 3, 9, 9]"), m);
        String absent = prepareFails(with(tiny(), Phase.MSE, "vgg54", null, tmp.resolve("no.safetensors"),
                null, 16, 4), out);
        assertTrue(absent.contains("no.safetensors does not exist"), absent);
        Path garbage = Files.writeString(tmp.resolve("garbage.safetensors"), "not safetensors at all");
        String unreadable = prepareFails(with(tiny(), Phase.MSE, "vgg54", null, garbage, null, 16, 4), out);
        assertTrue(unreadable.startsWith("cannot read --init " + garbage), unreadable);
        assertTrue(noCheckpoint(out));
    }

    @Test
    void vggWeightsAreCheckedTensorByTensorAndExtraTensorsAreIgnored() throws IOException {
        Path g = saveGenerator(4, 1);
        // A VGG22 file as torchvision lays it out, plus a classifier entry the extractor does not use...
        Map<String, HostTensor> vgg;
        try (CpuBackend cpu = new CpuBackend(1);
             Vgg19Features v = new Vgg19Features(cpu, new Rng(1), Vgg19Features.VGG22)) {
            vgg = new LinkedHashMap<>(v.stateDict());
        }
        vgg.put("classifier.0.bias", new HostTensor(new int[]{3}, new float[3]));
        Path good = tmp.resolve("vgg.safetensors");
        SafeTensors.write(good, vgg, null);
        try (CpuBackend cpu = new CpuBackend(2);
             Trainer t = Trainer.prepare(with(tiny(), Phase.GAN, "vgg22", null, g, good.toString(), 16, 4),
                     null, tmp.resolve("ok"), cpu, sink, sink)) {
            assertTrue(t != null);
        }
        // ...then one with a missing and a mis-shaped tensor.
        vgg.remove("features.7.bias");
        vgg.put("features.5.weight", new HostTensor(new int[]{128, 64, 1, 1}, new float[128 * 64]));
        Path bad = tmp.resolve("bad-vgg.safetensors");
        SafeTensors.write(bad, vgg, null);
        String m = prepareFails(with(tiny(), Phase.GAN, "vgg22", null, g, bad.toString(), 16, 4),
                tmp.resolve("run"));
        assertTrue(m.contains("--vgg " + bad) && m.contains("features.7.bias")
                && m.contains("features.5.weight: checkpoint [128, 64, 1, 1], model [128, 64, 3, 3]"), m);
    }

    @Test
    void anOutputFolderThatCannotBeWrittenOrHoldsARunIsRefusedBeforeWork() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        String m = prepareFails(tiny(), file.resolve("run"));
        assertTrue(m.startsWith("cannot write to the output folder " + file.resolve("run")), m);
        String isFile = prepareFails(tiny(), file);
        assertTrue(isFile.startsWith("cannot write to the output folder " + file), isFile);

        Path run = tmp.resolve("run");
        assertEquals(0, TrainRuns.train(run, "--steps", "1", "--val-every", "100"));
        String again = prepareFails(tiny(), run);
        assertTrue(again.contains("already holds a run") && again.contains("--resume " + run), again);
    }

    @Test
    void inconsistentSettingsAreListedTogether() {
        String m = prepareFails(with(tiny(), Phase.GAN, "vgg54", null, null, null, 24, 0),
                tmp.resolve("run"));
        assertTrue(m.contains("--crop: the paper's discriminator needs an HR crop divisible by 16"), m);
        assertTrue(m.contains("generator.channels must be >= 1, got 0 (--channels/--blocks set"), m);
        assertTrue(m.contains("--phase gan starts from a pre-trained generator: pass --init"), m);
        assertTrue(m.contains("the vgg54 content loss needs VGG19 weights: --vgg"), m);
        assertFalse(Files.exists(tmp.resolve("run")), "nothing should be created for a bad configuration");
    }

    @Test
    void resumeNeedsACheckpointAndKeepsTheRunsSettings() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(1, Main.run("train", "--device", "cpu", "--resume", empty.toString()));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Checkpoint.find(empty));
        assertTrue(none.getMessage().contains("holds no checkpoint"), none.getMessage());

        Path run = tmp.resolve("run");
        assertEquals(0, TrainRuns.train(run, "--steps", "1", "--val-every", "100"));
        // TINY's --batch 2 matches; --batch 3 does not.
        assertEquals(1, Main.run("train", "--device", "cpu", "--resume", run.toString(), "--batch", "3",
                "--steps", "2"));
        assertEquals(1, Checkpoint.find(run).step());
        // An interrupted checkpoint write (no state.json) is never resumed from.
        Files.createDirectories(run.resolve(Checkpoint.FOLDER).resolve("step-00000009"));
        assertEquals(1, Checkpoint.find(run).step());
        try (Stream<Path> s = Files.list(run.resolve(Checkpoint.FOLDER))) {
            assertEquals(2, s.count());
        }
    }
}
