package srgan.engine.backend.cpu;

import static srgan.engine.backend.cpu.MicroKernels.F;
import static srgan.engine.backend.cpu.MicroKernels.L;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

import srgan.engine.backend.ConvGeometry;

/**
 * 3x3, stride-1, padding-1 convolutions (SRResNet's body and upsampling layers, the discriminator's stride-1
 * layers) by Winograd's minimal filtering F(2x2, 3x3): each 2x2 block of outputs ("tile") costs 16 multiplies
 * per input channel instead of 36, so the three passes do 2.25 times fewer FLOPs than the direct kernels of
 * {@link VectorConv}. With {@code d} a 4x4 input patch, {@code g} a 3x3 filter and {@code dy} a 2x2 output
 * gradient (Lavin and Gray, 2015):
 * <pre>
 *   y   = A^T [ (G g G^T) (.) (B^T d B) ] A          forward (and backward-data, with the filter flipped)
 *   dg  = G^T [ sum over tiles (A dy A^T) (.) (B^T d B) ] G      backward-weight
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * </pre>
 * where (.) is the element-wise product, which over channels becomes 16 independent GEMMs, one per position
 * of the 4x4 transformed tile.
 *
 * <p>Numerics. The transforms only add, subtract and halve, and the sums run over the same channels (or, for
 * the weight gradient, over at most {@link #CHUNK_TILES} tiles = {@link Conv#PIXEL_TILE} pixels in float, then
 * in double, as the direct kernels). Measured in a float32 simulation against the parity tests' tolerances
 * ({@code 4 sqrt(K) U} relative to the output's scale), F(2x2, 3x3) stays within 0.7 of the bound on every test
 * shape, as the direct kernels do (within 0.35); F(4x4, 3x3), 4 times fewer multiplies, exceeds it up to 11-fold,
 * so it is not used.
 *
 * <p>Layout. Channels are the vector lanes throughout: the input is copied to NHWC with its zero padding, so a
 * patch element of 16 channels is one vector load; transformed tiles are stored {@code [position][tile][channel]}
 * and the GEMMs broadcast along tiles and vectorise along output channels (5x4 kernel). Hence the requirement
 * that both channel counts be multiples of {@link #CHANNELS} (64 with AVX-512), which every such layer of SRGAN
 * meets; other layers take the direct path. Results do not depend on the thread count.
 */
final class Winograd {
    /** Channel counts must be multiples of this: the GEMMs' vector width. */
    static final int CHANNELS = 4 * L;
    /** Rows of the 5x4 micro-tile. */
    private static final int MR = 5;
    /** Tiles per float chain of the weight gradient: 4 pixels each, {@link Conv#PIXEL_TILE} in all. */
    static final int CHUNK_TILES = Conv.PIXEL_TILE / 4;
    /** Partitions of the weight gradient's tiles: fixed, so results do not depend on the thread count. */
    private static final int PARTITIONS = 4;
    /** Most doubles of partial weight gradients (one per partition of the tiles) held at once. */
    private static final int PARTIAL_DOUBLES = 1 << 20;
    /** Tiles per work item of the forward pass (whole tile rows): their transforms stay in L2. */
    private static final int BAND_TILES = 64;

    private final Parallel parallel;
    /** The calling thread's transformed filters and partial weight gradients. */
    private final ThreadLocal<Scratch> callBuffers = ThreadLocal.withInitial(() -> new Scratch(1, 1, 0));
    /** A work item's padded NHWC copies, transformed tiles, products and transform scratch. */
    private final ThreadLocal<Scratch> itemBuffers = ThreadLocal.withInitial(() -> new Scratch(5, 0, 0));

