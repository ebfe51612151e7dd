package srgan.engine.testing;

import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Holds a fast backend to the reference: the same exact-float32 inputs and the same output projection on
 * both, then compares the output, every input gradient, and every constant input afterwards (an op may
 * update state in place, as batch norm's running statistics).
 */
public final class Parity {
    private Parity() {
    }

    /**
     * @param toleranceFactor multiplies the op's tolerances, for a backend whose arithmetic is documented to
     *                        differ more (e.g. a library's Winograd convolution); 1 for plain float32.
     */
    public static void check(OpCase op, Backend reference, Backend fast, long seed, double toleranceFactor) {
        Rng rng = new Rng(seed);
        List<double[]> values = new ArrayList<>();
        for (InputSpec spec : op.inputs()) values.add(spec.draw(rng));
        try (Scope scope = Scope.open()) {
            List<Tensor> ref = inputs(op, reference, values);
            List<Tensor> got = inputs(op, fast, values);
            Tensor refOut = op.forward().apply(ref);
            Tensor gotOut = op.forward().apply(got);
            Compare.assertCloseToScale(op.name() + " on " + fast.name() + ": forward", refOut.toDoubleArray(),
                    gotOut.toDoubleArray(), op.forwardTolerance() * toleranceFactor);

            double[] projection = new double[(int) refOut.numel()];
            for (int i = 0; i < projection.length; i++) projection[i] = (float) (rng.nextDouble() * 2 - 1);
            refOut.backward(Tensor.ofDoubles(reference, projection, refOut.shape()));
            gotOut.backward(Tensor.ofDoubles(fast, projection, gotOut.shape()));
            for (int k = 0; k < values.size(); k++) {
                String what = op.name() + " on " + fast.name() + ": input " + k;
                if (op.inputs().get(k).differentiable()) {
                    assertNotNull(got.get(k).grad(), what + " received no gradient");
                    Compare.assertCloseToScale(what + " gradient", ref.get(k).grad().toDoubleArray(),
                            got.get(k).grad().toDoubleArray(), op.backwardTolerance() * toleranceFactor);
                } else {
                    Compare.assertCloseToScale(what + " (state after the op)", ref.get(k).toDoubleArray(),
                            got.get(k).toDoubleArray(), op.forwardTolerance() * toleranceFactor);
                }
            }
        }
    }

    private static List<Tensor> inputs(OpCase op, Backend backend, List<double[]> values) {
        List<Tensor> list = new ArrayList<>();
        for (int k = 0; k < values.size(); k++) {
            InputSpec spec = op.inputs().get(k);
            list.add(Tensor.ofDoubles(backend, values.get(k), spec.shape()).requiresGrad(spec.differentiable()));
        }
        return list;
    }
}
