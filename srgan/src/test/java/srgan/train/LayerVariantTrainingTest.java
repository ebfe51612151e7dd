package srgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.config.VariantConfig;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.model.GeneratorFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layer-variant losses, and tiny runs of both phases with a variant that switches most of them on. */
class LayerVariantTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void totalVariationIsTheMeanSquaredNeighbourDifference() {
        try (ReferenceBackend ref = new ReferenceBackend(); Scope s = Scope.open()) {
            // One 2x3 channel: horizontal differences at the 1x2 inner positions (row 0): 2-1, 4-2;
            // vertical: 5-1, 7-2. Mean of the squares over both filters: (1 + 4 + 16 + 25) / 4.
            Tensor x = Tensor.ofDoubles(ref, new double[]{1, 2, 4, 5, 7, 11}, 1, 1, 2, 3);
            assertEquals((1 + 4 + 16 + 25) / 4.0, TrainingSteps.totalVariation(x).item(), 1e-12);
        }
    }

    @Test
    void theRelativisticLossIsTheSymmetricBceOfTheLogitDifferences() {
        double[] real = {1.0, -0.5, 2.0}, fake = {0.3, -1.2, 0.1};
        double meanReal = (1.0 - 0.5 + 2.0) / 3, meanFake = (0.3 - 1.2 + 0.1) / 3;
        double d = 0, g = 0;
        for (int i = 0; i < 3; i++) {
            double rf = real[i] - meanFake, fr = fake[i] - meanReal;
            // BCE(z, 1) = log(1 + e^-z), BCE(z, 0) = log(1 + e^z).
            d += Math.log1p(Math.exp(-rf)) + Math.log1p(Math.exp(fr));
            g += Math.log1p(Math.exp(rf)) + Math.log1p(Math.exp(-fr));
        }
        try (ReferenceBackend ref = new ReferenceBackend(); Scope s = Scope.open()) {
            Tensor r = Tensor.ofDoubles(ref, real, 3, 1), f = Tensor.ofDoubles(ref, fake, 3, 1);
            assertEquals(d / 6, TrainingSteps.relativistic(r, f, true).item(), 1e-12);
            assertEquals(g / 6, TrainingSteps.relativistic(r, f, false).item(), 1e-12);
        }
    }

    @Test
    void aVariantWithEveryLossSwitchTrainsBothPhasesAndItsFileRebuildsIt() throws IOException {
        Path config = tmp.resolve("everything.yaml");
        Files.writeString(config, String.join("\n",
                "base: esrgan",
                "name: everything",
                "generator: {blocks: 1, channels: 8, growth: 4}",
                "discriminator: {spectral_norm: true, batch_norm: false}",
                "loss: {content: vgg22, pixel_weight: 0.5, tv_weight: 0.1}",
                "train: {warmup_steps: 2}", ""));
        Path mse = tmp.resolve("mse");
        // TrainRuns' tiny settings make it 4 channels and 1 block.
        assertEquals(0, TrainRuns.train(mse, "--config", config.toString(), "--steps", "2", "--val-every", "100",
                "--log-every", "1"));
        List<JsonNode> log = TrainRuns.metrics(mse);
        List<Double> rates = log.stream().filter(n -> n.has("lr")).map(n -> n.get("lr").asDouble()).toList();
        // The demo's lr 1e-3, warmed up linearly over 2 steps.
        assertEquals(List.of(0.5e-3, 1e-3), rates);
        VariantConfig stored = GeneratorFiles.variant(mse.resolve(Checkpoint.GENERATOR));
        assertNotNull(stored);
        assertEquals("everything", stored.name());
        assertEquals("rrdb", stored.generator().block());

        Path gan = tmp.resolve("gan");
        assertEquals(0, TrainRuns.train(gan, "--phase", "gan", "--init", mse.resolve(Checkpoint.GENERATOR).toString(),
                "--vgg", "random", "--steps", "2", "--val-every", "100", "--log-every", "1"));
        JsonNode last = log(gan).get(log(gan).size() - 1);
        for (String key : new String[]{"loss_g", "loss_pixel", "loss_content", "loss_tv", "loss_adv", "loss_d"}) {
            assertTrue(last.has(key) && Double.isFinite(last.get(key).asDouble()), key + " in " + last);
        }
        assertEquals("everything", GeneratorFiles.variant(gan.resolve(Checkpoint.GENERATOR)).name(),
                "--init's config carries over");
    }

    private static List<JsonNode> log(Path run) throws IOException {
        return TrainRuns.metrics(run).stream().filter(n -> n.has("loss_g")).toList();
    }
}