    Winograd(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Whether a convolution takes this path. */
    static boolean applies(ConvGeometry g) {
        return g.kernelHeight() == 3 && g.kernelWidth() == 3 && g.stride() == 1 && g.padding() == 1
                && g.inChannels() % CHANNELS == 0 && g.outChannels() % CHANNELS == 0;
    }

    /**
     * Scratch floats an item needs: a 5x4 micro-tile and the vector of slack that {@link MicroKernels#addToDouble}
     * reads past it, or 16 transform vectors plus two output rows.
     */
    private static int scratchSize(Grid grid) {
        return Math.max(MR * CHANNELS + L, (8 + 4 * grid.tw()) * L + 16 * L);
    }

    /**
     * Floats from one position's transformed tiles to the next's ({@code [position][tile][channel]}): the tiles'
     * floats and a cache line more. Without the line, bands whose tiles span a multiple of 4 KiB (48 tiles of
     * 64 or 256 channels, the 48x48 layers) put all 16 positions of a tile in one set of the L1 cache, whose
     * 12 ways cannot hold the 16 lines that a transform writes (or reads) together. (Measured with and without,
     * alternating in one JVM: 1.00-1.04x on the body and discriminator layers; it costs nothing.)
     */
    private static int posStride(int tiles, int channels) {
        return tiles * channels + Scratch.LINE_BYTES / Float.BYTES;
    }

    /** Tile grid and padded NHWC copy of one image. */
    private record Grid(int h, int w, int th, int tw) {
        static Grid of(int h, int w) {
            return new Grid(h, w, (h + 1) / 2, (w + 1) / 2);
        }

        int tiles() {
            return th * tw;
        }

        /** Rows and columns of the padded copy: one zero row/column before, enough after for whole tiles. */
        int hp() {
            return 2 * th + 2;
        }

        int wp() {
            return 2 * tw + 2;
        }
    }

    // ---- forward and backward-data ----

    void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        convolve(g.n(), g.inChannels(), g.outChannels(), Grid.of(g.inHeight(), g.inWidth()), x, w, false, bias,
                true, y);
    }

    /**
     * At stride 1 and padding 1 the input gradient is the output gradient correlated with the flipped filter.
     * Added into gx, or with {@code fromZero} written over it (gx then stands for zeros and is not read; the
     * values are the same, each output being 0 plus its sum either way).
     */
    void backwardData(ConvGeometry g, float[] w, float[] gy, float[] gx, boolean fromZero) {
        convolve(g.n(), g.outChannels(), g.inChannels(), Grid.of(g.inHeight(), g.inWidth()), gy, w, true, null,
                fromZero, gx);
    }

