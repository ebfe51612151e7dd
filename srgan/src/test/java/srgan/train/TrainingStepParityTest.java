package srgan.train;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;
import srgan.engine.backend.Backends;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.io.HostTensor;
import srgan.engine.nn.Module;
import srgan.engine.optim.Adam;
import srgan.model.Discriminator;
import srgan.config.GeneratorSpec;
import srgan.config.LossSpec;
import srgan.model.Generator;
import srgan.model.Vgg19Features;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole SRGAN update (D then G, VGG22 content + 1e-3 adversarial, Adam) on a fast backend against the
 * float64 reference, from identical weights and data, for a few steps:
 * <ul>
 *   <li>the losses of the first step, from identical weights, agree to 1e-4 relative; later ones to 1e-3, since
 *       the weights they start from already differ by the rounding of the earlier updates, and the adversarial
 *       BCE of a confident discriminator (logit x ~ 3.5, loss ~ e^-x) changes relatively by as much as the
 *       logit changes absolutely;</li>
 *   <li>after the first step, every parameter's gradient, of D (its update) and of G (its update, against the
 *       same D: the first step runs D's optimiser at learning rate 0), agrees to 1e-4 of that tensor's largest
 *       gradient (the op-level parity bound, 2e-5, grown by the depth of the composition); the gradients of
 *       conv biases followed by batch norm are mathematically zero (1e-16 in float64), and there float32 must
 *       give noise below 1e-6 of the model's largest gradient;</li>
 *   <li>after the last step every weight agrees to 1e-4 of its tensor's largest magnitude plus 1% of the
 *       largest total Adam move (lr * steps): Adam divides each gradient by its own magnitude, so for a weight
 *       whose gradient is near eps a small relative difference in that gradient becomes a larger one in the
 *       step. That still catches a wrong update rule or a lost step, which move weights by ~lr. Weights whose
 *       gradient is mathematically zero only have to stay within 2 * lr * steps: Adam turns their noise into
 *       steps of up to lr (batch norm cancels them in the forward pass).</li>
 * </ul>
 * Adam's eps is 1e-6 here, not PyTorch's 1e-8: Adam divides each gradient by its own running magnitude, so
 * with eps = 1e-8 a gradient of pure rounding noise (those bias gradients, ~1e-10) becomes a full step of
 * random sign on each backend, and the weights, and with them every later loss, part by up to 2 * lr. With
 * eps = 1e-6 such noise moves a weight by ~1e-4 * lr while real gradients (1e-6 to 1e-2 here) step as usual,
 * so what remains to compare is the backends' arithmetic.
 */
class TrainingStepParityTest {
    private static final int STEPS = 2;
    private static final double LR = 1e-3;
    /** See the class comment. */
    private static final double ADAM_EPS = 1e-6;
    /**
     * 32x32 crops, batch 4: the discriminator's last batch norms then see 4 * 2 * 2 = 16 values per channel.
     * (At 16x16 and batch 2 they see 2, and normalising by the spread of two numbers turns float32 rounding
     * into gradient differences of tens of percent: a degenerate setting, not a backend difference.)
     */
    private static final int HR = 32;
    private static final int BATCH = 4;

    @Test
    void cpuMatchesReference() {
        try (Backend cpu = new CpuBackend(2)) {
            check(cpu);
        }
    }

    @Test
    @Tag("gpu")
    void cudaMatchesReference() {
        BackendProvider cuda = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst()
                .orElseThrow(() -> new AssertionError("the CUDA provider is not registered"));
        Assumptions.assumeTrue(cuda.isAvailable(), () -> "no CUDA device here: " + cuda.unavailableReason());
        try (Backend backend = cuda.create()) {
            check(backend);
        }
    }

    /** One backend's models, optimisers and data. */
    private static final class Run implements AutoCloseable {
        final Backend backend;
        final Generator g;
        final Discriminator d;
        final Vgg19Features vgg;
        final Adam optG;
        final Adam optD;

        Run(Backend backend, Map<String, HostTensor> gState, Map<String, HostTensor> dState,
            Map<String, HostTensor> vggState) {
            this.backend = backend;
            g = new Generator(backend, new Rng(0), GeneratorSpec.paper().withSize(4, 1));
            d = new Discriminator(backend, new Rng(0), HR);
            vgg = new Vgg19Features(backend, new Rng(0), Vgg19Features.VGG22);
            g.loadStateDict(gState);
            d.loadStateDict(dState);
            vgg.loadStateDict(vggState);
            optG = new Adam(g.parameters(), LR, 0.9, 0.999, ADAM_EPS, 0, true);
            optD = new Adam(d.parameters(), LR, 0.9, 0.999, ADAM_EPS, 0, true);
        }

        Map<String, Double> step(float[] lr, float[] hr, double discriminatorRate) {
            optD.setLearningRate(discriminatorRate);
            try (Scope s = Scope.open()) {
                return TrainingSteps.gan(g, d, vgg, LossSpec.paper().withContent("vgg22"), optG, optD,
                        Tensor.of(backend, lr, BATCH, 3, HR / 4, HR / 4),
                        Tensor.of(backend, hr, BATCH, 3, HR, HR), (what, loss) -> loss.item());
            }
        }

