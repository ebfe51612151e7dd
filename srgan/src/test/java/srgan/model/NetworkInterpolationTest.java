package srgan.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class NetworkInterpolationTest {
    @TempDir
    Path dir;

    /** A small state dict shaped like a conv + BatchNorm layer, with values drawn from {@code seed}. */
    public static Map<String, HostTensor> state(long seed, float batches) {
        Random r = new Random(seed);
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put("conv.weight", random(r, 4, 3, 3, 3));
        m.put("conv.bias", random(r, 4));
        m.put("bn.running_var", random(r, 4));
        m.put("bn.num_batches_tracked", new HostTensor(new int[0], new float[]{batches}));
        return m;
    }

    private static HostTensor random(Random r, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float) r.nextGaussian();
        return new HostTensor(shape, data);
    }

    @Test
    void endPointsReproduceTheNetworksBitForBit() {
        Map<String, HostTensor> a = state(1, 10), b = state(2, 20);
        // -0.0 and a NaN payload would not survive (1 - alpha) * a + alpha * b with alpha 0.
        a.put("signed", new HostTensor(new int[]{2}, new float[]{-0.0f, Float.intBitsToFloat(0x7fc00123)}));
        b.put("signed", new HostTensor(new int[]{2}, new float[]{Float.POSITIVE_INFINITY, 1f}));
        assertBitwiseEqual(a, NetworkInterpolation.interpolate(a, b, 0.0));
        Map<String, HostTensor> atOne = NetworkInterpolation.interpolate(a, b, 1.0);
        for (String name : a.keySet()) {
            // The batch counter is A's at every alpha; everything else is B's.
            assertBitwiseEqual(name.endsWith("num_batches_tracked") ? a.get(name) : b.get(name), atOne.get(name));
        }
        assertEquals(List.copyOf(a.keySet()), List.copyOf(atOne.keySet()));
    }

    @Test
    void halfIsTheMeanAndOtherAlphasTheWeightedSum() {
        Map<String, HostTensor> a = state(1, 10), b = state(2, 20);
        Map<String, HostTensor> half = NetworkInterpolation.interpolate(a, b, 0.5);
        Map<String, HostTensor> point8 = NetworkInterpolation.interpolate(a, b, 0.8);
        for (String name : List.of("conv.weight", "conv.bias", "bn.running_var")) {
            float[] da = a.get(name).data(), db = b.get(name).data();
            float[] mean = new float[da.length], weighted = new float[da.length];
            for (int i = 0; i < da.length; i++) {
                mean[i] = (float) ((da[i] + (double) db[i]) / 2);
                weighted[i] = (float) (0.2 * da[i] + 0.8 * db[i]);
            }
            assertArrayEquals(mean, half.get(name).data(), name);
            assertArrayEquals(weighted, point8.get(name).data(), name);
            assertArrayEquals(a.get(name).shape(), half.get(name).shape());
        }
        assertArrayEquals(new float[]{10}, half.get("bn.num_batches_tracked").data());
    }

    @Test
    void differentNamesAreListed() {
        Map<String, HostTensor> a = state(1, 10), b = state(2, 20);
        b.remove("conv.bias");
        b.put("extra.weight", new HostTensor(new int[]{1}, new float[]{1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkInterpolation.interpolate(a, b, 0.5));
        assertEquals("A and B hold different tensors; only in A: conv.bias; only in B: extra.weight", e.getMessage());
    }

    @Test
    void aShapeMismatchNamesTheTensorAndBothShapes() {
        Map<String, HostTensor> a = state(1, 10), b = state(2, 20);
        b.put("conv.bias", new HostTensor(new int[]{2, 2}, new float[4]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkInterpolation.interpolate(a, b, 0.5));
        assertEquals("tensor 'conv.bias' has shape [4] in A but [2, 2] in B", e.getMessage());
    }

    @Test
    void alphaMustBeFiniteAndInRangeUnlessExtrapolating() {
        Map<String, HostTensor> a = state(1, 10), b = state(2, 20);
        assertThrows(IllegalArgumentException.class, () -> NetworkInterpolation.interpolate(a, b, Double.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> NetworkInterpolation.checkAlpha(Double.POSITIVE_INFINITY, true));
        assertThrows(IllegalArgumentException.class, () -> NetworkInterpolation.checkAlpha(1.5, false));
        assertThrows(IllegalArgumentException.class, () -> NetworkInterpolation.checkAlpha(-0.1, false));
        NetworkInterpolation.checkAlpha(1.5, true);
        NetworkInterpolation.checkAlpha(0, false);
        NetworkInterpolation.checkAlpha(1, false);
        float[] da = a.get("conv.bias").data(), db = b.get("conv.bias").data();
        float[] out = NetworkInterpolation.interpolate(a, b, 1.5).get("conv.bias").data();
        for (int i = 0; i < da.length; i++) assertEquals((float) (-0.5 * da[i] + 1.5 * db[i]), out[i]);
    }

    @Test
    void filesKeepAsMetadataAndWriteTheInterpolation() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        Map<String, String> metaA = new LinkedHashMap<>();
        metaA.put(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(64, 16)");
        metaA.put("note", "from A");
        SafeTensors.write(a, state(1, 10), metaA);
        SafeTensors.write(b, state(2, 20), Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(64, 16)",
                "note", "from B"));
        Path out = dir.resolve("sub/out.safetensors");
        Map<String, HostTensor> written = NetworkInterpolation.interpolateFiles(a, b, 0.25, false, out);
        assertEquals(metaA, SafeTensors.metadata(out));
        assertEquals(written, SafeTensors.read(out));
        assertEquals(NetworkInterpolation.interpolate(state(1, 10), state(2, 20), 0.25), written);
        assertNoTemporaryFiles(out.getParent());
    }

    @Test
    void theOnlyArchitectureDescriptionIsKept() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors"), out = dir.resolve("out.safetensors");
        SafeTensors.write(a, state(1, 10), null);
        SafeTensors.write(b, state(2, 20), Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(64, 16)"));
        NetworkInterpolation.interpolateFiles(a, b, 0.5, false, out);
        assertEquals(Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(64, 16)"), SafeTensors.metadata(out));
    }

    @Test
    void differentArchitecturesAreRefusedAndNothingIsWritten() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors"), out = dir.resolve("out.safetensors");
        SafeTensors.write(a, state(1, 10), Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(64, 16)"));
        SafeTensors.write(b, state(2, 20), Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(32, 8)"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkInterpolation.interpolateFiles(a, b, 0.5, false, out));
        assertEquals("different architectures: " + a + " has srgan.generator SrResNet(64, 16) but " + b
                + " has SrResNet(32, 8)", e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void aMismatchBetweenFilesNamesTheFiles() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors"), out = dir.resolve("out.safetensors");
        Map<String, HostTensor> sb = state(2, 20);
        sb.put("conv.weight", new HostTensor(new int[]{4, 3, 1, 9}, sb.get("conv.weight").data()));
        SafeTensors.write(a, state(1, 10), null);
        SafeTensors.write(b, sb, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkInterpolation.interpolateFiles(a, b, 0.5, false, out));
        assertEquals("tensor 'conv.weight' has shape [4, 3, 3, 3] in " + a + " but [4, 3, 1, 9] in " + b,
                e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> NetworkInterpolation.interpolateFiles(a, dir.resolve("nope.safetensors"), 0.5, false, out));
        assertTrue(missing.getMessage().endsWith("nope.safetensors does not exist"), missing.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void theOutputMayReplaceAnInput() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        SafeTensors.write(a, state(1, 10), null);
        SafeTensors.write(b, state(2, 20), null);
        NetworkInterpolation.interpolateFiles(a, b, 0.5, false, a);
        assertEquals(NetworkInterpolation.interpolate(state(1, 10), state(2, 20), 0.5), SafeTensors.read(a));
        assertNoTemporaryFiles(dir);
    }

    @Test
    void unchangedTensorsAreSharedNotCopied() {
        Map<String, HostTensor> a = state(1, 10), b = state(2, 20);
        assertSame(a.get("conv.weight"), NetworkInterpolation.interpolate(a, b, 0).get("conv.weight"));
    }

    private static void assertNoTemporaryFiles(Path folder) throws IOException {
        List<String> names = new ArrayList<>();
        try (var files = Files.list(folder)) {
            files.forEach(f -> names.add(f.getFileName().toString()));
        }
        assertTrue(names.stream().noneMatch(n -> n.startsWith(".")), names.toString());
    }

    private static void assertBitwiseEqual(Map<String, HostTensor> expected, Map<String, HostTensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (String name : expected.keySet()) assertBitwiseEqual(expected.get(name), actual.get(name));
    }

    private static void assertBitwiseEqual(HostTensor expected, HostTensor actual) {
        // HostTensor.equals compares floats bit for bit (NaN == NaN, 0.0 != -0.0), but not NaN payloads.
        assertEquals(expected, actual);
        float[] e = expected.data(), a = actual.data();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]), "element " + i);
        }
    }
}
