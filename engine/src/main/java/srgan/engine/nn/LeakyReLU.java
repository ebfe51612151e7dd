package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Activations;

/** {@code x > 0 ? x : negativeSlope * x}, as {@code torch.nn.LeakyReLU} (default slope 0.01). */
public final class LeakyReLU extends Module {
    private final double negativeSlope;

    public LeakyReLU(double negativeSlope) {
        this.negativeSlope = negativeSlope;
    }

    /** PyTorch's default slope, 0.01. */
    public LeakyReLU() {
        this(0.01);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Activations.leakyRelu(x, negativeSlope);
    }

    public double negativeSlope() {
        return negativeSlope;
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
