package srgan.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VariantConfigsTest {
    @TempDir
    Path tmp;

    @Test
    void thePaperPresetIsThePaperInCode() {
        assertEquals(VariantConfig.paper(), VariantConfigs.load("srgan-paper"));
    }

    @Test
    void everyPresetLoadsAndDiffersFromThePaperWhereItSays() {
        VariantConfig paper = VariantConfig.paper();
        for (String name : VariantConfigs.PRESETS) {
            VariantConfig v = VariantConfigs.load(name);
            assertEquals(name, v.name());
            assertTrue(v.description() != null && !v.description().isBlank(), name);
            if (!name.equals("srgan-paper")) assertNotEquals(paper, v, name);
        }
        VariantConfig fast = VariantConfigs.load("srgan-fast");
        assertEquals(GeneratorSpec.GlobalSkip.BICUBIC, fast.generator().globalSkip());
        assertEquals(GeneratorSpec.Output.LINEAR, fast.generator().output());
        // Everything else is the paper's, exactly.
        assertEquals(paper.generator(), new GeneratorSpec(fast.generator().block(), fast.generator().blocks(),
                fast.generator().channels(), fast.generator().growth(), fast.generator().batchNorm(),
                fast.generator().headBatchNorm(), fast.generator().bnMomentum(), fast.generator().bnEps(),
                fast.generator().activation(), fast.generator().residualScale(), fast.generator().initScale(),
                fast.generator().headKernel(), fast.generator().tailKernel(), fast.generator().upsampler(),
                fast.generator().hrConv(), GeneratorSpec.Output.TANH, GeneratorSpec.GlobalSkip.NONE));
        assertEquals(paper.loss(), fast.loss());
        assertEquals(paper.train(), fast.train());

        VariantConfig esrgan = VariantConfigs.load("esrgan");
        assertEquals("rrdb", esrgan.generator().block());
        assertEquals(23, esrgan.generator().blocks());
        assertEquals(new Activation(Activation.Kind.LEAKY_RELU, 0.2), esrgan.generator().activationFunction());
        assertEquals(LossSpec.Adversarial.RELATIVISTIC, esrgan.loss().adversarial());
        assertEquals(35, esrgan.loss().vggLayers());
        assertEquals(DiscriminatorSpec.Type.SEED, VariantConfigs.load("seed-paddle").discriminator().type());
        assertFalse(VariantConfigs.load("no-bn").generator().batchNorm());
    }

    @Test
    void aFileGivesOnlyWhatDiffersFromItsBase() throws IOException {
        Path file = tmp.resolve("wide.yaml");
        Files.writeString(file, "base: no-bn\ngenerator:\n  channels: 96\n  activation: leaky_relu(0.1)\n");
        VariantConfig v = VariantConfigs.load(file.toString());
        assertEquals("wide", v.name(), "the file name names a config without 'name'");
        assertEquals(96, v.generator().channels());
        assertFalse(v.generator().batchNorm(), "from the base");
        assertEquals(16, v.generator().blocks(), "from the base's base");
        assertEquals(0.1, v.generator().activationFunction().alpha());

        Path child = tmp.resolve("child.yaml");
        Files.writeString(child, "base: wide.yaml\nname: deeper\ngenerator: {blocks: 20}\n");
        VariantConfig c = VariantConfigs.load(child.toString());
        assertEquals("deeper", c.name());
        assertEquals(96, c.generator().channels(), "a relative base resolves beside the file");
        assertEquals(20, c.generator().blocks());

        Path noBase = tmp.resolve("plain.yaml");
        Files.writeString(noBase, "loss: {pixel: l1}\n");
        VariantConfig p = VariantConfigs.load(noBase.toString());
        assertEquals(LossSpec.Pixel.L1, p.loss().pixel());
        assertEquals(VariantConfig.paper().generator(), p.generator(), "no base means srgan-paper");
    }

    @Test
    void mistakesAreNamedWithTheirKey() throws IOException {
        assertError("generator:\n  chanels: 32\n", "generator: unknown key 'chanels'");
        assertError("generator:\n  activation: swish\n", "generator.activation: unknown activation 'swish'");
        assertError("generator:\n  head_kernel: 4\n", "generator.head_kernel must be odd, got 4");
        assertError("loss:\n  adversarial_weight: -1\n", "loss.adversarial_weight must be >= 0");
        assertError("generator:\n  block: rrdb\n", "batch_norm applies to residual blocks only");
        assertError("base: nowhere.yaml\n", "config 'nowhere.yaml' is neither a preset");
        Path loop = tmp.resolve("loop.yaml");
        Files.writeString(loop, "base: loop.yaml\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VariantConfigs.load(loop.toString()));
        assertTrue(e.getMessage().contains("a cycle?"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VariantConfigs.load("srgan-papr"));
        assertTrue(e.getMessage().contains("neither a preset (srgan-paper, srgan-fast"), e.getMessage());
    }

    private void assertError(String yaml, String expected) throws IOException {
        Path file = Files.createTempFile(tmp, "bad", ".yaml");
        Files.writeString(file, yaml);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VariantConfigs.load(file.toString()));
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void jsonRoundTripsEveryPreset() {
        for (String name : VariantConfigs.PRESETS) {
            VariantConfig v = VariantConfigs.load(name);
            assertEquals(v, VariantConfigs.fromJson(VariantConfigs.toJson(v)), name);
            assertEquals(v, VariantConfigs.fromMap(VariantConfigs.toMap(v)), name);
        }
    }

    @Test
    void activationsParse() {
        assertEquals(new Activation(Activation.Kind.PRELU, 0), Activation.parse("PReLU"));
        assertEquals(new Activation(Activation.Kind.RELU, 0), Activation.parse("relu"));
        assertEquals(new Activation(Activation.Kind.LEAKY_RELU, 0.2), Activation.parse("leaky_relu"));
        assertEquals(new Activation(Activation.Kind.LEAKY_RELU, 0.05), Activation.parse("leaky_relu( 0.05 )"));
        for (String s : new String[]{"prelu", "relu", "leaky_relu(0.3)"}) {
            assertEquals(Activation.parse(s), Activation.parse(Activation.parse(s).toString()));
        }
        assertThrows(IllegalArgumentException.class, () -> Activation.parse("leaky_relu(1.5)"));
    }
}
