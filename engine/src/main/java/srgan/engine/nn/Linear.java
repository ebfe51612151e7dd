package srgan.engine.nn;

import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.ops.Dense;

/**
 * Fully connected layer {@code y = x W^T + b} over {@code [N, in]} input, as {@code torch.nn.Linear}.
 * Parameters: {@code weight} {@code [out, in]} and, optionally, {@code bias} {@code [out]}, initialised as
 * PyTorch does, weight first.
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * @param rng draws the weight, then the bias; the same seed gives the same layer on every backend
     */
    public Linear(Backend backend, Rng rng, int inFeatures, int outFeatures, boolean bias) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures
                    + "): feature counts must be positive");
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", Init.defaultWeight(backend, rng, outFeatures, inFeatures));
        this.bias = bias ? registerParameter("bias", Init.defaultBias(backend, rng, inFeatures, outFeatures)) : null;
    }

    /** With bias, PyTorch's default. */
    public Linear(Backend backend, Rng rng, int inFeatures, int outFeatures) {
        this(backend, rng, inFeatures, outFeatures, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Dense.linear(x, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null when the layer has none. */
    public Tensor bias() {
        return bias;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