    /**
     * {@code dst (+)= conv3x3(src, filter)} with padding 1: {@code src [n][cin][h][w]}, {@code dst
     * [n][cout][h][w]}; with {@code overwrite}, dst is written from the bias (or zero), else added to. The filter
     * of (o, c) is {@code w[o][c]} (weights {@code [cout][cin][3][3]}), or with {@code flipped} (the input
     * gradient) {@code w[c][o]} turned by 180 degrees (weights {@code [cin][cout][3][3]}).
     */
    private void convolve(int n, int cin, int cout, Grid grid, float[] src, float[] w, boolean flipped,
                          float[] bias, boolean overwrite, float[] dst) {
        Scratch call = callBuffers.get();
        // U[pos][c][o] = (G g G^T)[pos] for filter (o, c), stored per block of CHANNELS outputs,
        // u[((pos * blocks + o / CHANNELS) * cin + c) * CHANNELS + o % CHANNELS]: the cin x CHANNELS slab a
        // micro-kernel streams is then contiguous (with 512 outputs, rows of 256 bytes 2 KiB apart otherwise).
        float[] u = call.floats(0, 16L * cin * cout);
        int u0 = call.start(0);
        int blocks = cout / CHANNELS;
        // U is written along o (runs of L, or of all outputs when flipped), and w is read filter after filter
        // along its rows. With c outer and o inner the forward read w down its columns (filters 9 KiB apart),
        // and this loop took a quarter of the discriminator's 256 -> 512 forward pass; this order makes that
        // pass 1.06x faster.
        int oRun = flipped ? cout : L;
        int posStep = blocks * cin * CHANNELS;
        parallel.forRange(flipped ? cin : cout / oRun, 1, (from, to) -> {
            for (int item = from; item < to; item++) {
                int c0 = flipped ? item : 0;
                int c1 = flipped ? item + 1 : cin;
                int o0 = flipped ? 0 : item * oRun;
                for (int c = c0; c < c1; c++) {
                    for (int o = o0; o < o0 + oRun; o++) {
                        transformFilter(w, flipped ? (c * cout + o) * 9 : (o * cin + c) * 9, flipped, u,
                                u0 + ((o / CHANNELS) * cin + c) * CHANNELS + o % CHANNELS, posStep);
                    }
                }
            }
        });
        // Work items are bands of tile rows of one image, each taken from NHWC copy to output in buffers of
        // its own that stay in L2: the transformed tiles are 4 times the size of the image, and a pass over them
        // all from memory would cost more than the GEMMs.
        int bandRows = Math.max(1, Math.min(grid.th(), BAND_TILES / grid.tw()));
        int wanted = (int) Parallel.ceilDiv(3L * parallel.threads(), n);
        bandRows = Math.max(1, Math.min(bandRows, (int) Parallel.ceilDiv(grid.th(), wanted)));
        int rowsPerBand = bandRows;
        int bands = (int) Parallel.ceilDiv(grid.th(), rowsPerBand);
        int[] offsets = channelOffsets(grid.h() * grid.w());
        parallel.forEach(n * bands, item -> {
            int img = item / bands;
            int i0 = (item % bands) * rowsPerBand;
            int i1 = Math.min(grid.th(), i0 + rowsPerBand);
            int tiles = (i1 - i0) * grid.tw();
            Scratch buf = itemBuffers.get();
            int rowFloats = grid.wp() * cin;
            float[] band = buf.floats(0, (2L * (i1 - i0) + 2) * rowFloats);
            float[] v = buf.floats(1, 16L * posStride(tiles, cin));
            float[] m = buf.floats(2, 16L * posStride(tiles, cout) + MR * cout);
            float[] scratch = buf.floats(3, scratchSize(grid));
            int band0 = buf.start(0);
            int v0 = buf.start(1);
            int m0 = buf.start(2);
            int s0 = buf.start(3);
            toPaddedNhwc(src, img, cin, offsets, grid, 2 * i0, 2 * i1 + 2, band, band0);
            // The band's padded rows start at 2 * i0, its tiles at i0 * tw: shift both bases accordingly.
            for (int i = i0; i < i1; i++) {
                transformInputRow(band, band0 - 2 * i0 * rowFloats, cin, grid, i, v, v0, tiles, -i0 * grid.tw(),
                        scratch, s0);
            }
            // M[pos][t][o] = sum over c of V[pos][t][c] U[pos][c][o].
            for (int pos = 0; pos < 16; pos++) {
                for (int o0 = 0; o0 < cout; o0 += CHANNELS) {
                    for (int t = 0; t < tiles; t += MR) {
                        int rows = Math.min(MR, tiles - t);
                        // Writes MR rows of M even past the band's last tile: M has a block of slack rows.
                        MicroKernels.rows5x4(cin, v, v0 + pos * posStride(tiles, cin) + t * cin, cin, 1, rows, u,
                                u0 + (pos * blocks + o0 / CHANNELS) * cin * CHANNELS, CHANNELS, m,
                                m0 + pos * posStride(tiles, cout) + t * cout + o0, cout);
                    }
                }
            }
            for (int i = i0; i < i1; i++) {
                transformOutputRow(m, m0, tiles, -i0 * grid.tw(), cout, grid, i, dst, img, bias, overwrite, scratch,
                        s0);
            }
        });
    }

    /**
     * {@code u[uAt + (4 xi + nu) * posStep] = (float) (G g G^T)[xi][nu]}, in double, for the filter
     * {@code g[ky][kx] = w[at + 3 ky + kx]}, or with {@code flipped} {@code w[at + 8 - 3 ky - kx]}. G g: rows
     * g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of the filter's rows a, b, c, per column; then the same on
     * each of those rows' three columns, row xi giving positions 4 xi + nu. In locals and straight into U: with
     * the rows and positions in two scratch arrays, as before, it took 44 ns a filter, a fifth of the
     * discriminator's 256 -> 512 forward pass. (One filter per vector lane was faster on that layer alone, but
     * in the whole model C2 left some of its stores un-intrinsified and boxed every vector they stored.)
     */
    private static void transformFilter(float[] w, int at, boolean flipped, float[] u, int uAt, int posStep) {
        double a0 = w[flipped ? at + 8 : at];
        double a1 = w[flipped ? at + 7 : at + 1];
        double a2 = w[flipped ? at + 6 : at + 2];
        double b0 = w[flipped ? at + 5 : at + 3];
        double b1 = w[at + 4];
        double b2 = w[flipped ? at + 3 : at + 5];
        double c0 = w[flipped ? at + 2 : at + 6];
        double c1 = w[flipped ? at + 1 : at + 7];
        double c2 = w[flipped ? at : at + 8];
        transformedRow(a0, a1, a2, u, uAt, posStep);
        transformedRow((a0 + b0 + c0) / 2, (a1 + b1 + c1) / 2, (a2 + b2 + c2) / 2, u, uAt + 4 * posStep, posStep);
        transformedRow((a0 - b0 + c0) / 2, (a1 - b1 + c1) / 2, (a2 - b2 + c2) / 2, u, uAt + 8 * posStep, posStep);
        transformedRow(c0, c1, c2, u, uAt + 12 * posStep, posStep);
    }

