package srgan.engine.backend.cpu;

import static srgan.engine.backend.cpu.MicroKernels.L;

import java.util.Arrays;

import srgan.engine.backend.ConvGeometry;

/**
 * The convolution passes of the vector path, as implicit GEMMs over FMA micro-kernels ({@link MicroKernels}).
 *
 * <p>Shapes: input x {@code [N, Cin, H, W]}, weight w {@code [Cout, Cin, KH, KW]}, output y
 * {@code [N, Cout, OH, OW]}.
 *
 * <p><b>Forward and backward-data</b> are one engine, a {@link Job}: {@code out[m][t][u] (+)= sum over (c, i, j)
 * of A[m][(c, i, j)] * src[c][t * sIn + offY[i]][u * sIn + offX[j]]}, zero outside the source. The forward pass
 * is that with A = w and the taps {@code k - pad}. Backward-data is written as a gather, so each input pixel
 * has one owner and no two threads add into one gx element: input pixels split by phase
 * {@code (iy mod stride, ix mod stride)}, and within one phase only the taps {@code ky = (iy + pad) mod stride}
 * reach an output, which makes it a stride-1 correlation of gy with a sub-kernel (the whole flipped kernel at
 * stride 1), with no multiplies wasted on the zeros of a strided transposed convolution. At stride 2 with even
 * sizes (the discriminator's) the four phases run as one job and their results are zipped into gx
 * ({@link #backwardDataByPhases}).
 *
 * <p>A job's work items are bands of output rows of one image, or, for grids smaller than four blocks (the
 * discriminator's 6x6 outputs), several whole images. Each item first copies the source rows it needs into
 * zero-padded planes split by stride phase, so that every tap reads a run of consecutive floats; then, for each
 * set of blocks of {@code 3L} output pixels and each KC-deep slice of the depth, it packs the depth-by-pixel
 * panels (vector copies of those runs) and runs the 8x3 micro-kernel over every 8 rows of A and every block of
 * the set: the slice of A sits in L1 and the panels in L2, and A is read once per set. Layers with fewer than 8
 * output rows (the 9x9 tail's 3 channels) skip the panel, which would cost as much as it saves, and read the
 * planes in place (3x6 kernel) at the price of computing the planes' padding columns too.
 *
 * <p><b>Backward-weight</b> uses the input in NHWC order with zero padding, where the {@code KW * Cin} values
 * one kernel row sees at one output pixel are consecutive: {@code gw[oc][(kx, c)] for one ky += sum over
 * pixels of gy[oc][p] * xNhwc[row(p, ky)][(kx, c)]}, vectorised along (kx, c), gy broadcast. Both operands
 * are packed per chunk of pixels (gy as 8-channel panels, the (kx, c) runs side by side) for the 8x3 kernel;
 * with few input channels all kernel rows share one tile. Each tile of gw sums at most
 * {@link Conv#PIXEL_TILE} pixels in float registers, then adds that into double accumulators, as the scalar
 * path does; the float error is therefore that of a 256-term sum.
 *
 * <p>The 3x3, stride-1 layers whose channel counts are multiples of 64 go to {@link Winograd} instead.
 *
 * <p>Every output element is computed by one work item, with a fixed order of additions, so results are
 * bitwise the same for any thread count.
 */
final class VectorConv implements ConvKernels {
    /** Rows of the packed micro-tile. */
    private static final int MR = 8;
    /** Output pixels per packed panel: the micro-tile's width. */
    private static final int NB = 3 * L;
    /**
     * Floats per panel row: a vector more than NB, so that a run packed in whole vectors never spills into the
     * next row, which the run-by-run packing order may already have written.
     */
    private static final int PANEL_LD = NB + L;
    /**
     * Depth of one micro-kernel call in the packed path: that slice of the panel (KC x NB floats, 36 KiB with
     * 16 lanes) stays in L1 while every block of 8 rows passes over it.
     */
    private static final int KC = 192;
    /** Columns of A packed at a time (see pack). */
    private static final int PACK_COLUMNS = 256;
    /** Rows and width of the in-place tile for layers with fewer than {@link #MR} output rows. */
    private static final int SMALL_MR = 3;
    private static final int SMALL_NB = 6 * L;
    /** Widths of the weight-gradient tiles (8 rows x 3 vectors, or 3 rows x 6 vectors). */
    private static final int W_NB = 3 * L;
    private static final int W_SMALL_NB = 6 * L;
    /**
     * Most floats in one band's source planes (1 MiB): half an L2 of 2 MiB, so the planes a band's panels are
     * packed from stay there (measured on the discriminator's first stride-2 layer, whose whole image is 2.4
     * MiB of planes: 20-30% faster forward and backward-data than with one band per image).
     */
    private static final int BAND_FLOATS = 1 << 18;
    /** Most floats of the tiles, and of the panel slices, of one set of blocks in the packed path (512 KiB). */
    private static final int SET_FLOATS = 1 << 17;
    /** Parts of the pixels of a weight gradient with fewer tiles than this (see backwardWeight). */
    private static final int PIXEL_PARTS = 4;
    /** Most floats in the NHWC copy of a group of images for the weight gradient (16 MiB). */
    private static final int GROUP_FLOATS = 1 << 22;
    /** Most floats of the weight gradient's packed gy for a group of images (4 MiB). */
    private static final int PACKED_FLOATS = 1 << 20;

    private final Parallel parallel;
    /** The 3x3, stride-1, padding-1 layers with channel counts it takes. */
    private final Winograd winograd;
    /** Buffers of one call (packed weights, tables), kept by the calling thread. */
    private final ThreadLocal<Scratch> callBuffers = ThreadLocal.withInitial(() -> new Scratch(2, 1, 3));
    /** Buffers of one work item (band planes, panel, tile), kept by the thread that runs it. */
    private final ThreadLocal<Scratch> itemBuffers = ThreadLocal.withInitial(() -> new Scratch(4, 0, 2));

    VectorConv(Parallel parallel) {
        this.parallel = parallel;
        this.winograd = new Winograd(parallel);
    }

    /**
     * A GEMM operand read in place from a weight array: element (row, col) is
     * {@code w[colOffset[col] + row * rowStride]}.
     */
    private record Matrix(float[] w, int[] colOffset, int rowStride) {
    }

    // ---- forward and backward-data ----

