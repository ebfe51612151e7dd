package srgan.engine.nn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.io.HostTensor;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Dense;
import srgan.engine.ops.Layout;
import srgan.engine.ops.Normalization;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spectrally normalised Conv2d and Linear (PyTorch's state-dict names and behaviour) and Upsample. */
class SpectralNormAndUpsampleLayersTest {

    private static double norm(double[] x) {
        double s = 0;
        for (double d : x) s += d * d;
        return Math.sqrt(s);
    }

    @Test
    void stateDictNamesAreThoseOfPyTorchsSpectralNorm() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE);
             Conv2d conv = Conv2d.spectralNormalized(backend, new Rng(1), 3, 5, 3, 1, 1, true);
             Linear linear = Linear.spectralNormalized(backend, new Rng(2), 7, 4, false)) {
            Map<String, HostTensor> convState = conv.stateDict();
            assertEquals(List.of("bias", "weight_orig", "weight_u", "weight_v"), List.copyOf(convState.keySet()));
            assertArrayEquals(new int[]{5, 3, 3, 3}, convState.get("weight_orig").shape());
            assertArrayEquals(new int[]{5}, convState.get("weight_u").shape());
            assertArrayEquals(new int[]{27}, convState.get("weight_v").shape());
            assertEquals(List.of("bias", "weight_orig"), List.copyOf(conv.namedParameters().keySet()));
            assertEquals(List.of("weight_u", "weight_v"), List.copyOf(conv.namedBuffers().keySet()));
            assertTrue(conv.isSpectralNormalized());

            assertEquals(List.of("weight_orig", "weight_u", "weight_v"), List.copyOf(linear.stateDict().keySet()));
            assertArrayEquals(new int[]{4}, linear.namedBuffers().get("weight_u").shape());
            assertArrayEquals(new int[]{7}, linear.namedBuffers().get("weight_v").shape());
            assertEquals(28, linear.parameterCount());
        }
    }

    @Test
    void withoutSpectralNormNothingChanges() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE);
             Conv2d conv = new Conv2d(backend, new Rng(1), 3, 5, 3, 1, 1, true);
             Linear linear = new Linear(backend, new Rng(2), 7, 4)) {
            assertEquals(List.of("weight", "bias"), List.copyOf(conv.stateDict().keySet()));
            assertEquals(List.of("weight", "bias"), List.copyOf(linear.stateDict().keySet()));
            assertFalse(conv.isSpectralNormalized());
            assertNull(conv.namedBuffers().get("weight_u"));
            assertNull(linear.namedBuffers().get("weight_v"));
        }
    }

    @Test
    void initialisationDrawsWeightAndBiasAsThePlainLayerThenUnitVectors() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE);
             Conv2d plain = new Conv2d(backend, new Rng(8), 2, 3, 3, 1, 1, true);
             Conv2d spectral = Conv2d.spectralNormalized(backend, new Rng(8), 2, 3, 3, 1, 1, true)) {
            assertArrayEquals(plain.weight().toDoubleArray(), spectral.weight().toDoubleArray(), 0);
            assertArrayEquals(plain.bias().toDoubleArray(), spectral.bias().toDoubleArray(), 0);
            assertEquals(1, norm(spectral.namedBuffers().get("weight_u").toDoubleArray()), 1e-12);
            assertEquals(1, norm(spectral.namedBuffers().get("weight_v").toDoubleArray()), 1e-12);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {TestBackends.REFERENCE, TestBackends.CPU})
    void forwardAppliesTheNormalisedWeightAndOnlyTrainingMovesTheVectors(String backendName) {
        try (Backend backend = TestBackends.create(backendName); Scope scope = Scope.open();
             Conv2d conv = Conv2d.spectralNormalized(backend, new Rng(4), 2, 3, 3, 1, 1, true);
             Linear linear = Linear.spectralNormalized(backend, new Rng(5), 6, 2, true)) {
            Tensor image = Init.normal(backend, new Rng(6), 0, 1, 2, 2, 5, 4);
            Tensor rows = Init.normal(backend, new Rng(7), 0, 1, 3, 6);

            conv.eval();
            float[] u = conv.namedBuffers().get("weight_u").toFloatArray();
            float[] v = conv.namedBuffers().get("weight_v").toFloatArray();
            Tensor expected = Convolution.conv2d(image,
                    Normalization.spectralNormalize(conv.weight(), conv.namedBuffers().get("weight_u"), conv.namedBuffers().get("weight_v"), false, 1e-12),
                    conv.bias(), 1, 1);
            assertArrayEquals(expected.toFloatArray(), conv.forward(image).toFloatArray());
            assertArrayEquals(u, conv.namedBuffers().get("weight_u").toFloatArray(), "eval mode must not change weight_u");
            assertArrayEquals(v, conv.namedBuffers().get("weight_v").toFloatArray(), "eval mode must not change weight_v");

            conv.train();
            conv.forward(image);
            assertFalse(java.util.Arrays.equals(u, conv.namedBuffers().get("weight_u").toFloatArray()), "training must update weight_u");

            linear.eval();
            Tensor expectedRows = Dense.linear(rows, Normalization.spectralNormalize(linear.weight(),
                    linear.namedBuffers().get("weight_u"), linear.namedBuffers().get("weight_v"), false, 1e-12), linear.bias());
            assertArrayEquals(expectedRows.toFloatArray(), linear.forward(rows).toFloatArray());
        }
    }

    @Test
    void stateDictRoundTripRestoresTheVectors() {
        try (Backend backend = TestBackends.create(TestBackends.CPU);
             Linear source = Linear.spectralNormalized(backend, new Rng(1), 5, 3, true);
             Linear target = Linear.spectralNormalized(backend, new Rng(2), 5, 3, true)) {
            target.loadStateDict(source.stateDict());
            assertArrayEquals(source.namedBuffers().get("weight_u").toFloatArray(), target.namedBuffers().get("weight_u").toFloatArray());
            assertArrayEquals(source.namedBuffers().get("weight_v").toFloatArray(), target.namedBuffers().get("weight_v").toFloatArray());
            assertArrayEquals(source.weight().toFloatArray(), target.weight().toFloatArray());
        }
    }

    @Test
    void upsampleIsTheLayoutOpWithoutState() {
        try (Backend backend = TestBackends.create(TestBackends.CPU); Scope scope = Scope.open();
             Upsample up = new Upsample(2)) {
            Tensor x = Init.normal(backend, new Rng(3), 0, 1, 1, 2, 3, 3);
            assertArrayEquals(Layout.upsampleNearest(x, 2).toFloatArray(), up.forward(x).toFloatArray());
            assertTrue(up.stateDict().isEmpty());
            assertEquals(2, up.scaleFactor());
            assertEquals("Upsample(scale_factor=2.0, mode='nearest')", up.toString());
        }
    }
}
