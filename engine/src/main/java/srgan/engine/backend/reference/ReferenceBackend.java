package srgan.engine.backend.reference;

import java.util.Arrays;
import java.util.List;

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

/**
 * The oracle: every primitive of {@link Backend} as the plainest loop nest that states its definition, in
 * double precision, on one thread. Gradient checks run on it and the fast backends are held to it, so it
 * trades all speed for being checkable by eye; resist optimising it.
 *
 * <p>Shape letters: N batch ({@code img} in loops), C channels ({@code ch}), H and W height and width,
 * {@code hw} = H * W ({@code p} walks it). Element (img, ch, p) of an NCHW tensor sits at
 * {@code (img * C + ch) * hw + p}.
 */
public final class ReferenceBackend implements Backend {
    private boolean closed;

    /** A new, open reference backend; it holds no resources beyond the arrays it allocates. */
    public ReferenceBackend() {
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String describe() {
        return "reference backend (float64, 1 thread)";
    }

    // ---- memory ----

    @Override
    public Storage allocate(long size) {
        ensureOpen();
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("reference backend: cannot allocate " + size
                    + " elements (a Java array holds at most about 2^31)");
        }
        return new ReferenceStorage(this, new double[(int) size]);
    }

    @Override
    public Storage upload(float[] data) {
        ensureOpen();
        double[] copy = new double[data.length];
        for (int i = 0; i < data.length; i++) copy[i] = data[i];
        return new ReferenceStorage(this, copy);
    }

    @Override
    public Storage uploadDoubles(double[] data) {
        ensureOpen();
        return new ReferenceStorage(this, data.clone());
    }