    /** Positions g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of one transformed row, rounded to float. */
    private static void transformedRow(double g0, double g1, double g2, float[] u, int at, int posStep) {
        u[at] = (float) g0;
        u[at + posStep] = (float) ((g0 + g1 + g2) / 2);
        u[at + 2 * posStep] = (float) ((g0 - g1 + g2) / 2);
        u[at + 3 * posStep] = (float) g2;
    }

    /**
     * Padded rows {@code [r0, r1)} of image {@code img} of src into NHWC, starting at {@code dst[at]}, with a
     * zero border: padded {@code (r, q)} is {@code src[r - 1][q - 1]}, zero outside the image.
     */
    private static void toPaddedNhwc(float[] src, int img, int channels, int[] offsets, Grid grid, int r0, int r1,
                                     float[] dst,
                                     int at) {
        int wp = grid.wp();
        int h = grid.h();
        int w = grid.w();
        int rowFloats = wp * channels;
        int plane = h * w;
        for (int r = r0; r < r1; r++) {
            int row = at + (r - r0) * rowFloats;
            if (r < 1 || r > h) {
                Arrays.fill(dst, row, row + rowFloats, 0f);
                continue;
            }
            Arrays.fill(dst, row, row + channels, 0f);
            Arrays.fill(dst, row + (w + 1) * channels, row + rowFloats, 0f);
            transposeRow(src, (img * channels * h + r - 1) * w, plane, offsets, channels, w, dst, row + channels);
        }
    }

    /**
     * One image row to NHWC: {@code dst[d + q * channels + c] = src[s + c * plane + q]} for {@code q < w},
     * {@code c < channels} (a multiple of 4). With whole vectors of channels, one gather per pixel and block of
     * L channels, {@code offsets} being {@link #channelOffsets channelOffsets(plane)} (measured on AVX-512 from
     * L2: 24 GB/s against 13 for the scalar loop); otherwise four channels at a time: four sequential read
     * streams, and 16-byte runs of writes.
     */
    static void transposeRow(float[] src, int s, int plane, int[] offsets, int channels, int w, float[] dst, int d) {
        if (channels % L == 0) {
            for (int c = 0; c < channels; c += L) {
                int from = s + c * plane;
                for (int q = 0, at = d + c; q < w; q++, at += channels) {
                    FloatVector.fromArray(F, src, from + q, offsets, 0).intoArray(dst, at);
                }
            }
            return;
        }
        for (int c = 0; c < channels; c += 4) {
            int s0 = s + c * plane;
            int s1 = s0 + plane;
            int s2 = s1 + plane;
            int s3 = s2 + plane;
            for (int q = 0, at = d + c; q < w; q++, at += channels) {
                dst[at] = src[s0 + q];
                dst[at + 1] = src[s1 + q];
                dst[at + 2] = src[s2 + q];
                dst[at + 3] = src[s3 + q];
            }
        }
    }

    /** {@code i * L} for {@code i < L}: the index map that reads one lane of L consecutive vectors. */
    private static final int[] LANE_STRIDE = java.util.stream.IntStream.range(0, L).map(i -> i * L).toArray();

    /**
     * The index map of a gather of L consecutive channels of a plane-major tensor, {@code i * plane}: made once
     * per convolution and handed to {@link #transposeRow}.
     */
    static int[] channelOffsets(int plane) {
        int[] offsets = new int[L];
        for (int i = 0; i < L; i++) offsets[i] = i * plane;
        return offsets;
    }

