package srgan.model;

import org.junit.jupiter.api.Test;
import srgan.engine.GradMode;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parameter counts (worked out layer by layer in the comments) and output shapes of the paper's networks. */
class ModelShapeTest {

    @Test
    void srResNetHasThePapersParametersAndUpscalesByFour() {
        try (CpuBackend cpu = new CpuBackend(2); Generator g = new Generator(cpu, new Rng(0))) {
            // head 3*64*81+64 + PReLU 1 = 15617; block 2*(64*64*9+64) + 2*128 + 1 = 74113, x16 = 1185808;
            // mid 36928 + 128 = 37056; up 2*(64*256*9+256 + 1) = 295426; tail 64*3*81+3 = 15555.
            assertEquals(15617 + 1185808 + 37056 + 295426 + 15555, g.parameterCount());
            try (Scope s = Scope.open(); GradMode off = GradMode.noGrad()) {
                Tensor sr = g.forward(Init.uniform(cpu, new Rng(1), 0, 1, 2, 3, 7, 5));
                assertArrayEquals(new int[]{2, 3, 28, 20}, sr.shape());
                for (float v : sr.toFloatArray()) assertTrue(v >= -1 && v <= 1, "tanh output out of range: " + v);
            }
        }
    }

    @Test
    void discriminatorHasThePapersParametersAndOneLogitPerImage() {
        try (CpuBackend cpu = new CpuBackend(2); Discriminator d = new Discriminator(cpu, new Rng(0), 96)) {
            // conv 1792; convs 4683584 + BN 3712 (64..512 channels); dense 512*6*6*1024+1024 = 18875392; dense 1025.
            assertEquals(1792 + 4683584 + 3712 + 18875392 + 1025, d.parameterCount());
            try (Scope s = Scope.open()) {
                Tensor logits = d.forward(Init.uniform(cpu, new Rng(1), -1, 1, 2, 3, 96, 96));
                assertArrayEquals(new int[]{2, 1}, logits.shape());
            }
        }
    }

    @Test
    void vggFeaturesAreFrozenButPassGradientsToTheInput() {
        try (CpuBackend cpu = new CpuBackend(2); Vgg19Features vgg = new Vgg19Features(cpu, new Rng(0), Vgg19Features.VGG22)) {
            assertTrue(vgg.namedParameters().containsKey("features.7.weight"));
            assertEquals(8, vgg.parameters().size()); // weight and bias of conv1_1, conv1_2, conv2_1, conv2_2
            try (Scope s = Scope.open()) {
                Tensor image = Init.uniform(cpu, new Rng(1), -1, 1, 1, 3, 16, 12).requiresGrad(true);
                Tensor features = vgg.forward(image);
                assertArrayEquals(new int[]{1, 128, 8, 6}, features.shape());
                srgan.engine.ops.Reductions.sum(features).backward();
                assertTrue(image.grad() != null);
                for (Tensor p : vgg.parameters()) assertEquals(null, p.grad());
            }
        }
    }
}
