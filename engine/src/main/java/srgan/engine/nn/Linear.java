package srgan.engine.nn;

import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.ops.Dense;
import srgan.engine.ops.Normalization;

/**
 * Fully connected layer {@code y = x W^T + b} over {@code [N, in]} input, as {@code torch.nn.Linear}.
 * Parameters: {@code weight} {@code [out, in]} and, optionally, {@code bias} {@code [out]}, initialised as
 * PyTorch does, weight first.
 *
 * <p>{@link #spectralNormalized} makes the layer apply its weight divided by the weight's largest singular
 * value, as {@code torch.nn.utils.spectral_norm(linear)} (see {@link Normalization#spectralNormalize}): the
 * parameter is then registered as {@code weight_orig}, beside the buffers {@code weight_u} [out] and
 * {@code weight_v} [in], and no tensor is named {@code weight}. The state dict then reads, as PyTorch's,
 * {@code bias, weight_orig, weight_u, weight_v}.
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;
    /** Null unless spectrally normalised. */
    private final SpectralNormState spectralNorm;

    /**
     * @param rng draws the weight, then the bias; the same seed gives the same layer on every backend
     */
    public Linear(Backend backend, Rng rng, int inFeatures, int outFeatures, boolean bias) {
        this(backend, rng, inFeatures, outFeatures, bias, false);
    }

    /**
     * A spectrally normalised linear layer, as {@code spectral_norm(nn.Linear(...))}.
     *
     * @param rng draws the weight, the bias, then u and v
     */
    public static Linear spectralNormalized(Backend backend, Rng rng, int inFeatures, int outFeatures, boolean bias) {
        return new Linear(backend, rng, inFeatures, outFeatures, bias, true);
    }

    private Linear(Backend backend, Rng rng, int inFeatures, int outFeatures, boolean bias, boolean spectralNorm) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures
                    + "): feature counts must be positive");
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        int[] weightShape = {outFeatures, inFeatures};
        Tensor w = Init.defaultWeight(backend, rng, weightShape);
        Tensor b = bias ? Init.defaultBias(backend, rng, inFeatures, outFeatures) : null;
        this.weight = w;
        this.bias = b;
        this.spectralNorm = SpectralNormState.register(this, backend, rng, w, b, spectralNorm);
    }

    /** With bias, PyTorch's default. */
    public Linear(Backend backend, Rng rng, int inFeatures, int outFeatures) {
        this(backend, rng, inFeatures, outFeatures, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor w = spectralNorm == null ? weight : spectralNorm.normalize(weight, isTraining());
        return Dense.linear(x, w, bias);
    }

    /** The weight parameter; under spectral normalisation this is {@code weight_orig}, before division by sigma. */
    public Tensor weight() {
        return weight;
    }

    /** Whether the weight is spectrally normalised (its buffers are then {@code weight_u} and {@code weight_v}). */
    public boolean isSpectralNormalized() {
        return spectralNorm != null;
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

    /** {@inheritDoc} The product's backward reads its input and weight, never its output. */
    @Override
    public boolean backwardReadsOutput() {
        return false;
    }
}