    @Override
    public float[] download(Storage storage) {
        double[] src = data(storage);
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) out[i] = (float) src[i];
        return out;
    }

    @Override
    public double[] downloadDoubles(Storage storage) {
        return data(storage).clone();
    }

    @Override
    public void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count) {
        // arraycopy behaves as if through a temporary, so overlapping ranges of one storage are safe.
        System.arraycopy(data(src), Math.toIntExact(srcOffset), data(dst), Math.toIntExact(dstOffset),
                Math.toIntExact(count));
    }

    @Override
    public void fill(Storage dst, double value) {
        Arrays.fill(data(dst), value);
    }

    @Override
    public void synchronize() {
        ensureOpen();
    }

    // ---- element-wise ----

    @Override
    public void unary(UnaryOp op, double param, Storage x, Storage y, long n) {
        double[] xs = data(x);
        double[] ys = data(y);
        int count = Math.toIntExact(n);
        for (int i = 0; i < count; i++) {
            double v = xs[i];
            ys[i] = switch (op) {
                case RELU -> Math.max(v, 0.0); // Math.max keeps NaN, as torch.relu does
                case LEAKY_RELU -> v > 0 ? v : param * v;
                case TANH -> Math.tanh(v);
                case SIGMOID -> 1 / (1 + Math.exp(-v));
                case SCALE -> param * v;
                case ADD_SCALAR -> v + param;
                case RSQRT -> 1 / Math.sqrt(v + param);
            };
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, double param, Storage x, Storage y, Storage gy, Storage gx, long n) {
        if (gx == null) return;
        double[] xs = op == UnaryOp.RELU || op == UnaryOp.LEAKY_RELU ? data(x) : null;
        double[] ys = op == UnaryOp.TANH || op == UnaryOp.SIGMOID || op == UnaryOp.RSQRT ? data(y) : null;
        double[] gys = data(gy);
        double[] gxs = data(gx);
        int count = Math.toIntExact(n);
        for (int i = 0; i < count; i++) {
            double derivative = switch (op) {
                case RELU -> xs[i] > 0 ? 1 : 0;
                case LEAKY_RELU -> xs[i] > 0 ? 1 : param;
                case TANH -> 1 - ys[i] * ys[i];
                case SIGMOID -> ys[i] * (1 - ys[i]);
                case SCALE -> param;
                case ADD_SCALAR -> 1;
                case RSQRT -> -0.5 * ys[i] * ys[i] * ys[i];
            };
            gxs[i] += derivative * gys[i];
        }
    }

    @Override
    public void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape) {
        double[] as = data(a);
        double[] bs = data(b);
        double[] outs = data(out);
        int[] aStrides = broadcastStrides(aShape);
        int[] bStrides = broadcastStrides(bShape);
        int[] index = new int[outShape.length];
        int total = elementCount(outShape);
        // out[i] is written only after a and b are read at an index that, for a full-shape operand, equals i:
        // that is why out may alias such an operand.
        for (int i = 0; i < total; i++) {
            double x = as[offset(index, aStrides)];
            double y = bs[offset(index, bStrides)];
            outs[i] = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
            };
            increment(index, outShape);
        }
    }

    @Override
    public void sumTo(Storage src, int[] srcShape, Storage dst, int[] dstShape, double scale) {
        double[] srcs = data(src);
        double[] dsts = data(dst);
        int[] dstStrides = broadcastStrides(dstShape);
        int[] index = new int[srcShape.length];
        int total = elementCount(srcShape);
        for (int i = 0; i < total; i++) {
            dsts[offset(index, dstStrides)] += scale * srcs[i];
            increment(index, srcShape);
        }
    }

    // ---- activations with parameters ----

    @Override
    public void prelu(Storage x, Storage alpha, int alphaCount, Storage y, int n, int c, int hw) {
        double[] xs = data(x);
        double[] alphas = data(alpha);
        double[] ys = data(y);
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < c; ch++) {
                double a = alphas[alphaCount == 1 ? 0 : ch];
                for (int p = 0; p < hw; p++) {
                    int i = (img * c + ch) * hw + p;
                    ys[i] = xs[i] > 0 ? xs[i] : a * xs[i];
                }
            }
        }
    }

    @Override
    public void preluBackward(Storage x, Storage alpha, int alphaCount, Storage gy, Storage gx, Storage gAlpha,
                              int n, int c, int hw) {
        double[] xs = data(x);
        double[] alphas = data(alpha);
        double[] gys = data(gy);
        double[] gxs = dataOrNull(gx);
        double[] gAlphas = dataOrNull(gAlpha);
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < c; ch++) {
                int k = alphaCount == 1 ? 0 : ch;
                for (int p = 0; p < hw; p++) {
                    int i = (img * c + ch) * hw + p;
                    if (gxs != null) gxs[i] += (xs[i] > 0 ? 1 : alphas[k]) * gys[i];
                    if (gAlphas != null) gAlphas[k] += (xs[i] > 0 ? 0 : xs[i]) * gys[i];
                }
            }
        }
    }

    // ---- convolution ----
    // The three share one loop nest over (img, out channel, output pixel, in channel, kernel tap): the forward
    // gathers x * w into y, and each backward pass runs the same nest with the multiply-add turned around.

    @Override
    public void conv2d(ConvGeometry g, Storage x, Storage w, Storage bias, Storage y) {
        double[] xs = data(x);
        double[] ws = data(w);
        double[] biases = dataOrNull(bias);
        double[] ys = data(y);
        for (int img = 0; img < g.n(); img++) {
            for (int oc = 0; oc < g.outChannels(); oc++) {
                for (int oh = 0; oh < g.outHeight(); oh++) {
                    for (int ow = 0; ow < g.outWidth(); ow++) {
                        double sum = biases == null ? 0 : biases[oc];
                        for (int ic = 0; ic < g.inChannels(); ic++) {
                            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                                for (int kw = 0; kw < g.kernelWidth(); kw++) {
                                    int ih = oh * g.stride() - g.padding() + kh;
                                    int iw = ow * g.stride() - g.padding() + kw;
                                    if (ih < 0 || ih >= g.inHeight() || iw < 0 || iw >= g.inWidth()) continue;
                                    sum += xs[inputIndex(g, img, ic, ih, iw)] * ws[weightIndex(g, oc, ic, kh, kw)];
                                }
                            }
                        }
                        ys[outputIndex(g, img, oc, oh, ow)] = sum;
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Storage w, Storage gy, Storage gx) {
        if (gx == null) return;
        double[] ws = data(w);
        double[] gys = data(gy);
        double[] gxs = data(gx);
        for (int img = 0; img < g.n(); img++) {
            for (int oc = 0; oc < g.outChannels(); oc++) {
                for (int oh = 0; oh < g.outHeight(); oh++) {
                    for (int ow = 0; ow < g.outWidth(); ow++) {
                        double upstream = gys[outputIndex(g, img, oc, oh, ow)];
                        for (int ic = 0; ic < g.inChannels(); ic++) {
                            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                                for (int kw = 0; kw < g.kernelWidth(); kw++) {
                                    int ih = oh * g.stride() - g.padding() + kh;
                                    int iw = ow * g.stride() - g.padding() + kw;
                                    if (ih < 0 || ih >= g.inHeight() || iw < 0 || iw >= g.inWidth()) continue;
                                    gxs[inputIndex(g, img, ic, ih, iw)] +=
                                            ws[weightIndex(g, oc, ic, kh, kw)] * upstream;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardWeight(ConvGeometry g, Storage x, Storage gy, Storage gw) {
        if (gw == null) return;
        double[] xs = data(x);
        double[] gys = data(gy);
        double[] gws = data(gw);
        for (int img = 0; img < g.n(); img++) {
            for (int oc = 0; oc < g.outChannels(); oc++) {
                for (int oh = 0; oh < g.outHeight(); oh++) {
                    for (int ow = 0; ow < g.outWidth(); ow++) {
                        double upstream = gys[outputIndex(g, img, oc, oh, ow)];
                        for (int ic = 0; ic < g.inChannels(); ic++) {
                            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                                for (int kw = 0; kw < g.kernelWidth(); kw++) {
                                    int ih = oh * g.stride() - g.padding() + kh;
                                    int iw = ow * g.stride() - g.padding() + kw;
                                    if (ih < 0 || ih >= g.inHeight() || iw < 0 || iw >= g.inWidth()) continue;
                                    gws[weightIndex(g, oc, ic, kh, kw)] +=
                                            xs[inputIndex(g, img, ic, ih, iw)] * upstream;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int inputIndex(ConvGeometry g, int img, int ic, int ih, int iw) {
        return ((img * g.inChannels() + ic) * g.inHeight() + ih) * g.inWidth() + iw;
    }

    private static int weightIndex(ConvGeometry g, int oc, int ic, int kh, int kw) {
        return ((oc * g.inChannels() + ic) * g.kernelHeight() + kh) * g.kernelWidth() + kw;
    }

    private static int outputIndex(ConvGeometry g, int img, int oc, int oh, int ow) {
        return ((img * g.outChannels() + oc) * g.outHeight() + oh) * g.outWidth() + ow;
    }

    // ---- batch normalisation ----

    @Override
    public void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                               double momentum, double eps, Storage y, Storage saveMean, Storage saveInvStd,
                               int n, int c, int hw) {
        double[] xs = data(x);
        double[] gammas = data(gamma);
        double[] betas = data(beta);
        double[] runMeans = data(runMean);
        double[] runVars = data(runVar);
        double[] ys = data(y);
        double[] saveMeans = data(saveMean);
        double[] saveInvStds = data(saveInvStd);
        int m = n * hw;
        for (int ch = 0; ch < c; ch++) {
            // Two passes: the variance is a sum of squared deviations, never E[x^2] - E[x]^2.
            double sum = 0;
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < hw; p++) sum += xs[(img * c + ch) * hw + p];
            }
            double mean = sum / m;
            double squares = 0;
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < hw; p++) {
                    double d = xs[(img * c + ch) * hw + p] - mean;
                    squares += d * d;
                }
            }
            double var = squares / m;
            double invStd = 1 / Math.sqrt(var + eps);
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < hw; p++) {
                    int i = (img * c + ch) * hw + p;
                    ys[i] = (xs[i] - mean) * invStd * gammas[ch] + betas[ch];
                }
            }
            saveMeans[ch] = mean;
            saveInvStds[ch] = invStd;
            runMeans[ch] = (1 - momentum) * runMeans[ch] + momentum * mean;
            runVars[ch] = (1 - momentum) * runVars[ch] + momentum * (squares / (m - 1));
        }
    }

    @Override
    public void batchNormEval(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar, double eps,
                              Storage y, Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        double[] xs = data(x);
        double[] gammas = data(gamma);
        double[] betas = data(beta);
        double[] runMeans = data(runMean);
        double[] runVars = data(runVar);
        double[] ys = data(y);
        double[] saveMeans = data(saveMean);
        double[] saveInvStds = data(saveInvStd);
        for (int ch = 0; ch < c; ch++) {
            double mean = runMeans[ch];
            double invStd = 1 / Math.sqrt(runVars[ch] + eps);
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < hw; p++) {
                    int i = (img * c + ch) * hw + p;
                    ys[i] = (xs[i] - mean) * invStd * gammas[ch] + betas[ch];
                }
            }
            saveMeans[ch] = mean;
            saveInvStds[ch] = invStd;
        }
    }

    @Override
    public void batchNormBackward(boolean training, Storage x, Storage gamma, Storage saveMean, Storage saveInvStd,
                                  Storage gy, Storage gx, Storage gGamma, Storage gBeta, int n, int c, int hw) {
        double[] xs = data(x);
        double[] gammas = data(gamma);
        double[] saveMeans = data(saveMean);
        double[] saveInvStds = data(saveInvStd);
        double[] gys = data(gy);
        double[] gxs = dataOrNull(gx);
        double[] gGammas = dataOrNull(gGamma);
        double[] gBetas = dataOrNull(gBeta);
        int m = n * hw;
        for (int ch = 0; ch < c; ch++) {
            double mean = saveMeans[ch];
            double invStd = saveInvStds[ch];
            double sumGy = 0;
            double sumGyXhat = 0;
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < hw; p++) {
                    int i = (img * c + ch) * hw + p;
                    sumGy += gys[i];
                    sumGyXhat += gys[i] * (xs[i] - mean) * invStd;
                }
            }
            if (gBetas != null) gBetas[ch] += sumGy;
            if (gGammas != null) gGammas[ch] += sumGyXhat;
            if (gxs == null) continue;
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < hw; p++) {
                    int i = (img * c + ch) * hw + p;
                    double xhat = (xs[i] - mean) * invStd;
                    // In training the batch mean and variance depend on x: their terms project out the mean
                    // of gy and its component along xhat.
                    double g = training ? gys[i] - sumGy / m - xhat * sumGyXhat / m : gys[i];
                    gxs[i] += gammas[ch] * invStd * g;
                }
            }
        }
    }

    // ---- layout ----

    @Override
    public void pixelShuffle(Storage x, Storage y, int n, int c, int h, int w, int r) {
        double[] xs = data(x);
        double[] ys = data(y);
        int outC = c / (r * r);
        for (int img = 0; img < n; img++) {
            for (int k = 0; k < outC; k++) {
                for (int ih = 0; ih < h; ih++) {
                    for (int i = 0; i < r; i++) {
                        for (int iw = 0; iw < w; iw++) {
                            for (int j = 0; j < r; j++) {
                                int yIndex = ((img * outC + k) * h * r + ih * r + i) * w * r + iw * r + j;
                                int xIndex = ((img * c + k * r * r + i * r + j) * h + ih) * w + iw;
                                ys[yIndex] = xs[xIndex];
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void pixelShuffleBackward(Storage gy, Storage gx, int n, int c, int h, int w, int r) {
        if (gx == null) return;
        double[] gys = data(gy);
        double[] gxs = data(gx);
        int outC = c / (r * r);
        for (int img = 0; img < n; img++) {
            for (int k = 0; k < outC; k++) {
                for (int ih = 0; ih < h; ih++) {
                    for (int i = 0; i < r; i++) {
                        for (int iw = 0; iw < w; iw++) {
                            for (int j = 0; j < r; j++) {
                                int yIndex = ((img * outC + k) * h * r + ih * r + i) * w * r + iw * r + j;
                                int xIndex = ((img * c + k * r * r + i * r + j) * h + ih) * w + iw;
                                gxs[xIndex] += gys[yIndex];
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void copyChannels(Storage src, int srcChannels, int srcOffset, Storage dst, int dstChannels,
                             int dstOffset, int count, int n, int hw, boolean accumulate) {
        double[] srcs = data(src);
        double[] dsts = data(dst);
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < count; ch++) {
                for (int p = 0; p < hw; p++) {
                    int from = (img * srcChannels + srcOffset + ch) * hw + p;
                    int to = (img * dstChannels + dstOffset + ch) * hw + p;
                    dsts[to] = accumulate ? dsts[to] + srcs[from] : srcs[from];
                }
            }
        }
    }

    // ---- pooling ----

    @Override
    public void maxPool2d(PoolGeometry g, Storage x, Storage y) {
        double[] xs = data(x);
        double[] ys = data(y);
        for (int img = 0; img < g.n(); img++) {
            for (int ch = 0; ch < g.channels(); ch++) {
                for (int oh = 0; oh < g.outHeight(); oh++) {
                    for (int ow = 0; ow < g.outWidth(); ow++) {
                        int out = ((img * g.channels() + ch) * g.outHeight() + oh) * g.outWidth() + ow;
                        ys[out] = xs[windowArgmax(g, xs, img, ch, oh, ow)];
                    }
                }
            }
        }
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Storage x, Storage gy, Storage gx) {
        if (gx == null) return;
        double[] xs = data(x);
        double[] gys = data(gy);
        double[] gxs = data(gx);
        for (int img = 0; img < g.n(); img++) {
            for (int ch = 0; ch < g.channels(); ch++) {
                for (int oh = 0; oh < g.outHeight(); oh++) {
                    for (int ow = 0; ow < g.outWidth(); ow++) {
                        int out = ((img * g.channels() + ch) * g.outHeight() + oh) * g.outWidth() + ow;
                        gxs[windowArgmax(g, xs, img, ch, oh, ow)] += gys[out];
                    }
                }
            }
        }
    }

    /**
     * The index into x of the maximum of one output's window, by PyTorch's CPU rule: the first in-bounds
     * element, replaced by any strictly greater one or by any NaN. Padding is minus infinity, so it never
     * wins and is simply skipped; {@link PoolGeometry} guarantees every window holds at least one element.
     */
    private static int windowArgmax(PoolGeometry g, double[] xs, int img, int ch, int oh, int ow) {
        int plane = (img * g.channels() + ch) * g.inHeight() * g.inWidth();
        int best = -1;
        for (int kh = 0; kh < g.kernel(); kh++) {
            for (int kw = 0; kw < g.kernel(); kw++) {
                int ih = oh * g.stride() - g.padding() + kh;
                int iw = ow * g.stride() - g.padding() + kw;
                if (ih < 0 || ih >= g.inHeight() || iw < 0 || iw >= g.inWidth()) continue;
                int i = plane + ih * g.inWidth() + iw;
                if (best < 0 || xs[i] > xs[best] || Double.isNaN(xs[i])) best = i;
            }
        }
        return best;
    }

    // ---- dense ----

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Storage a, Storage b,
                     double beta, Storage c) {
        double[] as = data(a);
        double[] bs = data(b);
        double[] cs = data(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double aip = transA ? as[p * m + i] : as[i * k + p];
                    double bpj = transB ? bs[j * k + p] : bs[p * n + j];
                    sum += aip * bpj;
                }
                // beta == 0 must not read C: it may hold garbage, even NaN, that 0 * NaN would keep.
                cs[i * n + j] = beta == 0 ? alpha * sum : alpha * sum + beta * cs[i * n + j];
            }
        }
    }

    // ---- losses ----

    @Override
    public void loss(LossKind kind, Storage input, Storage target, long n, Storage out) {
        double[] xs = data(input);
        double[] ts = data(target);
        int count = Math.toIntExact(n);
        double sum = 0;
        for (int i = 0; i < count; i++) {
            double x = xs[i];
            double t = ts[i];
            sum += switch (kind) {
                case MSE -> (x - t) * (x - t);
                case L1 -> Math.abs(x - t);
                case BCE_WITH_LOGITS -> Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
            };
        }
        data(out)[0] = sum / count;
    }

    @Override
    public void lossBackward(LossKind kind, Storage input, Storage target, long n, Storage gOut, Storage gInput,
                             Storage gTarget) {
        double[] xs = data(input);
        double[] ts = data(target);
        double[] gInputs = dataOrNull(gInput);
        double[] gTargets = dataOrNull(gTarget);
        int count = Math.toIntExact(n);
        double scale = data(gOut)[0] / count;
        for (int i = 0; i < count; i++) {
            double x = xs[i];
            double t = ts[i];
            double dx = switch (kind) {
                case MSE -> 2 * (x - t);
                case L1 -> Math.signum(x - t); // signum(0) = 0, PyTorch's subgradient
                case BCE_WITH_LOGITS -> 1 / (1 + Math.exp(-x)) - t;
            };
            double dt = switch (kind) {
                case MSE -> -2 * (x - t);
                case L1 -> -Math.signum(x - t);
                case BCE_WITH_LOGITS -> -x;
            };
            if (gInputs != null) gInputs[i] += scale * dx;
            if (gTargets != null) gTargets[i] += scale * dt;
        }
    }

    // ---- optimiser ----

    @Override
    public void adamStep(List<Storage> params, List<Storage> grads, List<Storage> m, List<Storage> v,
                         AdamHyper hyper) {
        double stepSize = hyper.lr() / hyper.biasCorrection1();
        double bc2Sqrt = Math.sqrt(hyper.biasCorrection2());
        for (int t = 0; t < params.size(); t++) {
            double[] ps = data(params.get(t));
            double[] gs = data(grads.get(t));
            double[] ms = data(m.get(t));
            double[] vs = data(v.get(t));
            for (int i = 0; i < ps.length; i++) {
                double g = gs[i] + hyper.weightDecay() * ps[i];
                ms[i] = hyper.beta1() * ms[i] + (1 - hyper.beta1()) * g;
                vs[i] = hyper.beta2() * vs[i] + (1 - hyper.beta2()) * g * g;
                ps[i] -= stepSize * ms[i] / (Math.sqrt(vs[i]) / bc2Sqrt + hyper.eps());
            }
        }
    }

    /** Marks the backend closed; it owns no threads or handles, and its storages stay with the GC. */
    @Override
    public void close() {
        closed = true;
    }

    // ---- helpers ----

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("reference backend used after close()");
    }

    /** The array behind a storage this backend owns; anything else is a caller's mistake. */
    private double[] data(Storage storage) {
        ensureOpen();
        if (!(storage instanceof ReferenceStorage) || storage.backend() != this) {
            String owner = storage == null ? "null" : "backend '" + storage.backend().name() + "'";
            throw new IllegalArgumentException("reference backend got a storage of " + owner
                    + (storage instanceof ReferenceStorage ? " (another reference backend instance)" : ""));
        }
        return ((ReferenceStorage) storage).data();
    }

    /** As {@link #data}, for an optional gradient buffer: null means "not wanted". */
    private double[] dataOrNull(Storage storage) {
        return storage == null ? null : data(storage);
    }

    /** Row-major strides, with 0 on size-1 dimensions so that one element is read for the whole extent. */
    private static int[] broadcastStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = shape[d] == 1 ? 0 : stride;
            stride *= shape[d];
        }
        return strides;
    }

    private static int elementCount(int[] shape) {
        int count = 1;
        for (int size : shape) count = Math.multiplyExact(count, size);
        return count;
    }

    private static int offset(int[] index, int[] strides) {
        int offset = 0;
        for (int d = 0; d < index.length; d++) offset += index[d] * strides[d];
        return offset;
    }

    /** Advances a multi-index in row-major order: the last digit fastest, carrying at each dimension's size. */
    private static void increment(int[] index, int[] shape) {
        for (int d = index.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) return;
            index[d] = 0;
        }
    }
}
