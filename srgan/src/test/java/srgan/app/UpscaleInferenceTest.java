package srgan.app;

import srgan.inference.Inference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.Rng;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.image.RgbImage;
import srgan.config.GeneratorSpec;
import srgan.model.Generator;
import srgan.model.GeneratorFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tiled inference ({@link Inference}) on a small random SRResNet on the CPU backend. */
class UpscaleInferenceTest {
    /**
     * On the 0..255 scale. The requirement is 1/255, but with overlap >= the receptive-field radius the tiles are
     * exact up to float summation order (bitwise equal on the CPU backend today), so the bound is set far
     * tighter: one pixel too little overlap gives 9e-4 here and must fail.
     */
    private static final double SEAM_TOLERANCE = 1e-4;

    private static CpuBackend backend;
    private static Generator generator;

    @BeforeAll
    static void buildGenerator() {
        backend = new CpuBackend(2);
        generator = randomGenerator(8, 2, 7);
    }

    @AfterAll
    static void close() {
        generator.close();
        backend.close();
    }

    /**
     * An SRResNet whose batch norms hold random affine parameters and running statistics, so that eval mode is
     * not close to the identity and every layer matters.
     */
    static Generator randomGenerator(int channels, int blocks, long seed) {
        Rng rng = new Rng(seed);
        Generator g = new Generator(backend, rng, GeneratorSpec.paper().withSize(channels, blocks));
        Map<String, HostTensor> state = new LinkedHashMap<>(g.stateDict());
        state.replaceAll((name, t) -> {
            if (!name.contains("bn") && !name.startsWith("mid.1")) return t;
            if (name.endsWith("num_batches_tracked")) return t;
            float[] v = new float[t.size()];
            for (int i = 0; i < v.length; i++) {
                double u = rng.nextDouble();
                v[i] = (float) (name.endsWith("running_var") ? 0.5 + 1.5 * u
                        : name.endsWith("weight") ? 0.5 + u : u - 0.5);
            }
            return new HostTensor(t.shape(), v);
        });
        g.loadStateDict(state);
        return g;
    }

    static RgbImage randomImage(int w, int h, long seed) {
        Rng rng = new Rng(seed);
        float[] px = new float[3 * w * h];
        for (int i = 0; i < px.length; i++) px[i] = rng.nextInt(256);
        return new RgbImage(w, h, px);
    }

    private static double maxDifference(RgbImage a, RgbImage b) {
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        double max = 0;
        for (int i = 0; i < a.pixels().length; i++) max = Math.max(max, Math.abs(a.pixels()[i] - b.pixels()[i]));
        return max;
    }

    @Test
    void receptiveFieldRadiusIsEightPlusTwicePerBlock() {
        assertEquals(12, Inference.receptiveFieldRadius(generator));
        assertEquals(4, Inference.scale(generator));
        try (Generator paper = new Generator(backend, new Rng(1))) {
            assertEquals(40, Inference.receptiveFieldRadius(paper));
        }
    }

    @Test
    void tiledOutputEqualsTheWholeImageOutput() {
        RgbImage lr = randomImage(37, 29, 11); // odd sizes: the last tiles are partial
        RgbImage whole = Inference.upscale(generator, lr);
        assertEquals(148, whole.width());
        assertEquals(116, whole.height());
        int radius = Inference.receptiveFieldRadius(generator);
        for (int tile : new int[]{5, 16, 20, 36}) {
            RgbImage tiled = Inference.upscale(generator, lr, tile, radius);
            double diff = maxDifference(whole, tiled);
            assertTrue(diff <= SEAM_TOLERANCE, "tile " + tile + ": max difference " + diff);
        }
    }

    @Test
    void tooLittleOverlapShowsAtTheSeams() {
        // The counterpart of the test above: without enough context the tiles do differ, so that test has teeth.
        RgbImage lr = randomImage(37, 29, 11);
        RgbImage whole = Inference.upscale(generator, lr);
        double diff = maxDifference(whole, Inference.upscale(generator, lr, 16, 2));
        assertTrue(diff > 1, "max difference with overlap 2: " + diff);
    }

    @Test
    void theReceptiveFieldBoundIsExactlyReached() {
        // Change one LR pixel and see which output pixels move: all within the radius, some at it.
        int side = 33, cx = 16, cy = 16, radius = Inference.receptiveFieldRadius(generator);
        RgbImage lr = randomImage(side, side, 3);
        float[] changed = lr.pixels().clone();
        changed[cy * side + cx] += 100; // plane R
        RgbImage before = Inference.upscale(generator, lr);
        RgbImage after = Inference.upscale(generator, new RgbImage(side, side, changed));
        int reach = 0;
        int n = before.planeSize(), w = before.width();
        for (int i = 0; i < 3 * n; i++) {
            if (before.pixels()[i] != after.pixels()[i]) {
                int x = (i % n) % w / 4, y = (i % n) / w / 4; // the LR pixel this output pixel lies in
                reach = Math.max(reach, Math.max(Math.abs(x - cx), Math.abs(y - cy)));
            }
        }
        assertEquals(radius, reach);
    }

    @Test
    void generatorRunsInEvalModeAndKeepsItsMode() {
        RgbImage lr = randomImage(9, 7, 5);
        generator.train();
        RgbImage inTraining = Inference.upscale(generator, lr, 4, 12);
        assertTrue(generator.isTraining(), "training mode restored");
        generator.eval();
        RgbImage inEval = Inference.upscale(generator, lr, 4, 12);
        assertTrue(!generator.isTraining());
        assertArrayEquals(inEval.pixels(), inTraining.pixels());
    }

    @Test
    void rejectsBadTileSettings() {
        RgbImage lr = randomImage(9, 7, 5);
        assertThrows(IllegalArgumentException.class, () -> Inference.upscale(generator, lr, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> Inference.upscale(generator, lr, 8, -1));
    }

    @Test
    void loadGeneratorReadsTheSizeFromTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("g.safetensors");
        generator.save(file);
        RgbImage lr = randomImage(11, 9, 8);
        try (Generator loaded = GeneratorFiles.load(backend, file)) {
            assertEquals(generator.stateDict().keySet(), loaded.stateDict().keySet());
            assertArrayEquals(Inference.upscale(generator, lr).pixels(), Inference.upscale(loaded, lr).pixels());
        }
    }

    @Test
    void aMismatchedWeightFileNamesTheFileTheTensorAndBothShapes(@TempDir Path dir) throws IOException {
        Map<String, HostTensor> state = new LinkedHashMap<>(generator.stateDict());
        state.put("tail.weight", new HostTensor(new int[]{3, 8, 3, 3}, new float[3 * 8 * 9]));
        Path file = dir.resolve("bad.safetensors");
        SafeTensors.write(file, state, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GeneratorFiles.load(backend, file));
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()) && m.contains("tail.weight") && m.contains("[3, 8, 3, 3]")
                && m.contains("[3, 8, 9, 9]"), m);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> GeneratorFiles.load(backend, dir.resolve("none.safetensors")));
        assertTrue(missing.getMessage().contains("none.safetensors"), missing.getMessage());
    }
}
