package srgan.cuda;

import srgan.engine.resample.BicubicTable;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * MATLAB's {@code imresize(x, scale, 'bicubic')} on the GPU (bicubic.cu), so training data can be prepared on
 * the device: a float NCHW batch [N, C, H, W] (N images, C channels, H rows, W columns, values on the 0..255
 * scale) becomes [N, C, OH, OW], along H first and then along W, with the weights of {@link BicubicTable}.
 *
 * <p>The kernels take the same tables as {@code srgan.image.Bicubic} and repeat its double-precision arithmetic
 * operation for operation, so {@link #resize} gives the floats of {@code Bicubic.resize} and
 * {@link #resizeToUint8} those of {@code Bicubic.resizeToUint8(img, scale).toTensorData(lo, hi)}, bit for bit,
 * image by image.
 *
 * <p>Work is queued on the backend's stream; nothing waits. Device copies of the tables are kept per (length,
 * scale), as training resizes crops of one size every step, until {@link #close}. Not thread-safe beyond what
 * the backend's stream offers: one instance per thread that queues work.
 */
public final class CudaBicubic implements AutoCloseable {

    /** Device tables kept at most; a few sizes recur, so a full cache is simply emptied. */
    private static final int MAX_TABLES = 64;

    private final DeviceRuntime rt;
    /** The backend whose storages this resizes; null for a test's recorder. */
    private final CudaBackend backend;
    private final Map<TableWords, DeviceStorage> tables = new HashMap<>();
    private boolean closed;

    /** Resizes on {@code backend}'s device and stream; storages passed in must belong to it. */
    public CudaBicubic(CudaBackend backend) {
        this(backend.runtime(), backend);
    }

    CudaBicubic(DeviceRuntime rt) {
        this(rt, null);
    }

    private CudaBicubic(DeviceRuntime rt, CudaBackend backend) {
        this.rt = rt;
        this.backend = backend;
    }

    /** What is written to y: the sums as floats, or rounded to uint8 and mapped linearly onto [lo, hi]. */
    public record Output(boolean quantize, float lo, float hi) {
        /** The resized values, unrounded (they may leave 0..255 near edges), as {@code Bicubic.resize}. */
        public static final Output RAW = new Output(false, 0, 0);

        /**
         * Rounded half away from zero and clamped to 0..255, as MATLAB returns for a uint8 image, then 0..255
         * mapped linearly onto [lo, hi]: {@code uint8(0, 1)} is the generator's LR input, {@code uint8(0, 255)}
         * the 8-bit values themselves.
         */
        public static Output uint8(float lo, float hi) {
            return new Output(true, lo, hi);
        }
    }

    /**
     * {@code y = imresize(x, scale, 'bicubic')}, unrounded: y is [n, c, ceil(h*scale), ceil(w*scale)].
     *
     * @throws IllegalArgumentException on a non-positive or infinite scale or storages too small for the shapes
     */
    public void resize(DeviceStorage x, int n, int c, int h, int w, double scale, DeviceStorage y) {
        resize(x, n, c, h, w, scale, y, Output.RAW);
    }

    /**
     * As {@link #resize(DeviceStorage, int, int, int, int, double, DeviceStorage)}, then rounded to uint8 and
     * mapped onto [lo, hi] ({@link Output#uint8}): the LR batch of the training pipeline is
     * {@code resizeToUint8(hr, n, 3, s, s, 1.0 / 4, 0, 1, lr)} for HR crops on the 0..255 scale.
     */
    public void resizeToUint8(DeviceStorage x, int n, int c, int h, int w, double scale, float lo, float hi,
                              DeviceStorage y) {
        resize(x, n, c, h, w, scale, y, Output.uint8(lo, hi));
    }

    private void resize(DeviceStorage x, int n, int c, int h, int w, double scale, DeviceStorage y, Output out) {
        BicubicTable rows = BicubicTable.matlab(h, scale);
        BicubicTable cols = BicubicTable.matlab(w, scale);
        resize(x, n, c, rows, cols, y, out);
    }

    /**
     * Resizes x [n, c, rows.inLength, cols.inLength] into y [n, c, rows.outLength, cols.outLength] with the given
     * tables (along H with {@code rows}, then along W with {@code cols}).
     *
     * @throws IllegalArgumentException if a storage is too small for its shape or belongs to another backend, or
     *                                  a size is negative
     */
    public void resize(DeviceStorage x, int n, int c, BicubicTable rows, BicubicTable cols, DeviceStorage y,
                       Output out) {
        if (closed) throw new IllegalStateException("CudaBicubic used after close()");
        if (n < 0 || c < 0) throw new IllegalArgumentException("batch " + n + " x " + c + " channels");
        if (backend != null && (x.backend() != backend || y.backend() != backend)) {
            throw new IllegalArgumentException("x and y must belong to the CUDA backend this CudaBicubic was made for");
        }
        int h = rows.inLength(), w = cols.inLength(), oh = rows.outLength(), ow = cols.outLength();
        long planes = (long) n * c;
        long inSize = planes * h * w, outSize = planes * oh * ow;
        if (x.size() < inSize || y.size() < outSize) {
            throw new IllegalArgumentException(String.format("x holds %d floats and y %d, but [%d, %d, %d, %d] -> "
                    + "[%d, %d, %d, %d] needs %d and %d", x.size(), y.size(), n, c, h, w, n, c, oh, ow, inSize,
                    outSize));
        }
        if (planes == 0) return;
        long tmpCount = planes * oh * w;
        // Emptied before, not between, the two look-ups: the first table must stay open until the launches.
        if (tables.size() + 2 > MAX_TABLES) closeTables();
        DeviceStorage rowTable = table(rows), colTable = table(cols);
        try (DeviceStorage tmp = rt.scratch(2 * tmpCount)) { // doubles
            rt.launch("bicubic", "bicubic_rows_f32", Grid.elementwise(tmpCount, rt.multiprocessorCount()), 1, 1,
                    Grid.THREADS, 1, 1, 0, x, tmp, rowTable, rows.taps(), planes, h, w, oh);
            rt.launch("bicubic", "bicubic_cols_f32", Grid.elementwise(outSize, rt.multiprocessorCount()), 1, 1,
                    Grid.THREADS, 1, 1, 0, tmp, y, colTable, cols.taps(), planes * oh, w, ow,
                    out.quantize() ? 1 : 0, out.lo(), out.hi());
        }
    }

    /** A table's device words, compared by content: hand-built tables never share a slot by accident. */
    private record TableWords(long[] words) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TableWords t && Arrays.equals(words, t.words);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(words);
        }
    }

    /** The device copy of {@code t}, uploaded on first use. */
    private DeviceStorage table(BicubicTable t) {
        TableWords key = new TableWords(deviceWords(t));
        DeviceStorage s = tables.get(key);
        if (s != null) return s;
        s = rt.scratch(2L * key.words().length);
        rt.uploadLongs(key.words(), s);
        tables.put(key, s);
        return s;
    }

    /**
     * The table as the kernels read it (bicubic.cu), in 64-bit words: the {@code outLength * taps} weights as
     * doubles, then the indices as 32-bit ints, two per word, the lower-numbered one in the low half (the device
     * is little-endian, so the ints then lie in memory in order).
     */
    static long[] deviceWords(BicubicTable t) {
        double[] weight = t.weight();
        int[] index = t.index();
        int count = weight.length;
        long[] words = new long[count + (count + 1) / 2];
        for (int i = 0; i < count; i++) words[i] = Double.doubleToRawLongBits(weight[i]);
        for (int i = 0; i < count; i++) {
            long bits = index[i] & 0xFFFFFFFFL;
            words[count + i / 2] |= (i & 1) == 0 ? bits : bits << 32;
        }
        return words;
    }

    private void closeTables() {
        for (DeviceStorage s : tables.values()) s.close();
        tables.clear();
    }

    /** Releases the device tables (work already queued still runs first). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeTables();
    }
}