    /**
     * {@code V[pos][t][c] = (B^T d B)[pos]} for the tiles of tile row i of one image, d the 4x4 patch at padded
     * rows and columns {@code 2i.., 2j..}; vectorised over channels. Rows first ({@code u = d B}), through the
     * scratch, then columns, so each loop holds a handful of vector operations (see MicroKernels on C2's
     * inlining budget). V starts at {@code v[vAt]}, the scratch at {@code scratch[sAt]}.
     */
    private static void transformInputRow(float[] nhwc, int at, int channels, Grid grid, int i, float[] v, int vAt,
                                          int tiles, int tileBase, float[] scratch, int sAt) {
        int wp = grid.wp();
        int posStride = posStride(tiles, channels);
        for (int j = 0; j < grid.tw(); j++) {
            int t = tileBase + i * grid.tw() + j;
            for (int c = 0; c < channels; c += L) {
                int patch = at + ((2 * i) * wp + 2 * j) * channels + c;
                for (int a = 0; a < 4; a++) {
                    int p = patch + a * wp * channels;
                    FloatVector d0 = FloatVector.fromArray(F, nhwc, p);
                    FloatVector d1 = FloatVector.fromArray(F, nhwc, p + channels);
                    FloatVector d2 = FloatVector.fromArray(F, nhwc, p + 2 * channels);
                    FloatVector d3 = FloatVector.fromArray(F, nhwc, p + 3 * channels);
                    d0.sub(d2).intoArray(scratch, sAt + (4 * a) * L);
                    d1.add(d2).intoArray(scratch, sAt + (4 * a + 1) * L);
                    d2.sub(d1).intoArray(scratch, sAt + (4 * a + 2) * L);
                    d1.sub(d3).intoArray(scratch, sAt + (4 * a + 3) * L);
                }
                for (int nu = 0; nu < 4; nu++) {
                    FloatVector r0 = FloatVector.fromArray(F, scratch, sAt + nu * L);
                    FloatVector r1 = FloatVector.fromArray(F, scratch, sAt + (4 + nu) * L);
                    FloatVector r2 = FloatVector.fromArray(F, scratch, sAt + (8 + nu) * L);
                    FloatVector r3 = FloatVector.fromArray(F, scratch, sAt + (12 + nu) * L);
                    int out = vAt + t * channels + c + nu * posStride;
                    r0.sub(r2).intoArray(v, out);
                    r1.add(r2).intoArray(v, out + 4 * posStride);
                    r2.sub(r1).intoArray(v, out + 8 * posStride);
                    r1.sub(r3).intoArray(v, out + 12 * posStride);
                }
            }
        }
    }

