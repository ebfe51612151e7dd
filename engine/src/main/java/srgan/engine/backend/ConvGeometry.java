package srgan.engine.backend;

/**
 * The shapes of one 2-D convolution, NCHW: input {@code [n, inChannels, inHeight, inWidth]}, weight
 * {@code [outChannels, inChannels, kernelHeight, kernelWidth]}, output {@code [n, outChannels, outHeight,
 * outWidth]}. Stride and zero padding are the same along both axes, as in every layer SRGAN uses.
 */
public record ConvGeometry(int n, int inChannels, int inHeight, int inWidth, int outChannels,
                           int kernelHeight, int kernelWidth, int stride, int padding) {

    public ConvGeometry {
        if (n <= 0 || inChannels <= 0 || inHeight <= 0 || inWidth <= 0 || outChannels <= 0
                || kernelHeight <= 0 || kernelWidth <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("invalid convolution geometry " + describe(n, inChannels,
                    inHeight, inWidth, outChannels, kernelHeight, kernelWidth, stride, padding));
        }
        if (inHeight + 2 * padding < kernelHeight || inWidth + 2 * padding < kernelWidth) {
            throw new IllegalArgumentException("kernel larger than padded input: " + describe(n, inChannels,
                    inHeight, inWidth, outChannels, kernelHeight, kernelWidth, stride, padding));
        }
    }

    public int outHeight() {
        return (inHeight + 2 * padding - kernelHeight) / stride + 1;
    }

    public int outWidth() {
        return (inWidth + 2 * padding - kernelWidth) / stride + 1;
    }

    public long inputSize() {
        return (long) n * inChannels * inHeight * inWidth;
    }

    public long weightSize() {
        return (long) outChannels * inChannels * kernelHeight * kernelWidth;
    }

    public long outputSize() {
        return (long) n * outChannels * outHeight() * outWidth();
    }

    /** Multiply-adds of the forward pass times two. Each backward pass costs the same. */
    public double forwardFlops() {
        return 2.0 * outputSize() * inChannels * kernelHeight * kernelWidth;
    }

    private static String describe(int n, int c, int h, int w, int oc, int kh, int kw, int s, int p) {
        return "input [" + n + ", " + c + ", " + h + ", " + w + "], weight [" + oc + ", " + c + ", " + kh + ", "
                + kw + "], stride " + s + ", padding " + p;
    }
}
