package srgan.engine.resample;

/**
 * The weights that resize one axis the way MATLAB's {@code imresize(img, scale, 'bicubic')} does (MATLAB's
 * {@code contributions()}): output pixel {@code o} is {@code sum_k weight[o*taps+k] * in[index[o*taps+k]]},
 * summed in order k = 0, 1, ..., with every index already mirrored into {@code 0..inLength-1}. An image is
 * resized by applying one table along H and another along W.
 *
 * <p>MATLAB's convention, which every SR paper's LR inputs and bicubic baseline follow (see
 * ../shared/docs/SRGAN_REFERENCE.md):
 * <ul>
 *   <li>Keys' cubic kernel with a = -0.5 ({@link #cubic});</li>
 *   <li>when downscaling by s &lt; 1 the kernel is stretched to width 4/s and weighted s*cubic(s*d), which is
 *       MATLAB's anti-aliasing;</li>
 *   <li>output pixel x (1-based) samples the input at u = x/s + 0.5*(1 - 1/s);</li>
 *   <li>taps outside the image are mirrored symmetrically (index -1 reads 0, index n reads n-1);</li>
 *   <li>the weights of each output pixel are normalised to sum 1;</li>
 *   <li>tap positions that are zero for every output pixel are dropped;</li>
 *   <li>the output length is ceil(in*s) ({@link #outLength}).</li>
 * </ul>
 * The CPU resize ({@code srgan.image.Bicubic}) and the CUDA one ({@code srgan.cuda.CudaBicubic}) both take their
 * weights from here, so their results agree bit for bit only as long as this stays their one source.
 *
 * @param inLength  pixels along the axis before resizing
 * @param outLength pixels after
 * @param taps      weights per output pixel
 * @param index     {@code outLength * taps} input indices, row-major by output pixel
 * @param weight    {@code outLength * taps} weights, laid out as {@code index}
 */
public record BicubicTable(int inLength, int outLength, int taps, int[] index, double[] weight) {

    /**
     * @throws IllegalArgumentException if a length or the tap count is not positive, the arrays do not hold
     *                                  {@code outLength * taps} entries, or an index lies outside the axis
     */
    public BicubicTable {
        if (inLength < 1 || outLength < 1 || taps < 1) {
            throw new IllegalArgumentException("table " + inLength + " -> " + outLength + " with " + taps + " taps");
        }
        if ((long) outLength * taps != index.length || index.length != weight.length) {
            throw new IllegalArgumentException(outLength + " x " + taps + " taps need as many indices and weights, got "
                    + index.length + " and " + weight.length);
        }
        // Resizers read the input at these indices unchecked (the CUDA kernel too): one outside the axis would read
        // another image's memory.
        for (int i : index) {
            if (i < 0 || i >= inLength) {
                throw new IllegalArgumentException("index " + i + " outside 0.." + (inLength - 1));
            }
        }
    }

    /**
     * MATLAB's table resizing {@code inLength} pixels by {@code scale}, to {@link #outLength(int, double)} pixels.
     *
     * @throws IllegalArgumentException if {@code scale} is not positive and finite or {@code inLength} not positive
     */
    public static BicubicTable matlab(int inLength, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
        }
        if (inLength < 1) throw new IllegalArgumentException("length must be positive, got " + inLength);
        return contributions(inLength, outLength(inLength, scale), scale);
    }

    /**
     * ceil(length * scale), computed as MATLAB and numpy compute it.
     *
     * @throws IllegalArgumentException if the result is below 1 or too large to index
     */
    public static int outLength(int length, double scale) {
        double v = Math.ceil(length * scale);
        if (!(v >= 1) || v > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("resizing length " + length + " by " + scale + " gives " + v);
        }
        return (int) v;
    }

    /** Keys' cubic convolution kernel with a = -0.5, at distance {@code x}. */
    public static double cubic(double x) {
        double ax = Math.abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
        if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
        return 0;
    }

    /** MATLAB's {@code contributions()}: weights, normalised per output pixel, and mirrored input indices. */
    private static BicubicTable contributions(int inLength, int outLength, double scale) {
        double kernelWidth = scale < 1 ? 4.0 / scale : 4.0;
        int p = (int) Math.ceil(kernelWidth) + 2;
        double[] w = new double[outLength * p];
        int[] idx = new int[outLength * p];
        for (int o = 0; o < outLength; o++) {
            double u = (o + 1) / scale + 0.5 * (1 - 1 / scale);
            double left = Math.floor(u - kernelWidth / 2);
            double sum = 0;
            for (int k = 0; k < p; k++) {
                double d = u - (left + k);
                double wk = scale < 1 ? scale * cubic(d * scale) : cubic(d);
                w[o * p + k] = wk;
                sum += wk;
                idx[o * p + k] = mirror((long) (left + k) - 1, inLength);
            }
            for (int k = 0; k < p; k++) w[o * p + k] /= sum;
        }
        // Like MATLAB, drop the tap positions that are zero for every output pixel (the table's edge columns).
        boolean[] keep = new boolean[p];
        int kept = 0;
        for (int k = 0; k < p; k++) {
            for (int o = 0; o < outLength && !keep[k]; o++) keep[k] = w[o * p + k] != 0;
            if (keep[k]) kept++;
        }
        double[] kw = new double[outLength * kept];
        int[] ki = new int[outLength * kept];
        for (int o = 0; o < outLength; o++) {
            int j = 0;
            for (int k = 0; k < p; k++) {
                if (!keep[k]) continue;
                kw[o * kept + j] = w[o * p + k];
                ki[o * kept + j] = idx[o * p + k];
                j++;
            }
        }
        return new BicubicTable(inLength, outLength, kept, ki, kw);
    }

    /**
     * Maps a 0-based index onto 0..n-1 by symmetric reflection with the edge pixel repeated (..., 1, 0, 0, 1,
     * ..., n-1, n-1, n-2, ...), periodic with period 2n, as MATLAB's {@code aux} array does.
     */
    static int mirror(long i, int n) {
        long m = Math.floorMod(i, 2L * n);
        return (int) (m < n ? m : 2L * n - 1 - m);
    }
}
