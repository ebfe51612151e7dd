package srgan.engine.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked FMA micro-kernels of the vector path and the small vector helpers around them. Each
 * kernel keeps its whole output tile in registers (up to 24 vectors of the 32 AVX-512 has) and streams its
 * operands, so every element loaded feeds several FMAs; the tile shapes are the fastest measured on this JDK's
 * C2 on this machine (AVX-512, one core, operands in L1: 8x3 about 150 GFLOP/s, 6x4 130, the common 4x3 95,
 * against about 210 of peak), except the Winograd kernel's, 5x4 (see rows5x4 why). They are written out by
 * hand because Java has no way to make C2 keep an array of vectors in registers.
 *
 * <p>{@code L} is the lane count of the preferred species (16 floats on AVX-512, 8 on AVX2). The whole vector
 * path uses that one float species and one double species, nothing narrower: on JDK 17 a second species makes
 * the library's shared methods (intoArray, fromArray) see two vector classes, C2 then cannot intrinsify them
 * inside these kernels, boxes every vector, and the kernels run about 30 times slower, depending on which
 * species happened to be profiled first.
 *
 * <p>This class is only loaded when the {@code jdk.incubator.vector} module is present.
 */
final class MicroKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    /** Lane i takes lane i / 2 (ZIP_LOW) or L / 2 + i / 2 (ZIP_HIGH): two vectors' lanes spread for a zip. */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(F, i -> i / 2);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(F, i -> L / 2 + i / 2);
    private static final VectorMask<Float> ODD_LANES = VectorMask.fromLong(F, 0xAAAA_AAAA_AAAA_AAAAL & ((1L << L) - 1));

    /** {@code 2i}: the index map of a gather of every other float. */
    private static final int[] EVERY_OTHER = java.util.stream.IntStream.range(0, L).map(i -> 2 * i).toArray();

    private MicroKernels() {
    }

    /** The scalar remainder {@code sum_{k in [from, to)} a[aOff + k] * b[bOff + k]} of a dot product. */
    private static float tail(float[] a, int aOff, float[] b, int bOff, int from, int to) {
        float s = 0;
        for (int k = from; k < to; k++) s += a[aOff + k] * b[bOff + k];
        return s;
    }

    /** {@code sum_{k < len} a[aOff + k] * b[bOff + k]}: one vector of partial sums, then the scalar remainder. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(F);
        int end = F.loopBound(len);
        for (int k = 0; k < end; k += L) {
            acc = FloatVector.fromArray(F, a, aOff + k).fma(FloatVector.fromArray(F, b, bOff + k), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail(a, aOff, b, bOff, end, len);
    }

    /** {@code dst[d..d+len) = src[s..s+len)}: full vectors, then scalars. */
    static void copy(float[] src, int s, float[] dst, int d, int len) {
        int v = 0;
        for (; v + L <= len; v += L) FloatVector.fromArray(F, src, s + v).intoArray(dst, d + v);
        for (; v < len; v++) dst[d + v] = src[s + v];
    }

    /**
     * {@code dst[d + v] = src[s + 2v]} for {@code v < len}: one stride phase of a row, a gather per vector
     * (on AVX-512 about twice the scalar loop's rate).
     */
    static void copyEveryOther(float[] src, int s, float[] dst, int d, int len) {
        int v = 0;
        // A gather of lanes v..v+L-1 reads up to src[s + 2(v + L - 1)], which must be in bounds.
        for (; v + L <= len; v += L) FloatVector.fromArray(F, src, s + 2 * v, EVERY_OTHER, 0).intoArray(dst, d + v);
        for (; v < len; v++) dst[d + v] = src[s + 2 * v];
    }

    /**
     * {@code dst[d..d+len) = src[s..s+len)} in whole vectors, so it also copies up to {@code L - 1} floats past
     * the end: both arrays need that much slack, and a caller filling a row left to right overwrites the excess
     * with the next run.
     */
    static void copyWhole(float[] src, int s, float[] dst, int d, int len) {
        for (int v = 0; v < len; v += L) FloatVector.fromArray(F, src, s + v).intoArray(dst, d + v);
    }

    /**
     * {@code dst[d + 2v] (+)= even[e + v]} and {@code dst[d + 2v + 1] (+)= odd[o + v]} for {@code v < len}: two
     * stride-2 phases of a row merged into it with whole-vector loads and stores (a zip of single-source
     * permutations and a blend, which C2 compiles to two permutes and a masked move per vector).
     */
    static void interleave(float[] even, int e, float[] odd, int o, int len, float[] dst, int d, boolean add) {
        int v = 0;
        for (; v + L <= len; v += L) {
            FloatVector a = FloatVector.fromArray(F, even, e + v);
            FloatVector b = FloatVector.fromArray(F, odd, o + v);
            FloatVector low = a.rearrange(ZIP_LOW).blend(b.rearrange(ZIP_LOW), ODD_LANES);
            FloatVector high = a.rearrange(ZIP_HIGH).blend(b.rearrange(ZIP_HIGH), ODD_LANES);
            int at = d + 2 * v;
            if (add) {
                low = low.add(FloatVector.fromArray(F, dst, at));
                high = high.add(FloatVector.fromArray(F, dst, at + L));
            }
            low.intoArray(dst, at);
            high.intoArray(dst, at + L);
        }
        for (; v < len; v++) {
            int at = d + 2 * v;
            dst[at] = add ? dst[at] + even[e + v] : even[e + v];
            dst[at + 1] = add ? dst[at + 1] + odd[o + v] : odd[o + v];
        }
    }

    /**
     * The packing of an implicit-GEMM panel: {@code dst[dOff + d * ldd + v] = src[kOff[kAt + d] + sOff + v]} for
     * {@code d < depth}, {@code v < len}, in whole vectors (see {@link #copyWhole} for the slack this needs).
     */
    static void packRows(float[] src, int[] kOff, int kAt, int sOff, float[] dst, int dOff, int ldd, int len,
                         int depth) {
        if (len <= L) {
            for (int d = 0, at = dOff; d < depth; d++, at += ldd) {
                FloatVector.fromArray(F, src, kOff[kAt + d] + sOff).intoArray(dst, at);
            }
        } else if (len <= 2 * L) {
            for (int d = 0, at = dOff; d < depth; d++, at += ldd) {
                int from = kOff[kAt + d] + sOff;
                FloatVector.fromArray(F, src, from).intoArray(dst, at);
                FloatVector.fromArray(F, src, from + L).intoArray(dst, at + L);
            }
        } else {
            for (int d = 0, at = dOff; d < depth; d++, at += ldd) copyWhole(src, kOff[kAt + d] + sOff, dst, at, len);
        }
    }

    /**
     * {@code panel[pOff + (p - p0) * 3L + j] = src[sOff + at[p] + j]} for {@code p0 <= p < p1}, {@code j < 3L}:
     * the runs the weight gradient's 8x3 kernel reads, one per pixel, made contiguous.
     */
    static void gatherRuns(float[] src, int sOff, int[] at, int p0, int p1, float[] panel, int pOff) {
        for (int p = p0, d = pOff; p < p1; p++, d += 3 * L) {
            int s = sOff + at[p];
            FloatVector.fromArray(F, src, s).intoArray(panel, d);
            FloatVector.fromArray(F, src, s + L).intoArray(panel, d + L);
            FloatVector.fromArray(F, src, s + 2 * L).intoArray(panel, d + 2 * L);
        }
    }

    /**
     * {@code acc[a + i] += tile[t + i]} for {@code i < count} (a multiple of L), widening to double: how the
     * weight gradients move each pixel chunk's float sums into their double accumulators. Each half vector of
     * the tile is widened from the low half of a vector loaded at its start, so the tile needs {@code L / 2}
     * floats of slack past {@code t + count}: the high half ({@code convertShape} part 1) would go through a
     * shuffle that JDK 17 builds and checks on every call, which took a third of the Winograd weight gradient's
     * time (JFR: {@code AbstractShuffle.checkIndexes} under this method).
     */
    static void addToDouble(float[] tile, int t, double[] acc, int a, int count) {
        int half = D.length();
        for (int i = 0; i < count; i += half) {
            DoubleVector wide = (DoubleVector) FloatVector.fromArray(F, tile, t + i)
                    .convertShape(VectorOperators.F2D, D, 0);
            wide.add(DoubleVector.fromArray(D, acc, a + i)).intoArray(acc, a + i);
        }
    }

    /**
     * {@code tile[r][j] = sum_k A[k][r] * B[k][j]} for {@code r < 8}, {@code j < 3L} (the tile is row-major,
     * 3L wide): A packed as {@code a[aOff + 8k + r]}, B rows at {@code bOff + k * ldb}. 24 accumulators; 3
     * loads and 8 broadcasts per 24 FMAs.
     *
     * <p>Every kernel ends by storing its registers to a tile; {@link #addTile} and {@link #storeTile} then
     * merge the tile into the output. Merging in the kernel (24 more loads, adds and stores) would push the
     * kernel past C2's inlining budget (NodeCountInliningCutoff): the Vector API calls beyond it are not
     * inlined, every vector they touch is boxed, and the kernel allocates on every call. For the same reason
     * each kernel stays near 1000 bytes of bytecode: at 1700, C1 runs out of registers compiling it, the method
     * never reaches C2, and the Vector API runs uncompiled, a hundred times slower.
     */
    static void packed8x3(int depth, float[] a, int aOff, float[] b, int bOff, int ldb, float[] tile) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z, c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
        for (int k = 0, ap = aOff, bp = bOff; k < depth; k++, ap += 8, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp); FloatVector b1 = FloatVector.fromArray(F, b, bp + L); FloatVector b2 = FloatVector.fromArray(F, b, bp + 2 * L);
            FloatVector s;
            s = FloatVector.broadcast(F, a[ap]); c00 = s.fma(b0, c00); c01 = s.fma(b1, c01); c02 = s.fma(b2, c02);
            s = FloatVector.broadcast(F, a[ap + 1]); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11); c12 = s.fma(b2, c12);
            s = FloatVector.broadcast(F, a[ap + 2]); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21); c22 = s.fma(b2, c22);
            s = FloatVector.broadcast(F, a[ap + 3]); c30 = s.fma(b0, c30); c31 = s.fma(b1, c31); c32 = s.fma(b2, c32);
            s = FloatVector.broadcast(F, a[ap + 4]); c40 = s.fma(b0, c40); c41 = s.fma(b1, c41); c42 = s.fma(b2, c42);
            s = FloatVector.broadcast(F, a[ap + 5]); c50 = s.fma(b0, c50); c51 = s.fma(b1, c51); c52 = s.fma(b2, c52);
            s = FloatVector.broadcast(F, a[ap + 6]); c60 = s.fma(b0, c60); c61 = s.fma(b1, c61); c62 = s.fma(b2, c62);
            s = FloatVector.broadcast(F, a[ap + 7]); c70 = s.fma(b0, c70); c71 = s.fma(b1, c71); c72 = s.fma(b2, c72);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L); c02.intoArray(tile, 2 * L);
        c10.intoArray(tile, 3 * L); c11.intoArray(tile, 4 * L); c12.intoArray(tile, 5 * L);
        c20.intoArray(tile, 6 * L); c21.intoArray(tile, 7 * L); c22.intoArray(tile, 8 * L);
        c30.intoArray(tile, 9 * L); c31.intoArray(tile, 10 * L); c32.intoArray(tile, 11 * L);
        c40.intoArray(tile, 12 * L); c41.intoArray(tile, 13 * L); c42.intoArray(tile, 14 * L);
        c50.intoArray(tile, 15 * L); c51.intoArray(tile, 16 * L); c52.intoArray(tile, 17 * L);
        c60.intoArray(tile, 18 * L); c61.intoArray(tile, 19 * L); c62.intoArray(tile, 20 * L);
        c70.intoArray(tile, 21 * L); c71.intoArray(tile, 22 * L); c72.intoArray(tile, 23 * L);
    }

    /** {@code C[r][j] += tile[r][j]} for {@code r < rows}, {@code j < 3L}; C rows at {@code cOff + r * ldc}. */
    static void addTile(float[] tile, float[] c, int cOff, int ldc, int rows) {
        for (int r = 0, t = 0; r < rows; r++, cOff += ldc) {
            for (int j = 0; j < 3 * L; j += L, t += L) {
                FloatVector.fromArray(F, tile, t).add(FloatVector.fromArray(F, c, cOff + j)).intoArray(c, cOff + j);
            }
        }
    }

    /** {@code C[r][j] = init[initOff + r] + tile[r][j]} for {@code r < rows}, {@code j < 3L}; C is not read. */
    static void storeTile(float[] tile, float[] c, int cOff, int ldc, int rows, float[] init, int initOff) {
        for (int r = 0, t = 0; r < rows; r++, cOff += ldc) {
            FloatVector start = FloatVector.broadcast(F, init[initOff + r]);
            for (int j = 0; j < 3 * L; j += L, t += L) {
                FloatVector.fromArray(F, tile, t).add(start).intoArray(c, cOff + j);
            }
        }
    }

    /**
     * {@code tile[r][j] = sum_k A[k][r] * src[kOff[k] + p + j]} for {@code r < 3}, {@code j < 6L}: the implicit
     * GEMM for layers with fewer than 8 output rows (the tail's 3 channels), reading the source planes in place
     * through a table of offsets instead of a packed panel, which would cost as much as it saves at 3 rows.
     * Six vectors wide: at eight, the 24 accumulators, 8 loaded vectors and the broadcast need 33 of the 32
     * vector registers.
     */
    static void offsets3x6(int depth, float[] a, int aOff, float[] src, int[] kOff, int p, float[] tile) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c04 = z, c05 = z, c10 = z, c11 = z, c12 = z, c13 = z, c14 = z, c15 = z, c20 = z, c21 = z, c22 = z, c23 = z, c24 = z, c25 = z;
        for (int k = 0, ap = aOff; k < depth; k++, ap += 3) {
            int bp = kOff[k] + p;
            FloatVector b0 = FloatVector.fromArray(F, src, bp); FloatVector b1 = FloatVector.fromArray(F, src, bp + L); FloatVector b2 = FloatVector.fromArray(F, src, bp + 2 * L); FloatVector b3 = FloatVector.fromArray(F, src, bp + 3 * L); FloatVector b4 = FloatVector.fromArray(F, src, bp + 4 * L); FloatVector b5 = FloatVector.fromArray(F, src, bp + 5 * L);
            FloatVector s;
            s = FloatVector.broadcast(F, a[ap]); c00 = s.fma(b0, c00); c01 = s.fma(b1, c01); c02 = s.fma(b2, c02); c03 = s.fma(b3, c03); c04 = s.fma(b4, c04); c05 = s.fma(b5, c05);
            s = FloatVector.broadcast(F, a[ap + 1]); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11); c12 = s.fma(b2, c12); c13 = s.fma(b3, c13); c14 = s.fma(b4, c14); c15 = s.fma(b5, c15);
            s = FloatVector.broadcast(F, a[ap + 2]); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21); c22 = s.fma(b2, c22); c23 = s.fma(b3, c23); c24 = s.fma(b4, c24); c25 = s.fma(b5, c25);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L); c02.intoArray(tile, 2 * L); c03.intoArray(tile, 3 * L); c04.intoArray(tile, 4 * L); c05.intoArray(tile, 5 * L);
        c10.intoArray(tile, 6 * L); c11.intoArray(tile, 7 * L); c12.intoArray(tile, 8 * L); c13.intoArray(tile, 9 * L); c14.intoArray(tile, 10 * L); c15.intoArray(tile, 11 * L);
        c20.intoArray(tile, 12 * L); c21.intoArray(tile, 13 * L); c22.intoArray(tile, 14 * L); c23.intoArray(tile, 15 * L); c24.intoArray(tile, 16 * L); c25.intoArray(tile, 17 * L);
    }

    /**
     * The weight gradient's register tile for layers with fewer than 8 output channels (the 9x9 tail's 3):
     * {@code tile[r][j] = sum over p0 <= p < p1 of gy[gyOff + r' * ldg + p] * xs[xOff + xAt[p] + j]} for
     * {@code r < 3} ({@code r' = min(r, rows - 1)}: rows past the end repeat the last one and are dropped by the
     * caller), {@code j < 6L}: gy rows broadcast in place, the NHWC input's (kx, c) runs read through a table of
     * pixel offsets. One flat loop over pixels: C2 keeps the accumulators in registers across it.
     */
    static void weight3x6(float[] gy, int gyOff, int ldg, int rows, float[] xs, int xOff, int[] xAt, int p0, int p1, float[] tile) {
        int o1 = Math.min(1, rows - 1) * ldg; int o2 = Math.min(2, rows - 1) * ldg;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c04 = z, c05 = z, c10 = z, c11 = z, c12 = z, c13 = z, c14 = z, c15 = z, c20 = z, c21 = z, c22 = z, c23 = z, c24 = z, c25 = z;
        for (int p = p0; p < p1; p++) {
            int xp = xOff + xAt[p];
            int gp = gyOff + p;
            FloatVector b0 = FloatVector.fromArray(F, xs, xp); FloatVector b1 = FloatVector.fromArray(F, xs, xp + L); FloatVector b2 = FloatVector.fromArray(F, xs, xp + 2 * L); FloatVector b3 = FloatVector.fromArray(F, xs, xp + 3 * L); FloatVector b4 = FloatVector.fromArray(F, xs, xp + 4 * L); FloatVector b5 = FloatVector.fromArray(F, xs, xp + 5 * L);
            FloatVector s;
            s = FloatVector.broadcast(F, gy[gp]); c00 = s.fma(b0, c00); c01 = s.fma(b1, c01); c02 = s.fma(b2, c02); c03 = s.fma(b3, c03); c04 = s.fma(b4, c04); c05 = s.fma(b5, c05);
            s = FloatVector.broadcast(F, gy[gp + o1]); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11); c12 = s.fma(b2, c12); c13 = s.fma(b3, c13); c14 = s.fma(b4, c14); c15 = s.fma(b5, c15);
            s = FloatVector.broadcast(F, gy[gp + o2]); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21); c22 = s.fma(b2, c22); c23 = s.fma(b3, c23); c24 = s.fma(b4, c24); c25 = s.fma(b5, c25);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L); c02.intoArray(tile, 2 * L); c03.intoArray(tile, 3 * L); c04.intoArray(tile, 4 * L); c05.intoArray(tile, 5 * L);
        c10.intoArray(tile, 6 * L); c11.intoArray(tile, 7 * L); c12.intoArray(tile, 8 * L); c13.intoArray(tile, 9 * L); c14.intoArray(tile, 10 * L); c15.intoArray(tile, 11 * L);
        c20.intoArray(tile, 12 * L); c21.intoArray(tile, 13 * L); c22.intoArray(tile, 14 * L); c23.intoArray(tile, 15 * L); c24.intoArray(tile, 16 * L); c25.intoArray(tile, 17 * L);
    }

    /**
     * {@code C[r][j] = sum_k A(r', k) * B[k][j]} for {@code r < 5}, {@code j < 4L} (C rows at {@code cOff + r *
     * ldc}, all five written), with A read in place at
     * {@code a[aOff + r' * ldr + k * ldk]} ({@code r' = min(r, rows - 1)}: rows past the end repeat the last
     * one and are dropped by the caller) and B rows at {@code bOff + k * ldb}: the Winograd GEMMs, whose A is
     * either tiles by channels or, transposed, tiles by output channels. 20 accumulators; 4 loads and 5
     * broadcasts per 20 FMAs.
     *
     * <p>Five rows, not six: with six (24 accumulators, 29 of the 32 vector registers live in the loop) C2
     * compiled the kernel one of two ways, about every other JVM (17.4 or 17.9 KB of code here), and the larger
     * one made the Winograd layers 1.2-1.5x slower; two engines in one JVM, in two class loaders, could get one
     * each. That was most of the run-to-run spread of the training steps. With five, the two compiled copies of
     * the same code run within 1-3% of each other (four JVMs), and as fast as the good six-row code on the
     * 64- and 128-channel layers (0.97-1.02x); on the 256 -> 512 layer's forward pass, 0.88x.
     */
    static void rows5x4(int depth, float[] a, int aOff, int ldr, int ldk, int rows, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int o1 = Math.min(1, rows - 1) * ldr; int o2 = Math.min(2, rows - 1) * ldr; int o3 = Math.min(3, rows - 1) * ldr; int o4 = Math.min(4, rows - 1) * ldr;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z, c42 = z, c43 = z;
        for (int k = 0, ap = aOff, bp = bOff; k < depth; k++, ap += ldk, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp); FloatVector b1 = FloatVector.fromArray(F, b, bp + L); FloatVector b2 = FloatVector.fromArray(F, b, bp + 2 * L); FloatVector b3 = FloatVector.fromArray(F, b, bp + 3 * L);
            FloatVector s;
            s = FloatVector.broadcast(F, a[ap]); c00 = s.fma(b0, c00); c01 = s.fma(b1, c01); c02 = s.fma(b2, c02); c03 = s.fma(b3, c03);
            s = FloatVector.broadcast(F, a[ap + o1]); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11); c12 = s.fma(b2, c12); c13 = s.fma(b3, c13);
            s = FloatVector.broadcast(F, a[ap + o2]); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21); c22 = s.fma(b2, c22); c23 = s.fma(b3, c23);
            s = FloatVector.broadcast(F, a[ap + o3]); c30 = s.fma(b0, c30); c31 = s.fma(b1, c31); c32 = s.fma(b2, c32); c33 = s.fma(b3, c33);
            s = FloatVector.broadcast(F, a[ap + o4]); c40 = s.fma(b0, c40); c41 = s.fma(b1, c41); c42 = s.fma(b2, c42); c43 = s.fma(b3, c43);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + L); c02.intoArray(c, cOff + 2 * L); c03.intoArray(c, cOff + 3 * L);
        c10.intoArray(c, cOff + ldc); c11.intoArray(c, cOff + ldc + L); c12.intoArray(c, cOff + ldc + 2 * L); c13.intoArray(c, cOff + ldc + 3 * L);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + L); c22.intoArray(c, cOff + 2 * ldc + 2 * L); c23.intoArray(c, cOff + 2 * ldc + 3 * L);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + L); c32.intoArray(c, cOff + 3 * ldc + 2 * L); c33.intoArray(c, cOff + 3 * ldc + 3 * L);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + L); c42.intoArray(c, cOff + 4 * ldc + 2 * L); c43.intoArray(c, cOff + 4 * ldc + 3 * L);
    }

    /**
     * {@code C[i][j] += alpha * sum_k A[i][k] * B[j][k]} for {@code i < 4, j < 3}: both operands run along k
     * (the NT product of a dense layer's forward pass), lanes reduced at the end.
     */
    static void dot4x3(int depth, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, float alpha) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z;
        int end = F.loopBound(depth);
        for (int k = 0; k < end; k += L) {
            FloatVector b0 = FloatVector.fromArray(F, b, bOff + k); FloatVector b1 = FloatVector.fromArray(F, b, bOff + ldb + k); FloatVector b2 = FloatVector.fromArray(F, b, bOff + 2 * ldb + k);
            FloatVector s;
            s = FloatVector.fromArray(F, a, aOff + k); c00 = s.fma(b0, c00); c01 = s.fma(b1, c01); c02 = s.fma(b2, c02);
            s = FloatVector.fromArray(F, a, aOff + lda + k); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11); c12 = s.fma(b2, c12);
            s = FloatVector.fromArray(F, a, aOff + 2 * lda + k); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21); c22 = s.fma(b2, c22);
            s = FloatVector.fromArray(F, a, aOff + 3 * lda + k); c30 = s.fma(b0, c30); c31 = s.fma(b1, c31); c32 = s.fma(b2, c32);
        }
        c[cOff] += alpha * (c00.reduceLanes(VectorOperators.ADD) + tail(a, aOff, b, bOff, end, depth));
        c[cOff + 1] += alpha * (c01.reduceLanes(VectorOperators.ADD) + tail(a, aOff, b, bOff + ldb, end, depth));
        c[cOff + 2] += alpha * (c02.reduceLanes(VectorOperators.ADD) + tail(a, aOff, b, bOff + 2 * ldb, end, depth));
        c[cOff + ldc] += alpha * (c10.reduceLanes(VectorOperators.ADD) + tail(a, aOff + lda, b, bOff, end, depth));
        c[cOff + ldc + 1] += alpha * (c11.reduceLanes(VectorOperators.ADD) + tail(a, aOff + lda, b, bOff + ldb, end, depth));
        c[cOff + ldc + 2] += alpha * (c12.reduceLanes(VectorOperators.ADD) + tail(a, aOff + lda, b, bOff + 2 * ldb, end, depth));
        c[cOff + 2 * ldc] += alpha * (c20.reduceLanes(VectorOperators.ADD) + tail(a, aOff + 2 * lda, b, bOff, end, depth));
        c[cOff + 2 * ldc + 1] += alpha * (c21.reduceLanes(VectorOperators.ADD) + tail(a, aOff + 2 * lda, b, bOff + ldb, end, depth));
        c[cOff + 2 * ldc + 2] += alpha * (c22.reduceLanes(VectorOperators.ADD) + tail(a, aOff + 2 * lda, b, bOff + 2 * ldb, end, depth));
        c[cOff + 3 * ldc] += alpha * (c30.reduceLanes(VectorOperators.ADD) + tail(a, aOff + 3 * lda, b, bOff, end, depth));
        c[cOff + 3 * ldc + 1] += alpha * (c31.reduceLanes(VectorOperators.ADD) + tail(a, aOff + 3 * lda, b, bOff + ldb, end, depth));
        c[cOff + 3 * ldc + 2] += alpha * (c32.reduceLanes(VectorOperators.ADD) + tail(a, aOff + 3 * lda, b, bOff + 2 * ldb, end, depth));
    }
}
