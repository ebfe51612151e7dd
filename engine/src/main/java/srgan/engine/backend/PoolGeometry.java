package srgan.engine.backend;

/**
 * Max pooling over NCHW input {@code [n, channels, inHeight, inWidth]} with a square window. Padding counts as
 * minus infinity, as in PyTorch; output size rounds down (ceil_mode=False).
 */
public record PoolGeometry(int n, int channels, int inHeight, int inWidth, int kernel, int stride, int padding) {

    public PoolGeometry {
        if (n <= 0 || channels <= 0 || inHeight <= 0 || inWidth <= 0 || kernel <= 0 || stride <= 0
                || padding < 0 || 2 * padding > kernel || inHeight + 2 * padding < kernel
                || inWidth + 2 * padding < kernel) {
            throw new IllegalArgumentException("invalid max-pool geometry: input [" + n + ", " + channels + ", "
                    + inHeight + ", " + inWidth + "], kernel " + kernel + ", stride " + stride + ", padding "
                    + padding);
        }
    }

    public int outHeight() {
        return (inHeight + 2 * padding - kernel) / stride + 1;
    }

    public int outWidth() {
        return (inWidth + 2 * padding - kernel) / stride + 1;
    }

    public long inputSize() {
        return (long) n * channels * inHeight * inWidth;
    }

    public long outputSize() {
        return (long) n * channels * outHeight() * outWidth();
    }
}
