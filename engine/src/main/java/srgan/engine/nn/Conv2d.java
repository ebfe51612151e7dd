package srgan.engine.nn;

import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.ops.Convolution;

/**
 * 2-D convolution over NCHW input (N batch, C channels, H height, W width), as {@code torch.nn.Conv2d} with a
 * square kernel and the same stride and zero padding along both axes. Parameters: {@code weight}
 * {@code [out, in, k, k]} and, optionally, {@code bias} {@code [out]}, both initialised as PyTorch does
 * ({@link Init#defaultWeight}, {@link Init#defaultBias}), weight first.
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final int stride;
    private final int padding;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * @param rng draws the weight, then the bias; the same seed gives the same layer on every backend
     */
    public Conv2d(Backend backend, Rng rng, int inChannels, int outChannels, int kernelSize, int stride, int padding,
                  boolean bias) {
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
        this.weight = registerParameter("weight", Init.defaultWeight(backend, rng, weightShape));
        this.bias = bias
                ? registerParameter("bias", Init.defaultBias(backend, rng, Init.fanIn(weightShape), outChannels))
                : null;
    }

    /** PyTorch's defaults: stride 1, padding 0, with bias. */
    public Conv2d(Backend backend, Rng rng, int inChannels, int outChannels, int kernelSize) {
        this(backend, rng, inChannels, outChannels, kernelSize, 1, 0, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Convolution.conv2d(x, weight, bias, stride, padding);
    }

    public Tensor weight() {
        return weight;
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
}