        @Override
        public void close() {
            optG.close();
            optD.close();
            g.close();
            d.close();
            vgg.close();
        }
    }

    private static void check(Backend fast) {
        Map<String, HostTensor> gState;
        Map<String, HostTensor> dState;
        Map<String, HostTensor> vggState;
        // Float32 initial weights, so both backends start from the same numbers.
        try (CpuBackend init = new CpuBackend(1);
             Generator g = new Generator(init, new Rng(1), GeneratorSpec.paper().withSize(4, 1));
             Discriminator d = new Discriminator(init, new Rng(2), HR);
             Vgg19Features vgg = new Vgg19Features(init, new Rng(3), Vgg19Features.VGG22)) {
            gState = g.stateDict();
            dState = d.stateDict();
            vggState = vgg.stateDict();
        }
        Rng data = new Rng(4);
        try (ReferenceBackend reference = new ReferenceBackend();
             Run want = new Run(reference, gState, dState, vggState);
             Run got = new Run(fast, gState, dState, vggState)) {
            java.util.Set<String> noiseOnly = new java.util.HashSet<>(); // parameters with a zero gradient
            for (int step = 1; step <= STEPS; step++) {
                float[] lr = random(data, BATCH * 3 * (HR / 4) * (HR / 4), 0, 1);
                float[] hr = random(data, BATCH * 3 * HR * HR, -1, 1);
                // The first update leaves D as it was, so that G's first update meets identical discriminators.
                double discriminatorRate = step == 1 ? 0 : LR;
                Map<String, Double> lw = want.step(lr, hr, discriminatorRate);
                Map<String, Double> lg = got.step(lr, hr, discriminatorRate);
                for (String k : lw.keySet()) {
                    double w = lw.get(k);
                    assertTrue(Double.isFinite(w), k + " is finite");
                    double tolerance = (step == 1 ? 1e-4 : 1e-3) * Math.abs(w);
                    assertEquals(w, lg.get(k), tolerance, "step " + step + " " + k + " on " + fast.name());
                }
                if (step == 1) {
                    compareGradients("generator", want.g, got.g, noiseOnly);
                    compareGradients("discriminator", want.d, got.d, noiseOnly);
                }
            }
            compareWeights("generator", want.g, got.g, noiseOnly);
            compareWeights("discriminator", want.d, got.d, noiseOnly);
        }
    }

    private static void compareGradients(String model, Module want, Module got, java.util.Set<String> noiseOnly) {
        Map<String, Tensor> gp = got.namedParameters();
        double modelScale = 0;
        for (Tensor w : want.parameters()) {
            for (double v : w.grad().toDoubleArray()) modelScale = Math.max(modelScale, Math.abs(v));
        }
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : want.namedParameters().entrySet()) {
            double[] a = e.getValue().grad().toDoubleArray();
            double[] b = gp.get(e.getKey()).grad().toDoubleArray();
            double scale = 0;
            for (double v : a) scale = Math.max(scale, Math.abs(v));
            if (scale <= 1e-9 * modelScale) {
                // Mathematically zero (a conv bias followed by batch norm): float32 must give rounding noise.
                noiseOnly.add(model + "." + e.getKey());
                for (int i = 0; i < b.length; i++) {
                    if (!(Math.abs(b[i]) <= 1e-6 * modelScale)) {
                        bad.add(model + "." + e.getKey() + "[" + i + "]: got " + b[i] + ", want noise below "
                                + 1e-6 * modelScale);
                        break;
                    }
                }
                continue;
            }
            for (int i = 0; i < a.length; i++) {
                if (!(Math.abs(a[i] - b[i]) <= 1e-4 * scale)) {
                    bad.add(model + "." + e.getKey() + "[" + i + "]: got " + b[i] + ", want " + a[i]
                            + " (tensor scale " + scale + ")");
                    break;
                }
            }
        }
        if (!bad.isEmpty()) fail("gradients after step 1 differ:\n  " + String.join("\n  ", bad));
    }

    private static void compareWeights(String model, Module want, Module got, java.util.Set<String> noiseOnly) {
        Map<String, Tensor> gp = got.namedParameters();
        want.namedParameters().forEach((name, w) -> {
            double[] a = w.toDoubleArray();
            double[] b = gp.get(name).toDoubleArray();
            double scale = 0;
            for (double v : a) scale = Math.max(scale, Math.abs(v));
            // A weight whose gradient is rounding noise moves by Adam's normalisation of that noise, at most
            // about lr per step, differently on each backend; batch norm cancels it, so only the bound matters.
            double tolerance = noiseOnly.contains(model + "." + name) ? 2 * LR * STEPS
                    : 1e-4 * scale + STEPS * LR * 1e-2;
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], tolerance, model + "." + name + "[" + i + "] after " + STEPS + " steps");
            }
        });
    }

    private static float[] random(Rng rng, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return v;
    }
}
