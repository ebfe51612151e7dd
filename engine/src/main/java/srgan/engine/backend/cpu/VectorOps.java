package srgan.engine.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise loops of the CPU backend on the Vector API, each over an index range {@code [from, to)} of
 * one work item; the backend keeps the splitting into items, so results stay independent of the thread count.
 *
 * <p>The numerics are the scalar path's: every formula the scalar code evaluates in double is evaluated here in
 * double too (each float vector is widened into two double vectors, computed on, and narrowed back, rounding
 * once), and every sum accumulates in double. Only the order of additions inside a sum differs (lane-wise
 * partial sums), which the parity tolerances allow. The speed comes from the loops themselves: C2 does not
 * vectorise the scalar loops' float-double conversions. (tanh has no loop here: JDK 17's lanewise TANH, a
 * library call per lane, boxed vectors in some runs; CpuBackend runs it scalar.)
 *
 * <p>Only the species of {@link MicroKernels} are used (see there why).
 */
final class VectorOps {
    private static final VectorSpecies<Float> F = MicroKernels.F;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Lanes of the upper half of a float vector: where the second narrowed double vector goes. */
    private static final VectorMask<Float> UPPER = VectorMask.fromLong(F, ((1L << L) - 1) & ~((1L << (L / 2)) - 1));
    /** Lane i takes lane {@code (i + L/2) mod L}: the lower half moves up, and the upper half down. */
    private static final VectorShuffle<Float> LOWER_TO_UPPER = VectorShuffle.fromOp(F, i -> (i + L / 2) % L);

    private VectorOps() {
    }

    /** Whether these loops apply: a float vector must widen into exactly two double vectors. */
    static boolean supported() {
        return D.length() * 2 == L;
    }

