package srgan.model;

import org.junit.jupiter.api.Test;
import srgan.engine.GradMode;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Our VGG19 feature extractor against PyTorch's on the same weights: the layer layout (which index is a conv,
 * a ReLU or a pool), the torchvision names, and the [-1, 1] to ImageNet-normalised input mapping. The
 * fixture was written by {@code tools/reference-values/vgg22_fixture.py} (PyTorch 1.13, float32).
 */
class Vgg19FeaturesTorchParityTest {

    @Test
    void vgg22MatchesPyTorchOnTheSameWeights() throws Exception {
        Path fixture = Files.createTempFile("vgg22", ".safetensors");
        try (InputStream in = getClass().getResourceAsStream("/vgg22-fixture.safetensors")) {
            Files.copy(in, fixture, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, HostTensor> all = SafeTensors.read(fixture);
        Files.delete(fixture);
        Map<String, HostTensor> weights = new LinkedHashMap<>(all);
        HostTensor input = weights.remove("input");
        HostTensor expected = weights.remove("expected");
        try (ReferenceBackend reference = new ReferenceBackend();
             Vgg19Features vgg = new Vgg19Features(reference, new Rng(1), Vgg19Features.VGG22);
             Scope scope = Scope.open(); GradMode off = GradMode.noGrad()) {
            vgg.loadStateDict(weights);
            Tensor out = vgg.forward(Tensor.of(reference, input.data(), input.shape()));
            assertArrayEquals(expected.shape(), out.shape());
            double[] got = out.toDoubleArray();
            float[] want = expected.data();
            // PyTorch computed in float32 (sums of up to 128*9 products, ~1e-6 relative); we compute in
            // double from the same float32 weights, so the difference is PyTorch's rounding.
            double scale = 0;
            for (float w : want) scale = Math.max(scale, Math.abs(w));
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5 * scale, "element " + i);
            }
        }
    }
}