    /**
     * {@code y[2i + a][2j + b] (+)= (A^T M A)[a][b]} for the tiles of tile row i of image img, vectorised over
     * output channels into two NHWC rows in scratch, which are then written out plane by plane (NCHW), within
     * the image's bounds. M starts at {@code m[mAt]}, the scratch at {@code scratch[sAt]}.
     */
    private static void transformOutputRow(float[] m, int mAt, int tiles, int tileBase, int channels, Grid grid,
                                           int i, float[] dst, int img, float[] bias, boolean overwrite,
                                           float[] scratch, int sAt) {
        int posStride = posStride(tiles, channels);
        int w = grid.w();
        int wq = 2 * grid.tw();
        int rows = Math.min(2, grid.h() - 2 * i);
        // scratch: 8 vectors of row sums, then the two output rows [a][x][lane] of one block of L channels.
        int out = sAt + 8 * L;
        for (int c = 0; c < channels; c += L) {
            for (int j = 0; j < grid.tw(); j++) {
                int in = mAt + (tileBase + i * grid.tw() + j) * channels + c;
                // Rows: s = m0 + m1 + m2, d = m1 - m2 - m3 for each column nu.
                for (int nu = 0; nu < 4; nu++) {
                    FloatVector m0 = FloatVector.fromArray(F, m, in + nu * posStride);
                    FloatVector m1 = FloatVector.fromArray(F, m, in + (4 + nu) * posStride);
                    FloatVector m2 = FloatVector.fromArray(F, m, in + (8 + nu) * posStride);
                    FloatVector m3 = FloatVector.fromArray(F, m, in + (12 + nu) * posStride);
                    m0.add(m1).add(m2).intoArray(scratch, sAt + nu * L);
                    m1.sub(m2).sub(m3).intoArray(scratch, sAt + (4 + nu) * L);
                }
                // Columns, for the two rows of the tile: y[a][0] = q0 + q1 + q2, y[a][1] = q1 - q2 - q3.
                for (int a = 0; a < 2; a++) {
                    FloatVector q0 = FloatVector.fromArray(F, scratch, sAt + (4 * a) * L);
                    FloatVector q1 = FloatVector.fromArray(F, scratch, sAt + (4 * a + 1) * L);
                    FloatVector q2 = FloatVector.fromArray(F, scratch, sAt + (4 * a + 2) * L);
                    FloatVector q3 = FloatVector.fromArray(F, scratch, sAt + (4 * a + 3) * L);
                    int at = out + (a * wq + 2 * j) * L;
                    q0.add(q1).add(q2).intoArray(scratch, at);
                    q1.sub(q2).sub(q3).intoArray(scratch, at + L);
                }
            }
            // Out to NCHW: a run of L consecutive pixels of one channel is one gather from the scratch rows. With
            // an even width the tile row's two output rows are adjacent in the plane and in the scratch, so they
            // are one run of 2w pixels: whole vectors for the 24-wide layers, where a run per row left a third of
            // the pixels to a scalar tail (and all of them at 12 wide).
            boolean joined = rows == 2 && wq == w;
            int runs = joined ? 1 : rows;
            int len = joined ? 2 * w : w;
            for (int lane = 0; lane < L; lane++) {
                int o = c + lane;
                float start = overwrite && bias != null ? bias[o] : 0f;
                for (int a = 0; a < runs; a++) {
                    writeChannelRun(scratch, out + a * wq * L + lane, dst,
                            ((img * channels + o) * grid.h() + 2 * i + a) * w, len, overwrite, start);
                }
            }
        }
    }

    /**
     * {@code dst[at + x] = start + scratch[from + x L]} (or {@code +=} without overwrite) for {@code x < len}, in
     * gathers of L. When overwriting, a run of at least L that ends in part of a vector takes its last L pixels
     * as one more vector, overlapping the one before, whose lanes it rewrites with the same values; otherwise
     * the rest goes one pixel at a time. (Adding only the new lanes of such a vector takes a mask, which JDK 17
     * builds on the heap at every call: 2 MB of garbage per backward pass of the discriminator's 12x12 layers.)
     */
    private static void writeChannelRun(float[] scratch, int from, float[] dst, int at, int len, boolean overwrite,
                                        float start) {
        FloatVector startVector = FloatVector.broadcast(F, start);
        int x = 0;
        for (; x + L <= len; x += L) {
            FloatVector v = FloatVector.fromArray(F, scratch, from + x * L, LANE_STRIDE, 0);
            (overwrite ? v.add(startVector) : v.add(FloatVector.fromArray(F, dst, at + x))).intoArray(dst, at + x);
        }
        if (x == len) return;
        if (overwrite && len >= L) {
            int back = len - L;
            FloatVector.fromArray(F, scratch, from + back * L, LANE_STRIDE, 0).add(startVector)
                    .intoArray(dst, at + back);
        } else if (overwrite) {
            for (; x < len; x++) dst[at + x] = start + scratch[from + x * L];
        } else {
            for (; x < len; x++) dst[at + x] += scratch[from + x * L];
        }
    }

    // ---- backward-weight ----

    /** Whether the weight gradient takes this path: the transformed gradient must stay a few MiB. */
    static boolean appliesToWeights(ConvGeometry g) {
        return applies(g) && 16L * g.inChannels() * g.outChannels() <= PARTIAL_DOUBLES / 2;
    }