    private static DoubleVector lo(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    /**
     * The upper half of {@code v = a[i, i + L)}, in the lower lanes: loaded again half a vector on (from the lines
     * just read) where that stays inside the array, else moved down by a fixed permutation. Not by converting
     * the upper lanes directly ({@code convertShape} part 1), nor by the permutation every time: on JDK 17 the
     * first builds and checks a shuffle on every call and the second checks its constant shuffle on every call,
     * which took 6% and then 5% of the SRGAN step (JFR: {@code AbstractShuffle.checkIndexes} under these loops).
     */
    private static FloatVector upper(float[] a, int i, FloatVector v) {
        return i <= a.length - L - L / 2 ? FloatVector.fromArray(F, a, i + L / 2) : v.rearrange(LOWER_TO_UPPER);
    }

    /** The upper half of {@code v = a[i, i + L)} widened (see {@link #upper}). */
    private static DoubleVector hi(float[] a, int i, FloatVector v) {
        return lo(upper(a, i, v));
    }

    /**
     * Rounds two double vectors to one float vector (lo into the lower lanes). Both halves are converted into
     * the lower lanes and the second is moved up by a fixed permutation. Not by converting hi straight into the
     * upper lanes (part -1): on JDK 17 that goes through {@code slice}, and in the larger loops (batch norm's
     * input gradient, Adam) C2 then lost track of the vector's class in some runs, left the final blend
     * un-intrinsified, and boxed every vector: a gigabyte of garbage per ten training steps.
     */
    private static FloatVector narrow(DoubleVector lo, DoubleVector hi) {
        FloatVector a = (FloatVector) lo.convertShape(VectorOperators.D2F, F, 0);
        FloatVector b = (FloatVector) hi.convertShape(VectorOperators.D2F, F, 0);
        return a.blend(b.rearrange(LOWER_TO_UPPER), UPPER);
    }

    // ---- sums ----

    /** {@code sum x[from, to)} in double. */
    static double sum(float[] x, int from, int to) {
        DoubleVector a = DoubleVector.zero(D);
        DoubleVector b = a;
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            a = a.add(lo(v));
            b = b.add(hi(x, i, v));
        }
        double s = a.add(b).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) s += x[i];
        return s;
    }

    /** {@code sum (x - mean)^2 over [from, to)} in double. */
    static double squaredDeviations(float[] x, int from, int to, double mean) {
        DoubleVector a = DoubleVector.zero(D);
        DoubleVector b = a;
        DoubleVector mv = DoubleVector.broadcast(D, mean);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            DoubleVector dl = lo(v).sub(mv);
            DoubleVector dh = hi(x, i, v).sub(mv);
            a = dl.fma(dl, a);
            b = dh.fma(dh, b);
        }
        double s = a.add(b).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            double d = x[i] - mean;
            s += d * d;
        }
        return s;
    }

    /** {@code acc[a + c] += src[s + c]} for {@code c < len}, in double. */
    static void accumulate(float[] src, int s, double[] acc, int a, int len) {
        int c = 0;
        int half = L / 2;
        for (; c <= len - L; c += L) {
            FloatVector v = FloatVector.fromArray(F, src, s + c);
            lo(v).add(DoubleVector.fromArray(D, acc, a + c)).intoArray(acc, a + c);
            hi(src, s + c, v).add(DoubleVector.fromArray(D, acc, a + c + half)).intoArray(acc, a + c + half);
        }
        for (; c < len; c++) acc[a + c] += src[s + c];
    }

    /** {@code dst[i] = (float) (dst[i] + scale * src[i])} for i in {@code [from, to)}. */
    static void addScaled(float[] src, float[] dst, int from, int to, double scale) {
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector s = FloatVector.fromArray(F, src, i);
            FloatVector d = FloatVector.fromArray(F, dst, i);
            narrow(lo(s).fma(sv, lo(d)), hi(src, i, s).fma(sv, hi(dst, i, d))).intoArray(dst, i);
        }
        for (; i < to; i++) dst[i] = (float) (dst[i] + scale * src[i]);
    }

    // ---- batch norm ----

    /** {@code y[yOff + j] = (float) ((x[xOff + j] - mean) * scale + beta)} for {@code j < len}. */
    static void normalise(float[] x, int xOff, float[] y, int yOff, int len, double mean, double scale,
                          double beta) {
        DoubleVector mv = DoubleVector.broadcast(D, mean);
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        DoubleVector bv = DoubleVector.broadcast(D, beta);
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            narrow(lo(v).sub(mv).fma(sv, bv), hi(x, xOff + i, v).sub(mv).fma(sv, bv)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = (float) ((x[xOff + i] - mean) * scale + beta);
    }

    /**
     * {@link #normalise} followed by PReLU with slope a, {@code z = y > 0 ? y : a * y} on the float y: batch
     * norm and its activation in one pass, the same values as the two in turn.
     */
    static void normalisePrelu(float[] x, float[] z, int from, int to, double mean, double scale, double beta,
                               float a) {
        DoubleVector mv = DoubleVector.broadcast(D, mean);
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        DoubleVector bv = DoubleVector.broadcast(D, beta);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector y = narrow(lo(v).sub(mv).fma(sv, bv), hi(x, i, v).sub(mv).fma(sv, bv));
            y.mul(a).blend(y, y.compare(VectorOperators.GT, 0f)).intoArray(z, i);
        }
        for (; i < to; i++) {
            float y = (float) ((x[i] - mean) * scale + beta);
            z[i] = y > 0 ? y : a * y;
        }
    }

    /**
     * Adds {@code sum gy} to {@code sums[0]} and {@code sum gy * (x - mean) * invStd} to {@code sums[1]}, over
     * {@code len} values of x from xOff and of gy from gyOff.
     */
    static void gradientSums(float[] x, int xOff, float[] gy, int gyOff, int len, double mean, double invStd,
                             double[] sums) {
        DoubleVector g0 = DoubleVector.zero(D);
        DoubleVector g1 = g0;
        DoubleVector p0 = g0;
        DoubleVector p1 = g0;
        DoubleVector mv = DoubleVector.broadcast(D, mean);
        DoubleVector inv = DoubleVector.broadcast(D, invStd);
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            FloatVector gv = FloatVector.fromArray(F, gy, gyOff + i);
            DoubleVector gl = lo(gv);
            DoubleVector gh = hi(gy, gyOff + i, gv);
            g0 = g0.add(gl);
            g1 = g1.add(gh);
            p0 = gl.mul(lo(xv).sub(mv).mul(inv)).add(p0);
            p1 = gh.mul(hi(x, xOff + i, xv).sub(mv).mul(inv)).add(p1);
        }
        double sumGy = g0.add(g1).reduceLanes(VectorOperators.ADD);
        double sumGyXhat = p0.add(p1).reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double g = gy[gyOff + i];
            sumGy += g;
            sumGyXhat += g * (x[xOff + i] - mean) * invStd;
        }
        sums[0] += sumGy;
        sums[1] += sumGyXhat;
    }

    /**
     * {@code gx = (float) (gx + k * (gy - meanGy - (x - mean) * invStd * meanGyXhat))} over {@code len} values of
     * each, from their offsets.
     */
    static void batchNormGx(float[] x, int xOff, float[] gy, int gyOff, float[] gx, int gxOff, int len, double mean,
                            double invStd, double k, double meanGy, double meanGyXhat) {
        DoubleVector kv = DoubleVector.broadcast(D, k);
        DoubleVector mg = DoubleVector.broadcast(D, meanGy);
        DoubleVector mean2 = DoubleVector.broadcast(D, mean);
        DoubleVector inv = DoubleVector.broadcast(D, invStd);
        DoubleVector mgx = DoubleVector.broadcast(D, meanGyXhat);
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            FloatVector gv = FloatVector.fromArray(F, gy, gyOff + i);
            FloatVector old = FloatVector.fromArray(F, gx, gxOff + i);
            DoubleVector l = lo(gv).sub(mg).sub(lo(xv).sub(mean2).mul(inv).mul(mgx)).fma(kv, lo(old));
            DoubleVector h = hi(gy, gyOff + i, gv).sub(mg).sub(hi(x, xOff + i, xv).sub(mean2).mul(inv).mul(mgx))
                    .fma(kv, hi(gx, gxOff + i, old));
            narrow(l, h).intoArray(gx, gxOff + i);
        }
        for (; i < len; i++) {
            double xhat = (x[xOff + i] - mean) * invStd;
            gx[gxOff + i] = (float) (gx[gxOff + i] + k * (gy[gyOff + i] - meanGy - xhat * meanGyXhat));
        }
    }

    // ---- PReLU ----

    /** {@code y = x > 0 ? x : a * x} over {@code [from, to)}. */
    static void prelu(float[] x, float[] y, int from, int to, float a) {
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            v.mul(a).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, i);
        }
        for (; i < to; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
    }

    /** {@code sum over x <= 0 of x * gy} in double over {@code len} values of each: PReLU's alpha gradient. */
    static double negativeProducts(float[] x, int xOff, float[] gy, int gyOff, int len) {
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = s0;
        int i = 0;
        for (; i <= len - L; i += L) {
            // min(x, 0) keeps NaN, as the scalar test "x > 0" sends NaN to the alpha side.
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            FloatVector gv = FloatVector.fromArray(F, gy, gyOff + i);
            s0 = lo(xv.min(0f)).fma(lo(gv), s0);
            s1 = lo(upper(x, xOff + i, xv).min(0f)).fma(hi(gy, gyOff + i, gv), s1);
        }
        double s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) if (!(x[xOff + i] > 0)) s += (double) x[xOff + i] * gy[gyOff + i];
        return s;
    }

    /** {@code gx = (float) (gx + (x > 0 ? 1 : a) * gy)} in double over {@code [from, to)}. */
    static void preluBackward(float[] x, float[] gy, float[] gx, int from, int to, float a) {
        FloatVector alpha = FloatVector.broadcast(F, a);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, i);
            FloatVector gv = FloatVector.fromArray(F, gy, i);
            FloatVector factor = alpha.blend(one, xv.compare(VectorOperators.GT, 0f));
            FloatVector upperFactor = alpha.blend(one, upper(x, i, xv).compare(VectorOperators.GT, 0f));
            FloatVector old = FloatVector.fromArray(F, gx, i);
            narrow(lo(factor).fma(lo(gv), lo(old)), lo(upperFactor).fma(hi(gy, i, gv), hi(gx, i, old)))
                    .intoArray(gx, i);
        }
        for (; i < to; i++) {
            if (x[i] > 0) gx[i] += gy[i];
            else gx[i] = (float) (gx[i] + (double) a * gy[i]);
        }
    }

    /**
     * {@code gx = (x > 0 ? 1 : a) * gy} over {@code len} values of each: {@link #preluBackward} into zeros. In float,
     * with the same values, since a product of two floats is exact in double and rounds once either way.
     */
    static void preluBackwardFromZero(float[] x, int xOff, float[] gy, int gyOff, float[] gx, int gxOff, int len,
                                      float a) {
        FloatVector alpha = FloatVector.broadcast(F, a);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            FloatVector factor = alpha.blend(one, xv.compare(VectorOperators.GT, 0f));
            factor.mul(FloatVector.fromArray(F, gy, gyOff + i)).intoArray(gx, gxOff + i);
        }
        for (; i < len; i++) gx[gxOff + i] = x[xOff + i] > 0 ? gy[gyOff + i] : a * gy[gyOff + i];
    }

    // ---- unary ----
    // One method per op, each called from its own lambda (CpuBackend.vectorUnary): several ops' loops compiled
    // into one method would exceed C2's inlining budget (see MicroKernels).

    /** {@code y = max(x, 0)}, NaN kept (as torch.relu). */
    static void relu(float[] x, float[] y, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) FloatVector.fromArray(F, x, i).max(0f).intoArray(y, i);
        for (; i < to; i++) y[i] = Math.max(x[i], 0f);
    }

    /** {@code y = x > 0 ? x : (float) (slope * x)}. */
    static void leakyRelu(double slope, float[] x, float[] y, int from, int to) {
        DoubleVector s = DoubleVector.broadcast(D, slope);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            narrow(lo(v).mul(s), hi(x, i, v).mul(s)).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, i);
        }
        for (; i < to; i++) y[i] = x[i] > 0 ? x[i] : (float) (slope * x[i]);
    }

    /** {@code y = (float) (factor * x)}. */
    static void scale(double factor, float[] x, float[] y, int from, int to) {
        DoubleVector f = DoubleVector.broadcast(D, factor);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            narrow(lo(v).mul(f), hi(x, i, v).mul(f)).intoArray(y, i);
        }
        for (; i < to; i++) y[i] = (float) (factor * x[i]);
    }

    /** {@code y = (float) (x + value)}. */
    static void addScalar(double value, float[] x, float[] y, int from, int to) {
        DoubleVector a = DoubleVector.broadcast(D, value);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            narrow(lo(v).add(a), hi(x, i, v).add(a)).intoArray(y, i);
        }
        for (; i < to; i++) y[i] = (float) (x[i] + value);
    }

    /** {@code gx += x > 0 ? gy : 0}. */
    static void reluBackward(float[] x, float[] gy, float[] gx, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector old = FloatVector.fromArray(F, gx, i);
            old.blend(old.add(FloatVector.fromArray(F, gy, i)), v.compare(VectorOperators.GT, 0f)).intoArray(gx, i);
        }
        for (; i < to; i++) if (x[i] > 0) gx[i] += gy[i];
    }

    /**
     * {@code gx = x > 0 ? gx + gy : (float) (gx + slope * gy)}: both sides in double, rounded once each, then
     * chosen by the sign of x.
     */
    static void leakyReluBackward(double slope, float[] x, float[] gy, float[] gx, int from, int to) {
        DoubleVector s = DoubleVector.broadcast(D, slope);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector g = FloatVector.fromArray(F, gy, i);
            FloatVector old = FloatVector.fromArray(F, gx, i);
            FloatVector negative = narrow(lo(g).fma(s, lo(old)), hi(gy, i, g).fma(s, hi(gx, i, old)));
            negative.blend(old.add(g), v.compare(VectorOperators.GT, 0f)).intoArray(gx, i);
        }
        for (; i < to; i++) gx[i] = x[i] > 0 ? gx[i] + gy[i] : (float) (gx[i] + slope * gy[i]);
    }

    /** {@code gx = (float) (gx + factor * gy)}. */
    static void scaleBackward(double factor, float[] gy, float[] gx, int from, int to) {
        DoubleVector f = DoubleVector.broadcast(D, factor);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector g = FloatVector.fromArray(F, gy, i);
            FloatVector old = FloatVector.fromArray(F, gx, i);
            narrow(lo(g).fma(f, lo(old)), hi(gy, i, g).fma(f, hi(gx, i, old))).intoArray(gx, i);
        }
        for (; i < to; i++) gx[i] = (float) (gx[i] + factor * gy[i]);
    }

    /** {@code gx += gy}. */
    static void addBackward(float[] gy, float[] gx, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector.fromArray(F, gx, i).add(FloatVector.fromArray(F, gy, i)).intoArray(gx, i);
        }
        for (; i < to; i++) gx[i] += gy[i];
    }

    // ---- Adam ----

    /**
     * One moment of an Adam step over {@code [from, to)} of one parameter, in double as the scalar loop:
     * {@code m = beta * m + (1 - beta) * g} for the first moment, {@code m = beta * m + (1 - beta) * g^2} for the
     * second ({@code squared}), rounded once, where {@code g = grad + decay * p}. The step is split into the
     * two moments and {@link #adamUpdate}, three loops run as three passes, because any two of them in one
     * compiled method exceed C2's inlining budget (see {@link MicroKernels}).
     */
    static void adamMoment(float[] p, float[] g, float[] m, int from, int to, double beta, double decay,
                           boolean squared) {
        int i = from;
        double c = 1 - beta;
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector bv = DoubleVector.broadcast(D, beta);
        DoubleVector dv = DoubleVector.broadcast(D, decay);
        for (; i <= to - L; i += L) {
            FloatVector gv = FloatVector.fromArray(F, g, i);
            DoubleVector gl = lo(gv);
            DoubleVector gh = hi(g, i, gv);
            if (decay != 0) {
                FloatVector pv = FloatVector.fromArray(F, p, i);
                gl = lo(pv).mul(dv).add(gl);
                gh = hi(p, i, pv).mul(dv).add(gh);
            }
            DoubleVector tl = gl.mul(cv);
            DoubleVector th = gh.mul(cv);
            if (squared) {
                tl = tl.mul(gl);
                th = th.mul(gh);
            }
            FloatVector mv = FloatVector.fromArray(F, m, i);
            narrow(lo(mv).mul(bv).add(tl), hi(m, i, mv).mul(bv).add(th)).intoArray(m, i);
        }
        for (; i < to; i++) {
            double gi = decay != 0 ? g[i] + decay * p[i] : g[i];
            m[i] = (float) (beta * m[i] + (squared ? c * gi * gi : c * gi));
        }
    }

    /**
     * The second half: {@code p = p - stepSize * m / (sqrt(v) / bc2Sqrt + eps)} in double from the float
     * moments, so state and step agree exactly.
     */
    static void adamUpdate(float[] p, float[] m, float[] v, int from, int to, double eps, double stepSize,
                           double bc2Sqrt) {
        DoubleVector step = DoubleVector.broadcast(D, stepSize);
        DoubleVector bc = DoubleVector.broadcast(D, bc2Sqrt);
        DoubleVector e = DoubleVector.broadcast(D, eps);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector pv = FloatVector.fromArray(F, p, i);
            FloatVector mv = FloatVector.fromArray(F, m, i);
            FloatVector vv = FloatVector.fromArray(F, v, i);
            DoubleVector dl = lo(vv).lanewise(VectorOperators.SQRT).div(bc).add(e);
            DoubleVector dh = hi(v, i, vv).lanewise(VectorOperators.SQRT).div(bc).add(e);
            narrow(lo(pv).sub(lo(mv).mul(step).div(dl)), hi(p, i, pv).sub(hi(m, i, mv).mul(step).div(dh)))
                    .intoArray(p, i);
        }
        for (; i < to; i++) p[i] = (float) (p[i] - stepSize * m[i] / (Math.sqrt(v[i]) / bc2Sqrt + eps));
    }
}
