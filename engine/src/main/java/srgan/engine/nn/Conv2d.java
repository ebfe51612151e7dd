package srgan.engine.nn;

import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Normalization;

/**
 * 2-D convolution over NCHW input (N batch, C channels, H height, W width), as {@code torch.nn.Conv2d} with a
 * square kernel and the same stride and zero padding along both axes. Parameters: {@code weight}
 * {@code [out, in, k, k]} and, optionally, {@code bias} {@code [out]}, both initialised as PyTorch does
 * ({@link Init#defaultWeight}, {@link Init#defaultBias}), weight first.
 *
 * <p>{@link #spectralNormalized} makes the layer apply its weight divided by the weight's largest singular
 * value, as {@code torch.nn.utils.spectral_norm(conv)} (see {@link Normalization#spectralNormalize}): the
 * parameter is then registered as {@code weight_orig}, beside the buffers {@code weight_u} [out] and
 * {@code weight_v} [in*k*k], and no tensor is named {@code weight}. The state dict then reads, as PyTorch's,
 * {@code bias, weight_orig, weight_u, weight_v}.
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final int stride;
    private final int padding;
    private final Tensor weight;
    private final Tensor bias;
    /** Null unless spectrally normalised. */
    private final SpectralNormState spectralNorm;

    /**
     * @param rng draws the weight, then the bias; the same seed gives the same layer on every backend
     */
    public Conv2d(Backend backend, Rng rng, int inChannels, int outChannels, int kernelSize, int stride, int padding,
                  boolean bias) {
        this(backend, rng, inChannels, outChannels, kernelSize, stride, padding, bias, false);
    }

    /**
     * A spectrally normalised convolution, as {@code spectral_norm(nn.Conv2d(...))}.
     *
     * @param rng draws the weight, the bias, then u and v
     */
    public static Conv2d spectralNormalized(Backend backend, Rng rng, int inChannels, int outChannels,
                                            int kernelSize, int stride, int padding, boolean bias) {
        return new Conv2d(backend, rng, inChannels, outChannels, kernelSize, stride, padding, bias, true);
    }

    private Conv2d(Backend backend, Rng rng, int inChannels, int outChannels, int kernelSize, int stride,
                   int padding, boolean bias, boolean spectralNorm) {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + ", " + outChannels + ", kernel_size="
                    + kernelSize + ", stride=" + stride + ", padding=" + padding + "): sizes must be positive "
                    + "and padding non-negative");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        int[] weightShape = {outChannels, inChannels, kernelSize, kernelSize};
        Tensor w = Init.defaultWeight(backend, rng, weightShape);
        Tensor b = bias ? Init.defaultBias(backend, rng, Init.fanIn(weightShape), outChannels) : null;
        this.weight = w;
        this.bias = b;
        this.spectralNorm = SpectralNormState.register(this, backend, rng, w, b, spectralNorm);
    }

    /** PyTorch's defaults: stride 1, padding 0, with bias. */
    public Conv2d(Backend backend, Rng rng, int inChannels, int outChannels, int kernelSize) {
        this(backend, rng, inChannels, outChannels, kernelSize, 1, 0, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor w = spectralNorm == null ? weight : spectralNorm.normalize(weight, isTraining());
        return Convolution.conv2d(x, w, bias, stride, padding);
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

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernelSize() {
        return kernelSize;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=" + kernelSize + ", stride=" + stride
                + ", padding=" + padding + (bias == null ? ", bias=False" : "");
    }

    /** {@inheritDoc} The convolution's backward reads its input and weight, never its output. */
    @Override
    public boolean backwardReadsOutput() {
        return false;
    }
}
