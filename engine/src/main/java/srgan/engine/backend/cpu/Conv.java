package srgan.engine.backend.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import srgan.engine.backend.ConvGeometry;

/**
 * The three convolution passes of the CPU backend, all as "gather a column matrix, then GEMM" over tiles of
 * pixels, so no pass ever materialises a whole image's column matrix (a 9x9 convolution from 64 channels on a
 * 384x384 image would need 3 GB).
 *
 * <p>Shapes: input x {@code [N, Cin, H, W]}, weight w {@code [Cout, Cin, KH, KW]}, output y
 * {@code [N, Cout, OH, OW]}; P = OH * OW output pixels, K = Cin * KH * KW the length of each dot product.
 *
 * <ul>
 *   <li><b>Forward</b>: per (image, tile of output pixels), {@code y_tile = W [Cout x K] * col [K x tile] + b}.</li>
 *   <li><b>Backward data</b> is written as a gather, not the usual GEMM-then-col2im scatter, so each input
 *       pixel is owned by one work item and no two threads ever add into the same gx element. Input pixels
 *       are split by phase {@code (ih mod stride, iw mod stride)}: within one phase only the taps
 *       {@code ky = (ih + pad) mod stride} (and likewise kx) reach an output, which makes it a stride-1
 *       correlation of gy with a sub-kernel and wastes no multiplies on the zeros of a strided
 *       transposed convolution.</li>
 *   <li><b>Backward weight</b>: work items are blocks of gw; each walks every image and pixel tile in order,
 *       {@code gw_block += gy_tile * col_tile^T}, adding each tile's float product into a double accumulator.
 *       The reduction over N * P is thus exact to double except within one tile, and its order does not
 *       depend on the thread count.</li>
 * </ul>
 * Every output element is computed by one work item in a fixed order, so all three passes give bitwise the
 * same result for any thread count.
 */
final class Conv implements ConvKernels {
    /**
     * Output pixels per tile: long enough rows for the GEMM's inner loop, small enough to stay in cache. It is
     * also the longest float sum in any weight gradient, on both paths (VectorConv, Winograd): beyond it, sums
     * continue in double.
     */
    static final int PIXEL_TILE = 256;
    /** Rows of the column matrix gathered at once; with PIXEL_TILE, a 512 KiB buffer per thread. */
    static final int ROW_CHUNK = 512;
    /** Columns of gw per backward-weight work item. */
    static final int WEIGHT_COLUMN_BLOCK = 64;
    /** Fewest output channels worth a separate work item (each re-gathers its columns). */
    private static final int MIN_CHANNEL_BLOCK = 16;

