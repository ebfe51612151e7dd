package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.ops.Activations;

/**
 * {@code x > 0 ? x : a * x} with a learned slope, as {@code torch.nn.PReLU}: the parameter {@code weight} of
 * shape {@code [numParameters]} holds one slope shared by all channels (1, the default) or one per channel,
 * each starting at {@code init} (0.25).
 */
public final class PReLU extends Module {
    private final Tensor weight;

    /**
     * @param numParameters 1 (one slope for all channels) or the number of channels
     * @param init          the starting slope
     */
    public PReLU(Backend backend, int numParameters, double init) {
        if (numParameters <= 0) throw new IllegalArgumentException("PReLU needs at least one parameter, got "
                + numParameters);
        this.weight = registerParameter("weight", Tensor.full(backend, init, numParameters));
    }

    /** One shared slope starting at 0.25, PyTorch's default. */
    public PReLU(Backend backend) {
        this(backend, 1, 0.25);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Activations.prelu(x, weight);
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    protected String extraRepr() {
        return "num_parameters=" + weight.numel();
    }
}
