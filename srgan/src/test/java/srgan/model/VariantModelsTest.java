package srgan.model;

import org.junit.jupiter.api.Test;
import srgan.config.DiscriminatorSpec;
import srgan.config.GeneratorSpec;
import srgan.config.VariantConfig;
import srgan.config.VariantConfigs;
import srgan.engine.GradMode;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.ops.Reductions;
import srgan.image.Bicubic;
import srgan.image.RgbImage;
import srgan.inference.Inference;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every preset builds with the parameter count worked out layer by layer (in the comments) and upscales by 4;
 * the layer variants behave as their configs say.
 */
class VariantModelsTest {
    /** A conv's weights and bias. */
    private static long conv(int in, int out, int k) {
        return (long) in * out * k * k + out;
    }

    private static final long BN64 = 128;

    @Test
    void everyPresetGeneratorHasItsParameterCountAndUpscalesByFour() {
        long residualBlockBn = 2 * conv(64, 64, 3) + 2 * BN64;
        long up = 2 * conv(64, 256, 3);
        Map<String, Long> expected = Map.of(
                // head 9x9 + PReLU; 16 x (block + PReLU); mid + BN; up + 2 PReLU; tail 9x9.
                "srgan-paper", conv(3, 64, 9) + 1 + 16 * (residualBlockBn + 1) + conv(64, 64, 3) + BN64 + up + 2
                        + conv(64, 3, 9),
                // The bicubic skip's filter is a buffer, not a parameter.
                "srgan-fast", 1_549_462L,
                "no-bn", 1_549_462L - 33 * BN64,
                // head 3x3 + BN, ReLU (no parameters); 16 blocks; mid + BN; up; tail 1x1.
                "seed-paddle", conv(3, 64, 3) + BN64 + 16 * residualBlockBn + conv(64, 64, 3) + BN64 + up
                        + conv(64, 3, 1),
                // head 3x3; 23 RRDB of 3 dense blocks (convs 64,96,128,160 -> 32 and 192 -> 64); trunk conv;
                // 2 x (nearest + conv 64->64); HR conv; tail 3x3: ESRGAN's published 16,697,987.
                "esrgan", conv(3, 64, 3) + 23 * 3 * (conv(64, 32, 3) + conv(96, 32, 3) + conv(128, 32, 3)
                        + conv(160, 32, 3) + conv(192, 64, 3)) + conv(64, 64, 3) + 2 * conv(64, 64, 3)
                        + conv(64, 64, 3) + conv(64, 3, 3));
        assertEquals(1_549_462L, expected.get("srgan-paper"));
        assertEquals(16_697_987L, expected.get("esrgan"));
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (String name : VariantConfigs.PRESETS) {
                VariantConfig v = VariantConfigs.load(name);
                try (Generator g = new Generator(cpu, new Rng(0), v.generator());
                     Scope s = Scope.open(); GradMode off = GradMode.noGrad()) {
                    assertEquals((long) expected.get(name), g.parameterCount(), name);
                    Tensor sr = g.forward(Init.uniform(cpu, new Rng(1), 0, 1, 1, 3, 6, 5));
                    assertArrayEquals(new int[]{1, 3, 24, 20}, sr.shape(), name);
                    assertEquals(4, Inference.scale(g), name);
                }
            }
        }
    }

    @Test
    void theChannelAttentionBlockBuildsTrainsAndIsNamedInTheStateDict() {
        GeneratorSpec rcab = new GeneratorSpec("rcab", 2, 32, 32, false, false, 0.1, 1e-5, "relu", 1, 1, 3, 3,
                GeneratorSpec.Upsampler.PIXEL_SHUFFLE, false, GeneratorSpec.Output.LINEAR, GeneratorSpec.GlobalSkip.NONE);
        try (CpuBackend cpu = new CpuBackend(2); Generator g = new Generator(cpu, new Rng(0), rcab);
             Scope s = Scope.open()) {
            // head 3x3 + ReLU; 2 x (2 convs 32x32x3x3 + squeeze 32->2 + excite 2->32); mid; up; tail 3x3.
            long block = 2 * conv(32, 32, 3) + conv(32, 2, 1) + conv(2, 32, 1);
            assertEquals(conv(3, 32, 3) + 2 * block + conv(32, 32, 3) + 2 * conv(32, 128, 3) + conv(32, 3, 3),
                    g.parameterCount());
            assertTrue(g.namedParameters().containsKey("body.1.excite.weight"));
            Tensor sr = g.forward(Init.uniform(cpu, new Rng(1), 0, 1, 2, 3, 5, 4));
            assertArrayEquals(new int[]{2, 3, 20, 16}, sr.shape());
            Reductions.sum(sr).backward();
            assertNotNull(g.namedParameters().get("body.0.squeeze.weight").grad());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Blocks.get("swin"));
        assertTrue(e.getMessage().contains("known: residual, rrdb, dense, rcab"), e.getMessage());
    }

    @Test
    void esrgansInitIsScaledDown() {
        GeneratorSpec esrgan = VariantConfigs.load("esrgan").generator().withSize(16, 1);
        GeneratorSpec unscaled = new GeneratorSpec(esrgan.block(), 1, 16, esrgan.growth(), false, false, 0.1, 1e-5,
                esrgan.activation(), esrgan.residualScale(), 1, 3, 3, esrgan.upsampler(), true, esrgan.output(),
                esrgan.globalSkip());
        try (CpuBackend cpu = new CpuBackend(1); Generator a = new Generator(cpu, new Rng(3), esrgan);
             Generator b = new Generator(cpu, new Rng(3), unscaled)) {
            float[] wa = a.namedParameters().get("body.0.rdb1.conv1.weight").toFloatArray();
            float[] wb = b.namedParameters().get("body.0.rdb1.conv1.weight").toFloatArray();
            for (int i = 0; i < wa.length; i++) assertEquals(0.1f * wb[i], wa[i], 1e-7f);
            for (float bias : a.namedParameters().get("body.0.rdb1.conv1.bias").toFloatArray()) assertEquals(0f, bias);
            assertArrayEquals(b.namedParameters().get("head.0.weight").toFloatArray(),
                    a.namedParameters().get("head.0.weight").toFloatArray(), "only the blocks are scaled");
        }
    }

    @Test
    void theBicubicSkipIsMatlabsBicubicAwayFromTheBorder() {
        int w = 11, h = 9;
        RgbImage lr = new RgbImage(w, h, randomPixels(w * h * 3, 7));
        RgbImage expected = Bicubic.resize(lr, 4);
        try (CpuBackend cpu = new CpuBackend(1); BicubicUpsample up = new BicubicUpsample(cpu);
             Scope s = Scope.open(); GradMode off = GradMode.noGrad()) {
            float[] out = up.forward(Tensor.of(cpu, lr.toTensorData(0f, 1f), 1, 3, h, w)).toFloatArray();
            int ow = 4 * w, oh = 4 * h, margin = 4 * Bicubic.UPSCALE_TAP_RADIUS;
            int checked = 0;
            for (int c = 0; c < 3; c++) {
                for (int y = margin; y < oh - margin; y++) {
                    for (int x = margin; x < ow - margin; x++) {
                        double ours = (out[(c * oh + y) * ow + x] + 1) * 127.5;
                        assertEquals(expected.get(c, x, y), ours, 2e-3, "at " + c + "," + x + "," + y);
                        checked++;
                    }
                }
            }
            assertTrue(checked > 1000);
            assertTrue(up.parameters().isEmpty(), "the filter is fixed");
        }
    }

    private static float[] randomPixels(int n, long seed) {
        Rng rng = new Rng(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.floor(rng.nextDouble() * 256);
        return v;
    }

    @Test
    void tiledInferenceStaysExactForEveryUpsamplerAndSkip() {
        GeneratorSpec base = VariantConfigs.load("esrgan").generator();
        GeneratorSpec[] specs = {
                base.withSize(8, 1),
                VariantConfigs.load("srgan-fast").generator().withSize(8, 2),
        };
        RgbImage lr = new RgbImage(23, 19, randomPixels(23 * 19 * 3, 11));
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (GeneratorSpec spec : specs) {
                try (Generator g = new Generator(cpu, new Rng(5), spec)) {
                    int radius = Inference.receptiveFieldRadius(g);
                    RgbImage whole = Inference.upscale(g, lr);
                    RgbImage tiled = Inference.upscale(g, lr, 7, radius);
                    float[] a = whole.toTensorData(0f, 255f), b = tiled.toTensorData(0f, 255f);
                    for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-3, spec.block() + " at " + i);
                }
            }
        }
    }

    @Test
    void theSeedDiscriminatorNeedsItsCropAndEndsInOneLogit() {
        DiscriminatorSpec seed = VariantConfigs.load("seed-paddle").discriminator();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Discriminator.checkInput(seed, 96));
        assertTrue(e.getMessage().contains("at least 256"), e.getMessage());
        try (CpuBackend cpu = new CpuBackend(2); Discriminator d = new Discriminator(cpu, new Rng(0), seed, 256)) {
            // Eight 4x4 stride-2 convs 3-64-128-256-512-1024-2048-1024-512, BN after all but the first;
            // residual conv3x3 512 + BN; dense 512*1*1 -> 1 (256 -> 128 -> ... -> 2 -> 1).
            long convs = conv(3, 64, 4) + conv(64, 128, 4) + conv(128, 256, 4) + conv(256, 512, 4)
                    + conv(512, 1024, 4) + conv(1024, 2048, 4) + conv(2048, 1024, 4) + conv(1024, 512, 4);
            long bns = 2L * (128 + 256 + 512 + 1024 + 2048 + 1024 + 512);
            assertEquals(convs + bns + conv(512, 512, 3) + 2 * 512 + 513, d.parameterCount());
            try (Scope s = Scope.open(); GradMode off = GradMode.noGrad()) {
                // Two images: training-mode BN needs more than one value per channel at 1x1.
                assertArrayEquals(new int[]{2, 1}, d.forward(Init.uniform(cpu, new Rng(1), -1, 1, 2, 3, 256, 256)).shape());
            }
        }
    }

    @Test
    void aSpectrallyNormalisedDiscriminatorTrainsItsOriginalWeights() {
        DiscriminatorSpec sn = new DiscriminatorSpec(DiscriminatorSpec.Type.PAPER, false, true);
        try (CpuBackend cpu = new CpuBackend(2); Discriminator d = new Discriminator(cpu, new Rng(0), sn, 32)) {
            assertTrue(d.namedParameters().containsKey("features.0.weight_orig"));
            assertTrue(d.namedBuffers().containsKey("features.0.weight_u"));
            assertTrue(d.namedParameters().containsKey("classifier.3.weight_orig"));
            assertTrue(d.namedParameters().keySet().stream().noneMatch(k -> k.contains("running_mean")),
                    "batch_norm: false leaves BN out");
            try (Scope s = Scope.open()) {
                Reductions.sum(d.forward(Init.uniform(cpu, new Rng(1), -1, 1, 2, 3, 32, 32))).backward();
                assertNotNull(d.namedParameters().get("features.0.weight_orig").grad());
            }
        }
    }
}
