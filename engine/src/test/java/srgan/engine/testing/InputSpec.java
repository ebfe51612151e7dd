package srgan.engine.testing;

import srgan.engine.Rng;
import srgan.engine.Shapes;

/**
 * One input of an op under test: its shape, how its values are drawn, and whether the checks differentiate
 * with respect to it. Values are drawn as doubles that are exact float32 numbers, so the reference and a
 * float32 backend start from identical inputs and differ only by their arithmetic.
 */
public record InputSpec(int[] shape, Values values, boolean differentiable) {

    /** How values are drawn. */
    public enum Values {
        /**
         * Uniform in +-[0.05, 1]: away from 0, so the finite differences of ReLU, LeakyReLU, PReLU and L1 never
         * straddle their kink (the step is 1e-6).
         */
        SIGNED_AWAY_FROM_ZERO,
        /** Uniform in [0.5, 1.5], e.g. a running variance. */
        POSITIVE,
        /** Uniform in [0, 1], e.g. a BCE target. */
        PROBABILITY,
        /**
         * A shuffled ramp with steps of 0.01: all values distinct by far more than the finite-difference step,
         * so max pooling's argmax never changes under perturbation.
         */
        DISTINCT
    }

    public static InputSpec of(int[] shape) {
        return new InputSpec(shape, Values.SIGNED_AWAY_FROM_ZERO, true);
    }

    public static InputSpec of(int[] shape, Values values) {
        return new InputSpec(shape, values, true);
    }

    public static InputSpec constant(int[] shape, Values values) {
        return new InputSpec(shape, values, false);
    }

    public double[] draw(Rng rng) {
        int n = (int) Shapes.numel(shape);
        double[] v = new double[n];
        switch (values) {
            case SIGNED_AWAY_FROM_ZERO -> {
                for (int i = 0; i < n; i++) {
                    double magnitude = 0.05 + 0.95 * rng.nextDouble();
                    v[i] = rng.nextDouble() < 0.5 ? -magnitude : magnitude;
                }
            }
            case POSITIVE -> {
                for (int i = 0; i < n; i++) v[i] = 0.5 + rng.nextDouble();
            }
            case PROBABILITY -> {
                for (int i = 0; i < n; i++) v[i] = rng.nextDouble();
            }
            case DISTINCT -> {
                for (int i = 0; i < n; i++) v[i] = (i - n / 2.0) * 0.01;
                for (int i = n - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    double t = v[i];
                    v[i] = v[j];
                    v[j] = t;
                }
            }
        }
        for (int i = 0; i < n; i++) v[i] = (float) v[i];
        return v;
    }
}