    private final Parallel parallel;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(2, 0, 0));

    Conv(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        int n = g.n(), cin = g.inChannels(), h = g.inHeight(), wd = g.inWidth(), cout = g.outChannels();
        int stride = g.stride(), ow = g.outWidth(), pixels = g.outHeight() * ow;
        int k = cin * g.kernelHeight() * g.kernelWidth();
        int[] dy = tapOffsets(g.kernelHeight(), g.padding());
        int[] dx = tapOffsets(g.kernelWidth(), g.padding());
        // A 1x1, stride-1, unpadded convolution's column matrix is the input itself.
        boolean pointwise = g.kernelHeight() == 1 && g.kernelWidth() == 1 && stride == 1 && g.padding() == 0;
        int tiles = (int) Parallel.ceilDiv(pixels, PIXEL_TILE);
        int ocBlock = channelBlock(cout, n * tiles);
        int ocBlocks = (int) Parallel.ceilDiv(cout, ocBlock);
        parallel.forEach(n * tiles * ocBlocks, item -> {
            int oc0 = (item % ocBlocks) * ocBlock;
            int oc1 = Math.min(cout, oc0 + ocBlock);
            int tile = (item / ocBlocks) % tiles;
            int img = item / (ocBlocks * tiles);
            int p0 = tile * PIXEL_TILE;
            int count = Math.min(PIXEL_TILE, pixels - p0);
            int yTile = img * cout * pixels + p0;
            for (int oc = oc0; oc < oc1; oc++) {
                int at = yTile + oc * pixels;
                Arrays.fill(y, at, at + count, bias == null ? 0f : bias[oc]);
            }
            int xImage = img * cin * h * wd;
            if (pointwise) {
                Gemm.accumulate(oc1 - oc0, count, k, 1f, w, oc0 * k, k, 1, x, xImage + p0, pixels,
                        y, yTile + oc0 * pixels, pixels);
                return;
            }
            float[] col = scratch.get().floats(0, Math.min(k, ROW_CHUNK) * count);
            for (int r0 = 0; r0 < k; r0 += ROW_CHUNK) {
                int r1 = Math.min(k, r0 + ROW_CHUNK);
                gather(x, xImage, h, wd, stride, dy, dx, ow, p0, count, r0, r1, col, false);
                Gemm.accumulate(oc1 - oc0, count, r1 - r0, 1f, w, oc0 * k + r0, k, 1, col, 0, count,
                        y, yTile + oc0 * pixels, pixels);
            }
        });
    }

    /** The input pixels of one stride phase and the sub-kernel that reaches them. */
    private static final class Phase {
        final int ry;
        final int rx;
        final int gridH;
        final int gridW;
        /** Offsets into gy of each kept tap: output row = grid row + dy[i]. */
        final int[] dy;
        final int[] dx;
        /** Rows of this phase's column matrix: Cout * taps. */
        final int depth;
        /** The sub-kernel as [Cin, Cout * dy.length * dx.length]. */
        final float[] weight;
        final int tiles;
        /** Index of this phase's first tile among all phases' tiles. */
        int firstTile;

        Phase(int ry, int rx, int gridH, int gridW, int[] kys, int[] kxs, int[] dy, int[] dx,
              float[] w, int cin, int cout, int kh, int kw) {
            this.ry = ry;
            this.rx = rx;
            this.gridH = gridH;
            this.gridW = gridW;
            this.dy = dy;
            this.dx = dx;
            this.depth = cout * kys.length * kxs.length;
            this.weight = new float[cin * depth];
            for (int c = 0; c < cin; c++) {
                for (int oc = 0; oc < cout; oc++) {
                    for (int i = 0; i < kys.length; i++) {
                        for (int j = 0; j < kxs.length; j++) {
                            weight[c * depth + (oc * kys.length + i) * kxs.length + j] =
                                    w[((oc * cin + c) * kh + kys[i]) * kw + kxs[j]];
                        }
                    }
                }
            }
            this.tiles = (int) Parallel.ceilDiv((long) gridH * gridW, PIXEL_TILE);
        }
    }

    @Override
    public void backwardData(ConvGeometry g, float[] w, float[] gy, float[] gx) {
        int n = g.n(), cin = g.inChannels(), h = g.inHeight(), wd = g.inWidth(), cout = g.outChannels();
        int kh = g.kernelHeight(), kw = g.kernelWidth(), stride = g.stride(), pad = g.padding();
        int oh = g.outHeight(), ow = g.outWidth();
        List<Phase> phases = new ArrayList<>();
        int totalTiles = 0;
        for (int ry = 0; ry < Math.min(stride, h); ry++) {
            int[] kys = phaseTaps(ry, pad, stride, kh);
            if (kys.length == 0) continue;
            for (int rx = 0; rx < Math.min(stride, wd); rx++) {
                int[] kxs = phaseTaps(rx, pad, stride, kw);
                if (kxs.length == 0) continue;
                Phase ph = new Phase(ry, rx, (h - ry + stride - 1) / stride, (wd - rx + stride - 1) / stride,
                        kys, kxs, phaseOffsets(ry, pad, stride, kys), phaseOffsets(rx, pad, stride, kxs),
                        w, cin, cout, kh, kw);
                ph.firstTile = totalTiles;
                totalTiles += ph.tiles;
                phases.add(ph);
            }
        }
        if (phases.isEmpty()) return;   // the kernel skips every input pixel: nothing to accumulate
        Phase[] tileOwner = new Phase[totalTiles];
        for (Phase ph : phases) Arrays.fill(tileOwner, ph.firstTile, ph.firstTile + ph.tiles, ph);
        int tilesPerImage = totalTiles;
        int cBlock = channelBlock(cin, n * tilesPerImage);
        int cBlocks = (int) Parallel.ceilDiv(cin, cBlock);
        parallel.forEach(n * tilesPerImage * cBlocks, item -> {
            int c0 = (item % cBlocks) * cBlock;
            int c1 = Math.min(cin, c0 + cBlock);
            int globalTile = (item / cBlocks) % tilesPerImage;
            int img = item / (cBlocks * tilesPerImage);
            Phase ph = tileOwner[globalTile];
            int q0 = (globalTile - ph.firstTile) * PIXEL_TILE;
            int count = Math.min(PIXEL_TILE, ph.gridH * ph.gridW - q0);
            Scratch s = scratch.get();
            float[] sum = s.floats(1, (c1 - c0) * count);
            Arrays.fill(sum, 0, (c1 - c0) * count, 0f);
            float[] col = s.floats(0, Math.min(ph.depth, ROW_CHUNK) * count);
            int gyImage = img * cout * oh * ow;
            for (int r0 = 0; r0 < ph.depth; r0 += ROW_CHUNK) {
                int r1 = Math.min(ph.depth, r0 + ROW_CHUNK);
                gather(gy, gyImage, oh, ow, 1, ph.dy, ph.dx, ph.gridW, q0, count, r0, r1, col, false);
                Gemm.accumulate(c1 - c0, count, r1 - r0, 1f, ph.weight, c0 * ph.depth + r0, ph.depth, 1,
                        col, 0, count, sum, 0, count);
            }
            for (int c = c0; c < c1; c++) {
                int plane = (img * cin + c) * h * wd;
                int from = (c - c0) * count;
                int t = q0 / ph.gridW;
                int u = q0 % ph.gridW;
                for (int q = 0; q < count; q++) {
                    gx[plane + (ph.ry + stride * t) * wd + ph.rx + stride * u] += sum[from + q];
                    if (++u == ph.gridW) {
                        u = 0;
                        t++;
                    }
                }
            }
        });
    }

    @Override
    public void backwardWeight(ConvGeometry g, float[] x, float[] gy, float[] gw) {
        int n = g.n(), cin = g.inChannels(), h = g.inHeight(), wd = g.inWidth(), cout = g.outChannels();
        int stride = g.stride(), ow = g.outWidth(), pixels = g.outHeight() * ow;
        int k = cin * g.kernelHeight() * g.kernelWidth();
        int[] dy = tapOffsets(g.kernelHeight(), g.padding());
        int[] dx = tapOffsets(g.kernelWidth(), g.padding());
        int tiles = (int) Parallel.ceilDiv(pixels, PIXEL_TILE);
        int kBlocks = (int) Parallel.ceilDiv(k, WEIGHT_COLUMN_BLOCK);
        int ocBlock = channelBlock(cout, kBlocks);
        int ocBlocks = (int) Parallel.ceilDiv(cout, ocBlock);
        parallel.forEach(kBlocks * ocBlocks, item -> {
            int k0 = (item % kBlocks) * WEIGHT_COLUMN_BLOCK;
            int k1 = Math.min(k, k0 + WEIGHT_COLUMN_BLOCK);
            int oc0 = (item / kBlocks) * ocBlock;
            int oc1 = Math.min(cout, oc0 + ocBlock);
            int kb = k1 - k0;
            int block = (oc1 - oc0) * kb;
            double[] acc = new double[block];
            Scratch s = scratch.get();
            float[] tileSum = s.floats(1, block);
            float[] colT = s.floats(0, PIXEL_TILE * kb);
            for (int img = 0; img < n; img++) {
                int xImage = img * cin * h * wd;
                int gyImage = img * cout * pixels;
                for (int tile = 0; tile < tiles; tile++) {
                    int p0 = tile * PIXEL_TILE;
                    int count = Math.min(PIXEL_TILE, pixels - p0);
                    // Gathered transposed, [tile x kb], so the GEMM's rows of B are contiguous.
                    gather(x, xImage, h, wd, stride, dy, dx, ow, p0, count, k0, k1, colT, true);
                    Arrays.fill(tileSum, 0, block, 0f);
                    Gemm.accumulate(oc1 - oc0, kb, count, 1f, gy, gyImage + oc0 * pixels + p0, pixels, 1,
                            colT, 0, kb, tileSum, 0, kb);
                    for (int i = 0; i < block; i++) acc[i] += tileSum[i];
                }
            }
            for (int oc = oc0; oc < oc1; oc++) {
                for (int r = k0; r < k1; r++) {
                    int at = oc * k + r;
                    gw[at] = (float) (gw[at] + acc[(oc - oc0) * kb + (r - k0)]);
                }
            }
        });
    }

    /**
     * Fills rows {@code [r0, r1)} of a column matrix over pixels {@code [q0, q0 + count)} of a grid
     * {@code gridW} wide. Row {@code r = (c * dy.length + i) * dx.length + j}, pixel q at grid position
     * (t, u) reads {@code src[c][t * stride + dy[i]][u * stride + dx[j]]}, or 0 outside the plane. Written
     * as {@code col[(r - r0) * count + q]}, or {@code col[q * (r1 - r0) + (r - r0)]} when transposed.
     */
    static void gather(float[] src, int srcOff, int srcH, int srcW, int stride, int[] dy, int[] dx, int gridW,
                       int q0, int count, int r0, int r1, float[] col, boolean transposed) {
        int taps = dy.length * dx.length;
        int rows = r1 - r0;
        int plane = srcH * srcW;
        for (int r = r0; r < r1; r++) {
            int c = r / taps;
            int offY = dy[(r % taps) / dx.length];
            int offX = dx[r % dx.length];
            int base = srcOff + c * plane;
            int rowAt = transposed ? r - r0 : (r - r0) * count;
            int step = transposed ? rows : 1;
            int t = q0 / gridW;
            int u = q0 % gridW;
            int q = 0;
            while (q < count) {
                // One grid row at a time: the source row and its validity are fixed along it.
                int run = Math.min(count - q, gridW - u);
                int sy = t * stride + offY;
                int at = rowAt + q * step;
                if (sy < 0 || sy >= srcH) {
                    for (int v = 0; v < run; v++, at += step) col[at] = 0f;
                } else {
                    int rowBase = base + sy * srcW;
                    int sx = u * stride + offX;
                    for (int v = 0; v < run; v++, at += step, sx += stride) {
                        col[at] = sx >= 0 && sx < srcW ? src[rowBase + sx] : 0f;
                    }
                }
                q += run;
                u = 0;
                t++;
            }
        }
    }

    /** Forward taps: kernel index k reads input position {@code out * stride + k - pad}. */
    private static int[] tapOffsets(int kernel, int pad) {
        int[] off = new int[kernel];
        for (int i = 0; i < kernel; i++) off[i] = i - pad;
        return off;
    }

    /** Kernel taps k with {@code (r + pad - k) mod stride == 0}: the ones that reach input phase r. */
    private static int[] phaseTaps(int r, int pad, int stride, int kernel) {
        return java.util.stream.IntStream.range(0, kernel)
                .filter(k -> Math.floorMod(r + pad - k, stride) == 0).toArray();
    }

    /** For input {@code r + stride * t} and tap k, the output index is {@code t + (r + pad - k) / stride}. */
    private static int[] phaseOffsets(int r, int pad, int stride, int[] taps) {
        int[] off = new int[taps.length];
        for (int i = 0; i < taps.length; i++) off[i] = (r + pad - taps[i]) / stride;   // exact by construction
        return off;
    }

    /**
     * Channels per work item: all of them when the other dimensions already give every thread a few items,
     * otherwise split (never below {@value #MIN_CHANNEL_BLOCK}) so small batches still use every thread.
     */
    private int channelBlock(int channels, int otherItems) {
        int wanted = 2 * parallel.threads();
        if (otherItems >= wanted) return channels;
        int blocks = (int) Math.min(Parallel.ceilDiv(wanted, otherItems),
                Parallel.ceilDiv(channels, MIN_CHANNEL_BLOCK));
        return (int) Parallel.ceilDiv(channels, Math.max(1, blocks));
    }
}