    /**
     * {@code gw += G^T [sum over tiles (A dy A^T) (.) (B^T d B)] G}: the 16 transformed products are GEMMs over
     * tiles, {@code dU[pos][o][c] = sum_t DY[pos][t][o] V[pos][t][c]}. Work items are a fixed number of
     * partitions of the bands of tile rows (independent of the thread count), each band transformed in L2 and
     * summed in float over at most {@link #CHUNK_TILES} tiles, then into the partition's double accumulator;
     * the partitions are added in order at the end.
     */
    void backwardWeight(ConvGeometry g, float[] x, float[] gy, float[] gw) {
        int n = g.n();
        int cin = g.inChannels();
        int cout = g.outChannels();
        Grid grid = Grid.of(g.inHeight(), g.inWidth());
        int size = 16 * cout * cin;
        int bandRows = Math.max(1, Math.min(grid.th(), CHUNK_TILES / grid.tw()));
        int bandsPerImage = (int) Parallel.ceilDiv(grid.th(), bandRows);
        int bands = n * bandsPerImage;
        int partitions = Math.max(1, Math.min(Math.min(PARTITIONS, bands), PARTIAL_DOUBLES / size));
        Scratch call = callBuffers.get();
        double[] partial = call.doubles(0, (long) partitions * size);
        int p0 = call.doubleStart(0);
        int oBlocks = (int) Parallel.ceilDiv(cout, MR);
        int[] offsets = channelOffsets(grid.h() * grid.w());
        parallel.forEach(partitions, part -> {
            Scratch buf = itemBuffers.get();
            int b0 = (int) ((long) part * bands / partitions);
            int b1 = (int) ((long) (part + 1) * bands / partitions);
            int xRow = grid.wp() * cin;
            int gyRow = 2 * grid.tw() * cout;
            Arrays.fill(partial, p0 + part * size, p0 + (part + 1) * size, 0.0);
            for (int b = b0; b < b1; b++) {
                int img = b / bandsPerImage;
                int i0 = (b % bandsPerImage) * bandRows;
                int i1 = Math.min(grid.th(), i0 + bandRows);
                int tiles = (i1 - i0) * grid.tw();
                float[] xn = buf.floats(0, (2L * (i1 - i0) + 2) * xRow);
                float[] gyn = buf.floats(4, 2L * (i1 - i0) * gyRow);
                float[] v = buf.floats(1, 16L * posStride(tiles, cin));
                float[] dy = buf.floats(2, 16L * posStride(tiles, cout));
                float[] scratch = buf.floats(3, scratchSize(grid));
                int xn0 = buf.start(0);
                int v0 = buf.start(1);
                int dy0 = buf.start(2);
                int s0 = buf.start(3);
                int gyn0 = buf.start(4);
                toPaddedNhwc(x, img, cin, offsets, grid, 2 * i0, 2 * i1 + 2, xn, xn0);
                toTiledNhwc(gy, img, cout, offsets, grid, 2 * i0, 2 * i1, gyn, gyn0);
                for (int i = i0; i < i1; i++) {
                    transformInputRow(xn, xn0 - 2 * i0 * xRow, cin, grid, i, v, v0, tiles, -i0 * grid.tw(), scratch,
                            s0);
                    transformGradientRow(gyn, gyn0 - 2 * i0 * gyRow, cout, grid, i, dy, dy0, tiles, -i0 * grid.tw(),
                            scratch, s0);
                }
                int base = p0 + part * size;
                for (int pos = 0; pos < 16; pos++) {
                    for (int ob = 0; ob < oBlocks; ob++) {
                        int o0 = ob * MR;
                        int rows = Math.min(MR, cout - o0);
                        for (int c0 = 0; c0 < cin; c0 += CHANNELS) {
                            for (int t0 = 0; t0 < tiles; t0 += CHUNK_TILES) {
                                int depth = Math.min(CHUNK_TILES, tiles - t0);
                                MicroKernels.rows5x4(depth, dy, dy0 + pos * posStride(tiles, cout) + t0 * cout + o0, 1,
                                        cout, rows, v, v0 + pos * posStride(tiles, cin) + t0 * cin + c0, cin, scratch,
                                        s0, CHANNELS);
                                for (int r = 0; r < rows; r++) {
                                    MicroKernels.addToDouble(scratch, s0 + r * CHANNELS, partial,
                                            base + (pos * cout + o0 + r) * cin + c0, CHANNELS);
                                }
                            }
                        }
                    }
                }
            }
        });
        // dU = the partitions' sum, in partition order, into the first.
        if (partitions > 1) {
            parallel.forRange(size, 1 << 12, (from, to) -> {
                for (int part = 1; part < partitions; part++) {
                    int at = p0 + part * size;
                    for (int e = from; e < to; e++) partial[p0 + e] += partial[at + e];
                }
            });
        }
        // gw[o][c] += G^T dU[o][c] G, in double, rounded once.
        parallel.forRange(cout, 1, (from, to) -> {
            double[] t = new double[16];
            for (int o = from; o < to; o++) {
                for (int c = 0; c < cin; c++) {
                    for (int pos = 0; pos < 16; pos++) t[pos] = partial[p0 + (pos * cout + o) * cin + c];
                    int at = (o * cin + c) * 9;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            double sum = 0;
                            for (int xi = 0; xi < 4; xi++) {
                                double gRow = G[xi][ky];
                                if (gRow == 0) continue;
                                for (int nu = 0; nu < 4; nu++) sum += gRow * t[4 * xi + nu] * G[nu][kx];
                            }
                            gw[at + ky * 3 + kx] = (float) (gw[at + ky * 3 + kx] + sum);
                        }
                    }
                }
            }
        });
    }

    private static final double[][] G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

    /**
     * Rows {@code [r0, r1)} of image {@code img} of gy into NHWC at {@code dst[at]}, {@code 2 tw} wide, zero past
     * the image.
     */
    private static void toTiledNhwc(float[] gy, int img, int channels, int[] offsets, Grid grid, int r0, int r1,
                                    float[] dst, int at) {
        int wq = 2 * grid.tw();
        int w = grid.w();
        int rowFloats = wq * channels;
        int plane = grid.h() * w;
        for (int r = r0; r < r1; r++) {
            int row = at + (r - r0) * rowFloats;
            if (r >= grid.h()) {
                Arrays.fill(dst, row, row + rowFloats, 0f);
                continue;
            }
            if (wq > w) Arrays.fill(dst, row + w * channels, row + rowFloats, 0f);
            transposeRow(gy, (img * channels * grid.h() + r) * w, plane, offsets, channels, w, dst, row);
        }
    }

    /**
     * {@code DY[pos][t][o] = (A dy A^T)[pos]} for tile row i, dy the 2x2 gradient block at rows and columns
     * {@code 2i.., 2j..}; {@code A dy A^T} spreads each row (and then column) pair (p, q) to (p, p + q, p - q, -q).
     * DY starts at {@code dy[dyAt]}, the scratch at {@code scratch[sAt]}.
     */
    private static void transformGradientRow(float[] gyn, int at, int channels, Grid grid, int i, float[] dy,
                                             int dyAt, int tiles, int tileBase, float[] scratch, int sAt) {
        int wq = 2 * grid.tw();
        int posStride = posStride(tiles, channels);
        for (int j = 0; j < grid.tw(); j++) {
            int t = tileBase + i * grid.tw() + j;
            for (int c = 0; c < channels; c += L) {
                int block = at + ((2 * i) * wq + 2 * j) * channels + c;
                for (int a = 0; a < 2; a++) {
                    FloatVector p = FloatVector.fromArray(F, gyn, block + a * wq * channels);
                    FloatVector q = FloatVector.fromArray(F, gyn, block + a * wq * channels + channels);
                    p.intoArray(scratch, sAt + (4 * a) * L);
                    p.add(q).intoArray(scratch, sAt + (4 * a + 1) * L);
                    p.sub(q).intoArray(scratch, sAt + (4 * a + 2) * L);
                    q.neg().intoArray(scratch, sAt + (4 * a + 3) * L);
                }
                for (int nu = 0; nu < 4; nu++) {
                    FloatVector p = FloatVector.fromArray(F, scratch, sAt + nu * L);
                    FloatVector q = FloatVector.fromArray(F, scratch, sAt + (4 + nu) * L);
                    int out = dyAt + t * channels + c + nu * posStride;
                    p.intoArray(dy, out);
                    p.add(q).intoArray(dy, out + 4 * posStride);
                    p.sub(q).intoArray(dy, out + 8 * posStride);
                    q.neg().intoArray(dy, out + 12 * posStride);
                }
            }
        }
    }
}