    @Override
    public void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        if (Winograd.applies(g)) {
            winograd.forward(g, x, w, bias, y);
            return;
        }
        int cin = g.inChannels();
        int kh = g.kernelHeight();
        int kw = g.kernelWidth();
        int k = cin * kh * kw;
        Job job = new Job(x, g.n(), cin, g.inHeight(), g.inWidth(), g.stride(), taps(kh, g.padding()),
                taps(kw, g.padding()), g.outHeight(), g.outWidth(), g.outChannels(),
                y, g.outHeight(), g.outWidth(), 0, 0, 1, bias, true);
        int[] columns = callBuffers.get().ints(1, k);
        for (int col = 0; col < k; col++) columns[col] = col;
        run(job, new Matrix(w, columns, k));
    }

    /**
     * The Winograd layers, whose output transform writes every pixel of every tile row, and the stride-2 layers
     * of {@link #phasesInterleave}, whose phases together write every input pixel once.
     */
    @Override
    public boolean backwardDataFromZero(ConvGeometry g, float[] w, float[] gy, float[] gx) {
        if (Winograd.applies(g)) {
            winograd.backwardData(g, w, gy, gx, true);
            return true;
        }
        if (phasesInterleave(g)) {
            backwardDataByPhases(g, w, gy, gx, true);
            return true;
        }
        return false;
    }

    @Override
    public void backwardData(ConvGeometry g, float[] w, float[] gy, float[] gx) {
        if (Winograd.applies(g)) {
            winograd.backwardData(g, w, gy, gx, false);
            return;
        }
        if (phasesInterleave(g)) {
            backwardDataByPhases(g, w, gy, gx, false);
            return;
        }
        int cin = g.inChannels();
        int cout = g.outChannels();
        int kh = g.kernelHeight();
        int kw = g.kernelWidth();
        int stride = g.stride();
        int pad = g.padding();
        int h = g.inHeight();
        int wd = g.inWidth();
        for (int ry = 0; ry < Math.min(stride, h); ry++) {
            int[] kys = phaseTaps(ry, pad, stride, kh);
            if (kys.length == 0) continue;
            for (int rx = 0; rx < Math.min(stride, wd); rx++) {
                int[] kxs = phaseTaps(rx, pad, stride, kw);
                if (kxs.length == 0) continue;
                int taps = kys.length * kxs.length;
                Job job = new Job(gy, g.n(), cout, g.outHeight(), g.outWidth(), 1,
                        phaseOffsets(ry, pad, stride, kys), phaseOffsets(rx, pad, stride, kxs),
                        (h - ry + stride - 1) / stride, (wd - rx + stride - 1) / stride, cin,
                        gx, h, wd, ry, rx, stride, null, false);
                // A[c][(oc, i, j)] = w[oc][c][kys[i]][kxs[j]]: the sub-kernel this phase sees, transposed.
                int[] columns = callBuffers.get().ints(1, cout * taps);
                for (int oc = 0, col = 0; oc < cout; oc++) {
                    for (int ky : kys) {
                        for (int kx : kxs) columns[col++] = (oc * cin * kh + ky) * kw + kx;
                    }
                }
                run(job, new Matrix(w, columns, kh * kw));
            }
        }
    }

    /**
     * Whether backward-data can run {@link #backwardDataByPhases}: stride 2 (every stride-2 layer of the
     * discriminator), even input sizes, so that the four phases have the same grid and together cover each
     * input row pair and column pair, a kernel of at least 2x2, so that every phase has a tap, and at least
     * one packed tile of input channels.
     */
    private static boolean phasesInterleave(ConvGeometry g) {
        return g.stride() == 2 && g.inHeight() % 2 == 0 && g.inWidth() % 2 == 0 && g.kernelHeight() >= 2
                && g.kernelWidth() >= 2 && g.inChannels() >= MR;
    }

    /**
     * Backward-data of a {@link #phasesInterleave} layer with the four phases in one job. Their gathers read
     * the same rows of gy, with offsets 0 and 1 (at padding 1), so one band of gy serves all four; each block
     * of grid points is computed per phase into a tile of its own, and the four tiles are then zipped into
     * the two input rows they cover, in whole vectors. Done phase by phase (as other strides are), each phase
     * would copy the band again and read and write its strided pixels of gx one at a time, which costs as much
     * as the arithmetic of the phases with one or two taps. Each output is its phase's sum over the depth in
     * KC slices, added to gx (or written over it) once.
     */
    private void backwardDataByPhases(ConvGeometry g, float[] w, float[] gy, float[] gx, boolean overwrite) {
        int cin = g.inChannels();
        int cout = g.outChannels();
        int kh = g.kernelHeight();
        int kw = g.kernelWidth();
        int pad = g.padding();
        int h = g.inHeight();
        int wd = g.inWidth();
        int[][] kys = {phaseTaps(0, pad, 2, kh), phaseTaps(1, pad, 2, kh)};
        int[][] kxs = {phaseTaps(0, pad, 2, kw), phaseTaps(1, pad, 2, kw)};
        int[][] offY = {phaseOffsets(0, pad, 2, kys[0]), phaseOffsets(1, pad, 2, kys[1])};
        int[][] offX = {phaseOffsets(0, pad, 2, kxs[0]), phaseOffsets(1, pad, 2, kxs[1])};
        // The job's planes cover both phases' offsets; its own depth (k) is not used.
        Job job = new Job(gy, g.n(), cout, g.outHeight(), g.outWidth(), 1, concat(offY[0], offY[1]),
                concat(offX[0], offX[1]), h / 2, wd / 2, cin, gx, h, wd, 0, 0, 2, null, overwrite);
        int blocks = (int) Parallel.ceilDiv(cin, MR);
        Scratch call = callBuffers.get();
        // Per phase p = 2 ry + rx: its depth, and where its packed A and its depth offsets start.
        int[] depth = new int[4];
        int[] aStart = new int[5];
        int[] kStart = new int[5];
        for (int p = 0; p < 4; p++) {
            depth[p] = cout * kys[p / 2].length * kxs[p % 2].length;
            aStart[p + 1] = aStart[p] + blocks * depth[p] * MR;
            kStart[p + 1] = kStart[p] + depth[p];
        }
        float[] packed = call.floats(0, aStart[4]);
        int[] kOff = call.ints(0, kStart[4]);
        for (int p = 0; p < 4; p++) {
            int[] ky = kys[p / 2];
            int[] kx = kxs[p % 2];
            // A[c][(oc, i, j)] = w[oc][c][ky[i]][kx[j]]: the sub-kernel this phase sees, transposed.
            int[] columns = call.ints(1, depth[p]);
            for (int oc = 0, col = 0; oc < cout; oc++) {
                for (int y : ky) {
                    for (int x : kx) columns[col++] = (oc * cin * kh + y) * kw + x;
                }
            }
            pack(new Matrix(w, columns, kh * kw), cin, depth[p], MR, packed, aStart[p]);
            job.depthOffsets(offY[p / 2], offX[p % 2], kOff, kStart[p]);
        }
        float[] zeros = call.floats(1, blocks * MR);
        Arrays.fill(zeros, 0, blocks * MR, 0f);
        parallel.forEach(job.items(), item -> {
            int img0 = job.firstImage(item);
            int t0 = job.firstRow(item);
            int t1 = Math.min(job.gridH, t0 + job.bandRows);
            int perImage = (t1 - t0) * job.gridW;
            int points = job.imageCount(item) * perImage;
            // Sets of blocks as in bandPacked, each with a tile per phase.
            int set = setBlocks(4 * blocks * MR, points);
            int tileFloats = blocks * MR * NB;
            Scratch buf = itemBuffers.get();
            float[] band = buf.floats(0, job.images * job.bandSize());
            float[] panels = buf.floats(1, set * KC * PANEL_LD);
            int panel0 = buf.start(1);
            // Tile of phase p, block j of the set: tiles[(p * set + j) * tileFloats ...], row m NB floats long.
            float[] tiles = buf.floats(2, 4 * set * tileFloats);
            float[] sums = buf.floats(3, MR * NB);
            // Per block j: its runs from runs[5 NB j] (column in the tile, image, grid row, grid column, length),
            // up to runs[ends + j].
            int ends = set * 5 * NB;
            int[] runs = buf.ints(0, ends + set);
            job.fillItem(item, band);
            for (int s0 = 0; s0 < points; s0 += set * NB) {
                int nBlocks = (int) Math.min(set, Parallel.ceilDiv(points - s0, NB));
                for (int j = 0; j < nBlocks; j++) {
                    int q0 = s0 + j * NB;
                    int count = Math.min(NB, points - q0);
                    int nRuns = j * 5 * NB;
                    for (int q = q0; q < q0 + count; ) {
                        int u = q % job.gridW;
                        int len = Math.min(job.gridW - u, q0 + count - q);
                        runs[nRuns++] = q - q0;
                        runs[nRuns++] = q / perImage;
                        runs[nRuns++] = q % perImage / job.gridW;
                        runs[nRuns++] = u;
                        runs[nRuns++] = len;
                        q += len;
                    }
                    runs[ends + j] = nRuns;
                }
                for (int p = 0; p < 4; p++) {
                    int k = depth[p];
                    for (int kc0 = 0; kc0 < k; kc0 += KC) {
                        int kc = Math.min(KC, k - kc0);
                        for (int j = 0; j < nBlocks; j++) {
                            for (int r = j * 5 * NB; r < runs[ends + j]; r += 5) {
                                int from = runs[r + 1] * job.bandSize() + runs[r + 2] * job.wq + runs[r + 3];
                                MicroKernels.packRows(band, kOff, kStart[p] + kc0, from, panels,
                                        panel0 + j * KC * PANEL_LD + runs[r], PANEL_LD, runs[r + 4], kc);
                            }
                        }
                        for (int b = 0; b < blocks; b++) {
                            int rows = Math.min(MR, cin - b * MR);
                            for (int j = 0; j < nBlocks; j++) {
                                MicroKernels.packed8x3(kc, packed, aStart[p] + (b * k + kc0) * MR, panels,
                                        panel0 + j * KC * PANEL_LD, PANEL_LD, sums);
                                int tile = (p * set + j) * tileFloats + b * MR * NB;
                                if (kc0 == 0) {
                                    MicroKernels.storeTile(sums, tiles, tile, NB, rows, zeros, 0);
                                } else {
                                    MicroKernels.addTile(sums, tiles, tile, NB, rows);
                                }
                            }
                        }
                    }
                }
                for (int j = 0; j < nBlocks; j++) {
                    for (int r = j * 5 * NB; r < runs[ends + j]; r += 5) {
                        int row = 2 * (t0 + runs[r + 2]);
                        for (int m = 0; m < cin; m++) {
                            int plane = ((img0 + runs[r + 1]) * cin + m) * h;
                            for (int ry = 0; ry < 2; ry++) {
                                int even = ((2 * ry) * set + j) * tileFloats + m * NB + runs[r];
                                int odd = even + set * tileFloats;
                                MicroKernels.interleave(tiles, even, tiles, odd, runs[r + 4], gx,
                                        (plane + row + ry) * wd + 2 * runs[r + 3], !overwrite);
                            }
                        }
                    }
                }
            }
        });
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Forward taps: kernel index k reads input position {@code out * stride + k - pad}. */
    private static int[] taps(int kernel, int pad) {
        int[] off = new int[kernel];
        for (int i = 0; i < kernel; i++) off[i] = i - pad;
        return off;
    }

    /** Kernel taps k with {@code (r + pad - k) mod stride == 0}: the ones that reach input phase r. */
    private static int[] phaseTaps(int r, int pad, int stride, int kernel) {
        int count = 0;
        for (int k = 0; k < kernel; k++) if (Math.floorMod(r + pad - k, stride) == 0) count++;
        int[] taps = new int[count];
        count = 0;
        for (int k = 0; k < kernel; k++) if (Math.floorMod(r + pad - k, stride) == 0) taps[count++] = k;
        return taps;
    }

    /** For input {@code r + stride * t} and tap k, the output index is {@code t + (r + pad - k) / stride}. */
    private static int[] phaseOffsets(int r, int pad, int stride, int[] taps) {
        int[] off = new int[taps.length];
        for (int i = 0; i < taps.length; i++) off[i] = (r + pad - taps[i]) / stride;   // exact by construction
        return off;
    }

    /**
     * One implicit GEMM over all images: grid point (t, u) of output row m gets
     * {@code sum over k = (c, i, j) of A[m][k] * src[c][t * sIn + offY[i]][u * sIn + offX[j]]}, added to the
     * destination pixel {@code (oy0 + os * t, ox0 + os * u)} of channel m, or written over it (plus the bias).
     */
    private final class Job {
        final float[] src;
        final int n;
        final int srcC;
        final int srcH;
        final int srcW;
        final int sIn;
        final int[] offY;
        final int[] offX;
        final int gridH;
        final int gridW;
        final int m;
        final int k;
        final float[] dst;
        final int dstH;
        final int dstW;
        final int oy0;
        final int ox0;
        final int os;
        final float[] bias;
        final boolean overwrite;

        /** Fewer rows than one packed tile: read the planes in place. */
        final boolean direct;
        /** The destination's pixels are the grid's, in order: full tiles go straight into it. */
        final boolean contiguous;
        final int minOY;
        final int minOX;
        /** Width of a source plane: the grid's plus the taps' reach. */
        final int wq;
        /** Height of a source plane: a band's rows plus the taps' reach. */
        final int hq;
        final int bandRows;
        final int bands;
        final int planeFloats;
        /**
         * Images per work item: 1, or for grids of fewer than 4 panels (the discriminator's 6x6 outputs) the
         * fewest whole images whose points fill the panels best, so that no panel is a quarter empty.
         */
        final int images;

        Job(float[] src, int n, int srcC, int srcH, int srcW, int sIn, int[] offY, int[] offX, int gridH,
            int gridW, int m, float[] dst, int dstH, int dstW, int oy0, int ox0, int os, float[] bias,
            boolean overwrite) {
            this.src = src;
            this.n = n;
            this.srcC = srcC;
            this.srcH = srcH;
            this.srcW = srcW;
            this.sIn = sIn;
            this.offY = offY;
            this.offX = offX;
            this.gridH = gridH;
            this.gridW = gridW;
            this.m = m;
            this.k = srcC * offY.length * offX.length;
            this.dst = dst;
            this.dstH = dstH;
            this.dstW = dstW;
            this.oy0 = oy0;
            this.ox0 = ox0;
            this.os = os;
            this.bias = bias;
            this.overwrite = overwrite;
            this.direct = m < MR;
            this.contiguous = os == 1 && oy0 == 0 && ox0 == 0 && gridW == dstW && gridH == dstH;
            minOY = Arrays.stream(offY).min().orElseThrow();
            minOX = Arrays.stream(offX).min().orElseThrow();
            int reachY = (Arrays.stream(offY).max().orElseThrow() - minOY) / sIn;
            int reachX = (Arrays.stream(offX).max().orElseThrow() - minOX) / sIn;
            wq = gridW + reachX;
            int planes = sIn * sIn * srcC;
            images = direct ? 1 : imagesPerItem(n, gridH * gridW, parallel.threads());
            // At least three items per thread; bands small enough to keep the planes bounded.
            int wanted = (int) Math.max(1, Parallel.ceilDiv(3L * parallel.threads(), n));
            int rows = (int) Parallel.ceilDiv(gridH, Math.min(wanted, gridH));
            while (rows > 1 && (long) planes * (rows + reachY) * wq > BAND_FLOATS) rows = (rows + 1) / 2;
            if (images > 1) rows = gridH;
            bandRows = rows;
            bands = (int) Parallel.ceilDiv(gridH, rows);
            hq = rows + reachY;
            planeFloats = hq * wq;
        }

        /**
         * {@code into[at + k]}: the offset within the band planes of depth index k = (c, i, j) at grid point
         * (0, 0), for taps {@code ys, xs} (the job's own, or a subset of them).
         */
        int[] depthOffsets(int[] ys, int[] xs, int[] into, int at) {
            int taps = ys.length * xs.length;
            for (int c = 0; c < srcC; c++) {
                for (int i = 0; i < ys.length; i++) {
                    int dy = ys[i] - minOY;
                    for (int j = 0; j < xs.length; j++) {
                        int dx = xs[j] - minOX;
                        int plane = ((dy % sIn) * sIn + dx % sIn) * srcC + c;
                        into[at + c * taps + i * xs.length + j] = plane * planeFloats + dy / sIn * wq + dx / sIn;
                    }
                }
            }
            return into;
        }

        /** Floats a band's planes need, plus the slack the in-place kernel reads past the last plane. */
        int bandSize() {
            return sIn * sIn * srcC * planeFloats + wq + SMALL_NB + L;
        }

        int items() {
            return (int) Parallel.ceilDiv(n, images) * bands;
        }

        /** The first image of work item {@code item}. */
        int firstImage(int item) {
            return item / bands * images;
        }

        int imageCount(int item) {
            return Math.min(images, n - firstImage(item));
        }

        /** The first grid row of work item {@code item}. */
        int firstRow(int item) {
            return item % bands * bandRows;
        }

        /** The band planes of item {@code item}'s images, one band after the other, {@link #bandSize} apart. */
        void fillItem(int item, float[] band) {
            for (int i = 0; i < imageCount(item); i++) {
                fillBand(this, firstImage(item) + i, firstRow(item), band, i * bandSize());
            }
        }
    }

    /**
     * The fewest images per work item, up to 8, whose grid points leave the least of the last panel empty, as
     * long as there is still an item per thread; 1 for grids of 4 panels or more.
     */
    static int imagesPerItem(int n, int points, int threads) {
        if (points >= 4 * NB) return 1;
        int best = 1;
        long bestWaste = Parallel.ceilDiv(points, NB) * NB - points;
        for (int g = 2; g <= Math.min(n, 8) && Parallel.ceilDiv(n, g) >= threads; g++) {
            long waste = Parallel.ceilDiv((long) g * points, NB) * NB - (long) g * points;
            if (waste * best < bestWaste * g) {
                best = g;
                bestWaste = waste;
            }
        }
        return best;
    }

    private void run(Job job, Matrix a) {
        Scratch call = callBuffers.get();
        int rowsPerBlock = job.direct ? SMALL_MR : MR;
        float[] packed = call.floats(0, (int) Parallel.ceilDiv(job.m, rowsPerBlock) * job.k * rowsPerBlock);
        pack(a, job.m, job.k, rowsPerBlock, packed, 0);
        int[] kOff = job.depthOffsets(job.offY, job.offX, call.ints(0, job.k), 0);
        // What an overwriting job starts each output row from.
        float[] init = null;
        if (job.overwrite) {
            init = job.bias;
            if (init == null) {
                init = call.floats(1, job.m);
                Arrays.fill(init, 0, job.m, 0f);
            }
        }
        float[] start = init;
        parallel.forEach(job.items(), item -> {
            int t0 = job.firstRow(item);
            int t1 = Math.min(job.gridH, t0 + job.bandRows);
            Scratch buf = itemBuffers.get();
            float[] band = buf.floats(0, job.images * job.bandSize());
            job.fillItem(item, band);
            if (job.direct) {
                bandInPlace(job, job.firstImage(item), t0, t1, band, packed, kOff, start, buf);
            } else {
                bandPacked(job, job.firstImage(item), job.imageCount(item), t0, t1, band, packed, kOff, start, buf);
            }
        });
    }

    /**
     * Rows {@code [0, m)} and columns {@code [0, k)} of A packed per block of rows as {@code [block][k][row]} from
     * {@code packed[at]} on, zero past the last row; the discriminator's 512x4608 filters make this worth a
     * parallel loop. In chunks of {@link #PACK_COLUMNS} columns, so that a chunk's packed rows stay in L1 while
     * each of its rows is written into them (and, for backward-data, where A[c][(oc, tap)] = w[oc][c][tap] and a
     * chunk's columns are cache lines apart, the lines its first row reads serve the next rows too): 1.04-1.05x
     * on the discriminator's 512-channel stride-2 layer, whose packing took a fifth of its backward-data pass.
     */
    private void pack(Matrix a, int m, int k, int rowsPerBlock, float[] packed, int at) {
        int[] columns = a.colOffset();
        float[] w = a.w();
        parallel.forEach((int) Parallel.ceilDiv(m, rowsPerBlock), b -> {
            for (int c0 = 0; c0 < k; c0 += PACK_COLUMNS) {
                int c1 = Math.min(k, c0 + PACK_COLUMNS);
                for (int r = 0; r < rowsPerBlock; r++) {
                    int row = b * rowsPerBlock + r;
                    int to = at + (b * k + c0) * rowsPerBlock + r;
                    if (row < m) {
                        int base = row * a.rowStride();
                        for (int col = c0; col < c1; col++, to += rowsPerBlock) packed[to] = w[columns[col] + base];
                    } else {
                        for (int col = c0; col < c1; col++, to += rowsPerBlock) packed[to] = 0f;
                    }
                }
            }
        });
    }

    /**
     * Copies the source rows band {@code t0} needs into planes split by stride phase:
     * {@code plane(ry, rx, c)[i][v] = src[c][(t0 + i) * sIn + ry + minOY][v * sIn + rx + minOX]}, zero outside
     * the source; the planes start at {@code band[at]}.
     */
    private static void fillBand(Job job, int img, int t0, float[] band, int at) {
        int s = job.sIn;
        int srcPlane = job.srcH * job.srcW;
        for (int ry = 0; ry < s; ry++) {
            for (int rx = 0; rx < s; rx++) {
                int x0 = rx + job.minOX;
                // Columns v with 0 <= v * s + x0 < srcW.
                int vLo = Math.min(job.wq, Math.max(0, ceilDiv(-x0, s)));
                int vHi = Math.max(vLo, Math.min(job.wq, ceilDiv(job.srcW - x0, s)));
                for (int c = 0; c < job.srcC; c++) {
                    int plane = at + ((ry * s + rx) * job.srcC + c) * job.planeFloats;
                    int srcBase = (img * job.srcC + c) * srcPlane;
                    for (int i = 0; i < job.hq; i++) {
                        int row = plane + i * job.wq;
                        int sy = (t0 + i) * s + ry + job.minOY;
                        if (sy < 0 || sy >= job.srcH) {
                            Arrays.fill(band, row, row + job.wq, 0f);
                            continue;
                        }
                        Arrays.fill(band, row, row + vLo, 0f);
                        int from = srcBase + sy * job.srcW + vLo * s + x0;
                        if (s == 1) {
                            MicroKernels.copy(job.src, from, band, row + vLo, vHi - vLo);
                        } else if (s == 2) {
                            MicroKernels.copyEveryOther(job.src, from, band, row + vLo, vHi - vLo);
                        } else {
                            for (int v = vLo; v < vHi; v++, from += s) band[row + v] = job.src[from];
                        }
                        Arrays.fill(band, row + vHi, row + job.wq, 0f);
                    }
                }
            }
        }
    }

    /**
     * Packed path, GotoBLAS-style: the item's grid points (of all its images) in sets of up to
     * {@link #setBlocks} blocks of NB; for each KC-deep slice of the depth, the set's panels are packed for that
     * slice, and every 8 rows of A (an L1-sized slice of it) run over all of them, so A is read once per set
     * rather than once per block (the discriminator's last layers have 2-9 MiB of filters and a few blocks per
     * image). Blocks whose points are a run of the destination are summed in place; others (the last, partial
     * block; a block across two images; the strided points of a backward-data phase) go through a tile that
     * starts from the destination's values, so every output element sees the same additions in the same order
     * either way (which blocks are partial depends on the band split, hence on the thread count).
     */
    private static void bandPacked(Job job, int img0, int images, int t0, int t1, float[] band, float[] packed,
                                   int[] kOff, float[] init, Scratch buf) {
        int k = job.k;
        int blocks = (int) Parallel.ceilDiv(job.m, MR);
        int perImage = (t1 - t0) * job.gridW;
        int points = images * perImage;
        int set = setBlocks(blocks * MR, points);
        float[] panels = buf.floats(1, set * KC * PANEL_LD);
        int panel0 = buf.start(1);
        float[] tiles = buf.floats(2, set * blocks * MR * NB);
        float[] sums = buf.floats(3, MR * NB);
        // Per block of the set: its runs (column in the panel, offset in the item's planes, length), from
        // runs[3 NB j]; where each point goes in the destination's first channel; where the block's tile is
        // (its place in the destination when it is a run of it, else in tiles), and that row stride.
        int[] runs = buf.ints(0, set * 3 * NB + 2 * set);
        int[] pos = buf.ints(1, set * NB);
        int dstPlane = job.dstH * job.dstW;
        int ends = set * 3 * NB;
        for (int s0 = 0; s0 < points; s0 += set * NB) {
            int nBlocks = (int) Math.min(set, Parallel.ceilDiv(points - s0, NB));
            for (int j = 0; j < nBlocks; j++) {
                int q0 = s0 + j * NB;
                int count = Math.min(NB, points - q0);
                int nRuns = j * 3 * NB;
                for (int q = q0; q < q0 + count; ) {
                    int image = q / perImage;
                    int t = q % perImage / job.gridW;
                    int u = q % job.gridW;
                    int len = Math.min(job.gridW - u, q0 + count - q);
                    runs[nRuns++] = q - q0;
                    runs[nRuns++] = image * job.bandSize() + t * job.wq + u;
                    runs[nRuns++] = len;
                    int at = (img0 + image) * job.m * dstPlane + (job.oy0 + job.os * (t0 + t)) * job.dstW + job.ox0
                            + job.os * u;
                    for (int v = 0; v < len; v++) pos[j * NB + q - q0 + v] = at + job.os * v;
                    q += len;
                }
                runs[ends + 2 * j] = nRuns;
                boolean inPlace = job.contiguous && count == NB && q0 / perImage == (q0 + NB - 1) / perImage;
                runs[ends + 2 * j + 1] = inPlace
                        ? -1 - (((img0 + q0 / perImage) * job.m) * dstPlane + t0 * job.gridW + q0 % perImage)
                        : j * blocks * MR * NB;
                if (!inPlace && init == null) {
                    for (int row = 0; row < job.m; row++) {
                        int base = row * dstPlane;
                        int tile = (j * blocks * MR + row) * NB;
                        for (int i = 0; i < count; i++) tiles[tile + i] = job.dst[base + pos[j * NB + i]];
                    }
                }
            }
            for (int kc0 = 0; kc0 < k; kc0 += KC) {
                int kc = Math.min(KC, k - kc0);
                // Run by run, so the inner loop is a fixed-length copy per depth index; runs go left to right, so
                // each whole-vector copy's overhang is overwritten by the next run.
                for (int j = 0; j < nBlocks; j++) {
                    for (int r = j * 3 * NB; r < runs[ends + 2 * j]; r += 3) {
                        MicroKernels.packRows(band, kOff, kc0, runs[r + 1], panels,
                                panel0 + j * KC * PANEL_LD + runs[r], PANEL_LD, runs[r + 2], kc);
                    }
                }
                for (int b = 0; b < blocks; b++) {
                    int rows = Math.min(MR, job.m - b * MR);
                    for (int j = 0; j < nBlocks; j++) {
                        MicroKernels.packed8x3(kc, packed, (b * k + kc0) * MR, panels, panel0 + j * KC * PANEL_LD,
                                PANEL_LD, sums);
                        int where = runs[ends + 2 * j + 1];
                        float[] c = where < 0 ? job.dst : tiles;
                        int cOff = where < 0 ? -1 - where + b * MR * dstPlane : where + b * MR * NB;
                        int ldc = where < 0 ? dstPlane : NB;
                        if (kc0 == 0 && init != null) {
                            MicroKernels.storeTile(sums, c, cOff, ldc, rows, init, b * MR);
                        } else {
                            MicroKernels.addTile(sums, c, cOff, ldc, rows);
                        }
                    }
                }
            }
            for (int j = 0; j < nBlocks; j++) {
                if (runs[ends + 2 * j + 1] < 0) continue;
                int count = Math.min(NB, points - s0 - j * NB);
                for (int row = 0; row < job.m; row++) {
                    int base = row * dstPlane;
                    int tile = (j * blocks * MR + row) * NB;
                    for (int i = 0; i < count; i++) job.dst[base + pos[j * NB + i]] = tiles[tile + i];
                }
            }
        }
    }

    /**
     * Blocks of NB points per set of {@link #bandPacked}: as many as the item has, within 512 KiB of tiles
     * ({@code rows x NB} floats a block) and of panel slices (KC x PANEL_LD floats a block).
     */
    private static int setBlocks(int rows, int points) {
        int byTiles = SET_FLOATS / (rows * NB);
        int byPanels = SET_FLOATS / (KC * PANEL_LD);
        return (int) Math.max(1, Math.min(Parallel.ceilDiv(points, NB), Math.min(byTiles, byPanels)));
    }

    /**
     * In-place path for fewer than 8 rows: tiles of SMALL_NB consecutive plane positions, padding columns
     * included, each summing the whole depth before it joins the destination (or the row's start value).
     */
    private static void bandInPlace(Job job, int img, int t0, int t1, float[] band, float[] packed, int[] kOff,
                                    float[] init, Scratch buf) {
        int k = job.k;
        float[] tile = buf.floats(2, SMALL_MR * SMALL_NB);
        int dstPlane = job.dstH * job.dstW;
        int span = (t1 - t0) * job.wq;
        int blocks = (int) Parallel.ceilDiv(job.m, SMALL_MR);
        for (int p0 = 0; p0 < span; p0 += SMALL_NB) {
            for (int b = 0; b < blocks; b++) {
                MicroKernels.offsets3x6(k, packed, b * k * SMALL_MR, band, kOff, p0, tile);
                int rows = Math.min(SMALL_MR, job.m - b * SMALL_MR);
                for (int r = 0; r < rows; r++) {
                    int m = b * SMALL_MR + r;
                    int base = (img * job.m + m) * dstPlane;
                    for (int j = 0; j < SMALL_NB && p0 + j < span; j++) {
                        int t = (p0 + j) / job.wq;
                        int u = (p0 + j) % job.wq;
                        if (u >= job.gridW) continue;   // a padding column of the planes
                        int at = base + (job.oy0 + job.os * (t0 + t)) * job.dstW + job.ox0 + job.os * u;
                        job.dst[at] = (init != null ? init[m] : job.dst[at]) + tile[r * SMALL_NB + j];
                    }
                }
            }
        }
    }

    // ---- backward-weight ----

    @Override
    public void backwardWeight(ConvGeometry g, float[] x, float[] gy, float[] gw) {
        if (Winograd.appliesToWeights(g)) {
            winograd.backwardWeight(g, x, gy, gw);
            return;
        }
        int n = g.n();
        int cin = g.inChannels();
        int cout = g.outChannels();
        int kh = g.kernelHeight();
        int kw = g.kernelWidth();
        int stride = g.stride();
        int oh = g.outHeight();
        int ow = g.outWidth();
        int pixels = oh * ow;
        // The NHWC copy covers exactly the padded rows and columns the output pixels reach.
        int hp = (oh - 1) * stride + kh;
        int wp = (ow - 1) * stride + kw;
        int run = kw * cin;   // consecutive (kx, c) values one kernel row sees at one pixel
        boolean small = cout < MR;
        int mr = small ? SMALL_MR : MR;
        int nb = small ? W_SMALL_NB : W_NB;
        int mBlocks = (int) Parallel.ceilDiv(cout, mr);
        // Few input channels (the discriminator's first layer: 3, so 9 values per kernel row): all kernel rows
        // share one tile, gathered side by side, instead of one mostly empty tile each.
        boolean fused = !small && kh * run <= nb;
        int rowsPerTile = fused ? kh : 1;
        int tileRows = fused ? 1 : kh;
        int chunks = fused ? 1 : (int) Parallel.ceilDiv(run, nb);
        int tiles = mBlocks * tileRows * chunks;
        int tileSize = mr * nb;
        int imageFloats = hp * wp * cin;
        // Images per group: the NHWC copies within GROUP_FLOATS, and the packed gy within PACKED_FLOATS so it is
        // still in cache when the kernels read it back (the discriminator's first layer has 37 MB of gy).
        int packedPerImage = (int) Parallel.ceilDiv(cout, MR) * MR * pixels;
        int group = Math.max(1, Math.min(n, Math.min(GROUP_FLOATS / imageFloats, PACKED_FLOATS / packedPerImage)));

        // Few tiles (the discriminator's first layer has one): the pixel chunks are split into a fixed number of
        // parts, each summed into a double accumulator of its own, so all threads have work; the parts are added
        // in order at the end. Fixed by the geometry, not the thread count, as everything here.
        int parts = small || tileRows * chunks >= PIXEL_PARTS ? 1 : PIXEL_PARTS;
        Scratch call = callBuffers.get();
        double[] acc = call.doubles(0, (long) parts * tiles * tileSize);
        Arrays.fill(acc, 0, parts * tiles * tileSize, 0.0);
        // Slack past the last image: the last chunk of a row reads up to a tile's width beyond its run.
        float[] xs = call.floats(0, group * imageFloats + nb + L);
        // Pixel p = (y, x) of a gy plane sees its NHWC values (kx, c) for kernel row 0 at xAt[p].
        int[] xAt = call.ints(0, pixels);
        for (int y = 0, p = 0; y < oh; y++) {
            for (int u = 0; u < ow; u++, p++) xAt[p] = (y * wp + u) * stride * cin;
        }
        int[] offsets = Winograd.channelOffsets(g.inHeight() * g.inWidth());
        // Chunks of at most PIXEL_TILE pixels, of balanced size.
        int pixelChunks = (int) Parallel.ceilDiv(pixels, Conv.PIXEL_TILE);
        int perChunk = (int) Parallel.ceilDiv(pixels, pixelChunks);
        if (small) {
            // Fewer than 8 output channels (the tail): gy rows broadcast in place, 3x6 tiles.
            int items = Math.min(tiles, 4 * parallel.threads());
            for (int g0 = 0; g0 < n; g0 += group) {
                int first = g0;
                int count = Math.min(group, n - g0);
                parallel.forEach(count, i -> toNhwc(g, x, first + i, hp, wp, offsets, xs, i * imageFloats));
                parallel.forEach(items, item -> {
                    int tile0 = (int) ((long) item * tiles / items);
                    int tile1 = (int) ((long) (item + 1) * tiles / items);
                    // L floats of slack for addToDouble.
                    float[] tile = itemBuffers.get().floats(2, tileSize + L);
                    // Pixel chunks outside the tiles: the rows one chunk reaches (a few hundred KiB for the tail's
                    // 9x9 kernel) stay in L2 while every tile reads them, where a tile sweeping the whole image
                    // would stream it from L3 once per tile. Each tile still sums its chunks in the same order.
                    for (int i = 0; i < count; i++) {
                        int img = first + i;
                        for (int p0 = 0; p0 < pixels; p0 += perChunk) {
                            int p1 = Math.min(pixels, p0 + perChunk);
                            for (int t = tile0; t < tile1; t++) {
                                int chunk = t % chunks;
                                int ky = (t / chunks) % kh;
                                int mb = t / (chunks * kh);
                                int rows = Math.min(mr, cout - mb * mr);
                                int gyOff = (img * cout + mb * mr) * pixels;
                                int xOff = i * imageFloats + ky * wp * cin + chunk * nb;
                                MicroKernels.weight3x6(gy, gyOff, pixels, rows, xs, xOff, xAt, p0, p1, tile);
                                MicroKernels.addToDouble(tile, 0, acc, t * tileSize, tileSize);
                            }
                        }
                    }
                });
            }
        } else {
            // Both operands packed, so the 8x3 kernel streams contiguous panels: gy as [block of 8 channels]
            // [pixel of the image group][8] (shared by all items), and per item and pixel chunk the (kx, c) runs
            // of its kernel row and column chunk as [pixel][NB], reused by every block of 8 output channels.
            // Chunks run over the group's pixels, across images, so small images (the discriminator's 6x6
            // outputs) still sum up to PIXEL_TILE pixels in registers before each flush to double.
            int groupPixels = group * pixels;
            float[] gyPacked = call.floats(1, mBlocks * groupPixels * MR);
            int[] xAtGroup = call.ints(1, groupPixels);
            for (int g0 = 0; g0 < n; g0 += group) {
                int first = g0;
                int count = Math.min(group, n - g0);
                int qCount = count * pixels;
                int qChunks = (int) Parallel.ceilDiv(qCount, Conv.PIXEL_TILE);
                int qPerChunk = (int) Parallel.ceilDiv(qCount, qChunks);
                for (int q = 0; q < qCount; q++) xAtGroup[q] = (q / pixels) * imageFloats + xAt[q % pixels];
                // Per image, the NHWC copy and each block of 8 channels of gy: one job each.
                parallel.forEach(count * (mBlocks + 1), job -> {
                    int i = job / (mBlocks + 1);
                    int b = job % (mBlocks + 1);
                    if (b == mBlocks) {
                        toNhwc(g, x, first + i, hp, wp, offsets, xs, i * imageFloats);
                    } else {
                        packRows(gy, ((first + i) * cout + b * MR) * pixels, Math.min(MR, cout - b * MR), pixels,
                                gyPacked, i * pixels * MR + b * qCount * MR, qCount * MR);
                    }
                });
                parallel.forEach(tileRows * chunks * parts, item -> {
                    int part = item % parts;
                    int chunk = item / parts % chunks;
                    int ky = item / parts / chunks;
                    Scratch buf = itemBuffers.get();
                    float[] tile = buf.floats(2, tileSize + L);
                    // Lanes past the gathered values hold stale floats; their sums are never read.
                    float[] panel = buf.floats(fused ? 3 : 1, qPerChunk * NB);
                    int panel0 = buf.start(fused ? 3 : 1);
                    int xOff = ky * wp * cin + chunk * nb;
                    int qFrom = (int) ((long) part * qChunks / parts) * qPerChunk;
                    int qTo = Math.min(qCount, (int) ((long) (part + 1) * qChunks / parts) * qPerChunk);
                    int accOff = part * tiles * tileSize;
                    for (int q0 = qFrom; q0 < qTo; q0 += qPerChunk) {
                        int q1 = Math.min(qCount, q0 + qPerChunk);
                        if (fused) {
                            for (int q = q0; q < q1; q++) {
                                // Whole vectors, left to right: each run's overhang is overwritten by the next, and
                                // the last one's lands in lanes past the gathered values.
                                for (int r = 0; r < kh; r++) {
                                    MicroKernels.copyWhole(xs, xOff + r * wp * cin + xAtGroup[q], panel,
                                            panel0 + (q - q0) * NB + r * run, run);
                                }
                            }
                        } else {
                            MicroKernels.gatherRuns(xs, xOff, xAtGroup, q0, q1, panel, panel0);
                        }
                        for (int mb = 0; mb < mBlocks; mb++) {
                            MicroKernels.packed8x3(q1 - q0, gyPacked, (mb * qCount + q0) * MR, panel, panel0, NB,
                                    tile);
                            int t = (mb * tileRows + ky) * chunks + chunk;
                            MicroKernels.addToDouble(tile, 0, acc, accOff + t * tileSize, tileSize);
                        }
                    }
                });
            }
        }
        for (int part = 1; part < parts; part++) {
            for (int e = 0, at = part * tiles * tileSize; e < tiles * tileSize; e++) acc[e] += acc[at + e];
        }
        // Where lane `col` of a tile row's sums goes in a filter [Cin][KH][KW], kernel row offset aside.
        int[] colOffset = call.ints(2, run * rowsPerTile);
        for (int col = 0; col < run * rowsPerTile; col++) {
            colOffset[col] = (col % cin) * kh * kw + (col / run) * kw + (col % run) / cin;
        }
        // One output channel at a time, so the writes stay within its filters (Cin * KH * KW floats, in L1) and the
        // tiles of its block are read in order; item by tile, the writes went to eight channels' filters 18 KiB
        // apart (the discriminator's 512-channel layers) and the flush took a quarter of the weight gradient
        // (this order: 1.07-1.14x on the weight gradients of its 12x12 and 24x24 layers).
        int tilesPerBlock = tileRows * chunks;
        parallel.forEach(mBlocks, mb -> {
            int rows = Math.min(mr, cout - mb * mr);
            for (int r = 0; r < rows; r++) {
                for (int t = mb * tilesPerBlock; t < (mb + 1) * tilesPerBlock; t++) {
                    int chunk = t % chunks;
                    int tileRow = (t / chunks) % tileRows;
                    int lanes = Math.min(nb, run * rowsPerTile - chunk * nb);
                    int filter = (mb * mr + r) * cin * kh * kw + tileRow * kw;
                    int from = t * tileSize + r * nb;
                    for (int lane = 0; lane < lanes; lane++) {
                        int at = filter + colOffset[chunk * nb + lane];
                        gw[at] = (float) (gw[at] + acc[from + lane]);
                    }
                }
            }
        });
    }

    /**
     * Image {@code img} of x into NHWC with the zero padding included: {@code xs[at + (r * wp + v) * Cin + c] =
     * x[img][c][r - pad][v - pad]} for {@code r < hp}, {@code v < wp}; {@code offsets} are
     * {@link Winograd#channelOffsets} of x's plane.
     */
    private static void toNhwc(ConvGeometry g, float[] x, int img, int hp, int wp, int[] offsets, float[] xs,
                               int at) {
        int cin = g.inChannels();
        int h = g.inHeight();
        int w = g.inWidth();
        int pad = g.padding();
        int vLo = Math.min(wp, pad);
        int vHi = Math.max(vLo, Math.min(wp, w + pad));
        for (int r = 0; r < hp; r++) {
            int row = at + r * wp * cin;
            int sy = r - pad;
            if (sy < 0 || sy >= h) {
                Arrays.fill(xs, row, row + wp * cin, 0f);
                continue;
            }
            Arrays.fill(xs, row, row + vLo * cin, 0f);
            Arrays.fill(xs, row + vHi * cin, row + wp * cin, 0f);
            int from = (img * cin * h + sy) * w - pad;
            if (cin % 4 == 0) {
                Winograd.transposeRow(x, from + vLo, h * w, offsets, cin, vHi - vLo, xs, row + vLo * cin);
            } else {
                for (int c = 0; c < cin; c++) {
                    int sc = from + c * h * w;
                    for (int v = vLo; v < vHi; v++) xs[row + v * cin + c] = x[sc + v];
                }
            }
        }
    }

    /**
     * Rows {@code [0, rows)} of a {@code rows x width} matrix at {@code src[from]} packed per block of 8 rows
     * as {@code [block][column][8]}, block b at {@code dst[at + b * blockStride]}, zero past the last row: the
     * A panels of packed8x3. In column chunks, so the chunk's panel stays in L1 while its 8 rows are written.
     */
    private static void packRows(float[] src, int from, int rows, int width, float[] dst, int at, int blockStride) {
        final int chunk = 512;
        int blocks = (int) Parallel.ceilDiv(rows, MR);
        for (int b = 0; b < blocks; b++) {
            for (int c0 = 0; c0 < width; c0 += chunk) {
                int c1 = Math.min(width, c0 + chunk);
                for (int r = 0; r < MR; r++) {
                    int row = b * MR + r;
                    int d = at + b * blockStride + c0 * MR + r;
                    if (row >= rows) {
                        for (int col = c0; col < c1; col++, d += MR) dst[d] = 0f;
                        continue;
                    }
                    int s = from + row * width;
                    for (int col = c0; col < c1; col++, d += MR) dst[d] = src[s + col];
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return Math.floorDiv(a + b - 1, b);
    }
}
