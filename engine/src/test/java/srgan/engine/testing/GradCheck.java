package srgan.engine.testing;

import srgan.engine.GradMode;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Central-difference gradient check in double precision, as PyTorch's gradcheck: for a random projection R of
 * the output, compares the autograd gradient of {@code sum(f(x) * R)} with
 * {@code (F(x + eps) - F(x - eps)) / (2 eps)} on a bounded sample of elements of every differentiable input.
 * An element passes when {@code |a - n| / (|a| + |n|) <= 1e-3} or {@code |a - n| <= 1e-7} (round-off of F,
 * about 1e-16 * |F| / eps, stays far below that).
 */
public final class GradCheck {
    public static final double EPS = 1e-6;
    public static final double RELATIVE = 1e-3;
    public static final double ABSOLUTE = 1e-7;
    /** Elements sampled per input: enough to hit every region of small tensors, bounded to keep CI fast. */
    public static final int SAMPLES_PER_INPUT = 24;

    private GradCheck() {
    }

    /** Checks {@code forward} at inputs drawn from {@code specs}, on {@code backend} (double precision). */
    public static void check(String name, Backend backend, List<InputSpec> specs,
                             Function<List<Tensor>, Tensor> forward, long seed) {
        Rng rng = new Rng(seed);
        try (Scope scope = Scope.open()) {
            List<Tensor> inputs = new ArrayList<>();
            List<double[]> values = new ArrayList<>();
            for (InputSpec spec : specs) {
                double[] v = spec.draw(rng);
                values.add(v);
                Tensor t = Tensor.ofDoubles(backend, v, spec.shape());
                t.requiresGrad(spec.differentiable());
                inputs.add(t);
            }
            Tensor out = forward.apply(inputs);
            double[] projection = new double[(int) out.numel()];
            for (int i = 0; i < projection.length; i++) projection[i] = rng.nextDouble() * 2 - 1;
            out.backward(Tensor.ofDoubles(backend, projection, out.shape()));

            StringBuilder failures = new StringBuilder();
            for (int k = 0; k < inputs.size(); k++) {
                if (!specs.get(k).differentiable()) continue;
                Tensor x = inputs.get(k);
                assertNotNull(x.grad(), name + ": input " + k + " received no gradient");
                double[] analytic = x.grad().toDoubleArray();
                double[] v = values.get(k);
                for (int j : sample(v.length, rng)) {
                    double original = v[j];
                    v[j] = original + EPS;
                    double plus = projected(forward, inputs, x, v, projection);
                    v[j] = original - EPS;
                    double minus = projected(forward, inputs, x, v, projection);
                    v[j] = original;
                    x.copyFromDoubles(v);
                    double numeric = (plus - minus) / (2 * EPS);
                    double a = analytic[j];
                    double err = Math.abs(a - numeric);
                    boolean ok = err <= ABSOLUTE || err / (Math.abs(a) + Math.abs(numeric)) <= RELATIVE;
                    if (!ok && failures.length() < 2000) {
                        failures.append(String.format("%n  input %d %s element %d: analytic %.10g, numeric %.10g",
                                k, java.util.Arrays.toString(specs.get(k).shape()), j, a, numeric));
                    }
                }
            }
            if (failures.length() > 0) fail(name + ": gradient check failed" + failures);
        }
    }

    private static double projected(Function<List<Tensor>, Tensor> forward, List<Tensor> inputs, Tensor x,
                                    double[] v, double[] projection) {
        x.copyFromDoubles(v);
        try (GradMode ignored = GradMode.noGrad(); Scope scope = Scope.open()) {
            double[] out = forward.apply(inputs).toDoubleArray();
            double sum = 0;
            for (int i = 0; i < out.length; i++) sum += out[i] * projection[i];
            return sum;
        }
    }

    /** Every index for small tensors; otherwise the first, the last and a random sample. */
    private static int[] sample(int n, Rng rng) {
        if (n <= SAMPLES_PER_INPUT) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        int[] picked = new int[SAMPLES_PER_INPUT];
        picked[0] = 0;
        picked[1] = n - 1;
        for (int i = 2; i < picked.length; i++) picked[i] = rng.nextInt(n);
        return picked;
    }
}
