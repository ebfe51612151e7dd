package srgan.engine;

import srgan.engine.backend.Backend;

/**
 * Seeded initialisers as PyTorch defines them. Values are drawn on the host in double precision from an
 * {@link Rng} and uploaded once, so every backend starts from the same numbers for the same seed.
 */
public final class Init {
    private Init() {
    }

    public static Tensor uniform(Backend backend, Rng rng, double low, double high, int... shape) {
        double[] v = new double[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = low + (high - low) * rng.nextDouble();
        return Tensor.ofDoubles(backend, v, shape);
    }

    public static Tensor normal(Backend backend, Rng rng, double mean, double std, int... shape) {
        double[] v = new double[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = mean + std * rng.nextGaussian();
        return Tensor.ofDoubles(backend, v, shape);
    }

    /**
     * fan_in of a weight: its size divided by the number of outputs (dimension 0), i.e. in_channels * kH * kW
     * for a convolution and in_features for a linear layer, as {@code torch.nn.init._calculate_fan_in_and_fan_out}.
     */
    public static int fanIn(int... weightShape) {
        return (int) (Shapes.numel(weightShape) / weightShape[0]);
    }

    /** fan_out: out_channels * kH * kW, or out_features. */
    public static int fanOut(int... weightShape) {
        long receptive = weightShape.length > 2 ? Shapes.numel(weightShape) / ((long) weightShape[0] * weightShape[1]) : 1;
        return (int) (weightShape[0] * receptive);
    }

    /**
     * {@code kaiming_normal_(mode='fan_in', nonlinearity='leaky_relu', a=negativeSlope)}: std =
     * sqrt(2 / (1 + a^2)) / sqrt(fan_in). With a = 0 this is He initialisation for ReLU.
     */
    public static Tensor kaimingNormal(Backend backend, Rng rng, double negativeSlope, int... shape) {
        double std = Math.sqrt(2.0 / (1 + negativeSlope * negativeSlope)) / Math.sqrt(fanIn(shape));
        return normal(backend, rng, 0, std, shape);
    }

    /** {@code kaiming_uniform_(mode='fan_in', a)}: bound = sqrt(3) * sqrt(2 / (1 + a^2)) / sqrt(fan_in). */
    public static Tensor kaimingUniform(Backend backend, Rng rng, double a, int... shape) {
        double bound = Math.sqrt(3.0) * Math.sqrt(2.0 / (1 + a * a)) / Math.sqrt(fanIn(shape));
        return uniform(backend, rng, -bound, bound, shape);
    }

    /**
     * PyTorch's default weight of {@code Conv2d} and {@code Linear}: {@code kaiming_uniform_(a=sqrt(5))},
     * which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
     */
    public static Tensor defaultWeight(Backend backend, Rng rng, int... shape) {
        return kaimingUniform(backend, rng, Math.sqrt(5), shape);
    }

    /** PyTorch's default bias of {@code Conv2d} and {@code Linear}: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    public static Tensor defaultBias(Backend backend, Rng rng, int fanIn, int outputs) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return uniform(backend, rng, -bound, bound, outputs);
    }
}
