package srgan.engine.backend;

import java.util.List;

/**
 * The closed set of primitives every op in the engine dispatches to. Three implementations exist, each with
 * its own job: the double-precision reference backend (plain loops, the oracle), the multi-threaded float32
 * CPU backend, and the CUDA backend (kernels module). Ops never look at storage contents; they only call
 * these methods, so a backend can keep its data wherever it likes (host arrays, device memory).
 *
 * <p>Conventions, for every method:
 * <ul>
 *   <li>Tensors are contiguous, row-major; images are NCHW. Shape letters: N batch, C channels, H height,
 *       W width; {@code hw} is {@code H * W}.</li>
 *   <li>Forward primitives <em>assign</em> their output. Backward primitives, and every method whose
 *       Javadoc says so, <em>accumulate</em> ({@code +=}) into their gradient buffers, so a tensor used
 *       twice receives both contributions without temporaries. A {@code null} gradient buffer means "not
 *       wanted" and is skipped.</li>
 *   <li>Scalars that live on the device (a loss, the seed of a backward pass) are one-element storages, so
 *       a training step needs no host round trip.</li>
 *   <li>Arguments are validated by the ops layer; backends may assume consistent sizes.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** Short name: "reference", "cpu", "cuda". */
    String name();

    /** One line for start-up logs: precision, threads or device, libraries loaded. */
    String describe();

    // ---- memory ----

    /** A new zero-filled buffer. */
    Storage allocate(long size);

    Storage upload(float[] data);

    /** Uploads doubles; exact on the reference backend, rounded to float32 elsewhere. */
    Storage uploadDoubles(double[] data);

    float[] download(Storage storage);

    double[] downloadDoubles(Storage storage);

    /** {@code dst[dstOffset + i] = src[srcOffset + i]} for {@code i < count}. */
    void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count);

    void fill(Storage dst, double value);

    /** Waits for queued work to finish (a no-op on synchronous backends). */
    void synchronize();

    // ---- element-wise ----

    /** {@code y[i] = op(x[i]; param)} for {@code i < n}; y may be x. */
    void unary(UnaryOp op, double param, Storage x, Storage y, long n);

    /**
     * {@code gx[i] += op'(x[i], y[i]; param) * gy[i]}. Which of x and y is read depends on the op (see
     * {@link UnaryOp}); the other may be null.
     */
    void unaryBackward(UnaryOp op, double param, Storage x, Storage y, Storage gy, Storage gx, long n);

    /**
     * {@code out = a OP b} with NumPy broadcasting. All three shapes have the same rank; each dimension of
     * {@code aShape} and {@code bShape} equals that of {@code outShape} or is 1. {@code out} may be the same
     * storage as {@code a} or {@code b} when that operand has the full output shape.
     */
    void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape);

    /**
     * Accumulating reduction to a broadcast shape, the adjoint of broadcasting:
     * {@code dst += scale * sum of src over the dimensions where dstShape is 1}. Same rank; each dimension of
     * {@code dstShape} equals that of {@code srcShape} or is 1. It serves sum/mean, bias gradients and the
     * backward of every broadcast.
     */
    void sumTo(Storage src, int[] srcShape, Storage dst, int[] dstShape, double scale);

    // ---- activations with parameters ----

    /**
     * PReLU over NCHW: {@code y = x > 0 ? x : alpha[c] * x}, where alpha has {@code alphaCount} = 1 (shared)
     * or C (per channel) elements.
     */
    void prelu(Storage x, Storage alpha, int alphaCount, Storage y, int n, int c, int hw);

    /**
     * Accumulates {@code gx += (x > 0 ? 1 : alpha) * gy} and {@code gAlpha += sum of (x > 0 ? 0 : x) * gy}
     * over every element sharing that alpha.
     */
    void preluBackward(Storage x, Storage alpha, int alphaCount, Storage gy, Storage gx, Storage gAlpha,
                       int n, int c, int hw);

    // ---- convolution ----

    /** Cross-correlation as PyTorch's {@code conv2d}: y = x (*) w + bias. {@code bias} may be null. */
    void conv2d(ConvGeometry g, Storage x, Storage w, Storage bias, Storage y);

    /** Accumulates the input gradient: {@code gx += conv2d_transpose(gy, w)}. */
    void conv2dBackwardData(ConvGeometry g, Storage w, Storage gy, Storage gx);

    /** Accumulates the weight gradient: {@code gw += correlate(x, gy)}. The bias gradient is {@link #sumTo}. */
    void conv2dBackwardWeight(ConvGeometry g, Storage x, Storage gy, Storage gw);

    // ---- batch normalisation over NCHW, per channel, always affine ----

    /**
     * Training mode: normalises with the batch mean and the biased batch variance; writes
     * {@code saveMean[c]} and {@code saveInvStd[c] = 1 / sqrt(var + eps)} for the backward pass; updates
     * {@code running = (1 - momentum) * running + momentum * batch}, with the unbiased variance
     * ({@code var * m / (m - 1)}, m = N*H*W) in {@code runVar}, as PyTorch.
     */
    void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                        double momentum, double eps, Storage y, Storage saveMean, Storage saveInvStd,
                        int n, int c, int hw);

    /**
     * Eval mode: normalises with the running statistics. Also writes {@code saveMean = runMean} and
     * {@code saveInvStd = 1 / sqrt(runVar + eps)}, so the same backward primitive serves both modes.
     */
    void batchNormEval(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar, double eps,
                       Storage y, Storage saveMean, Storage saveInvStd, int n, int c, int hw);

    /**
     * Accumulates gx, gGamma and gBeta (each may be null). With {@code training} the statistics depend on x
     * and contribute their terms; in eval mode they are constants.
     */
    void batchNormBackward(boolean training, Storage x, Storage gamma, Storage saveMean, Storage saveInvStd,
                           Storage gy, Storage gx, Storage gGamma, Storage gBeta, int n, int c, int hw);

    /**
     * Whether this backend has {@link #batchNormPreluTrain} and {@link #batchNormPreluBackward}; where it has
     * not, the ops compose batch norm and PReLU from the primitives above.
     */
    default boolean fusesBatchNormPrelu() {
        return false;
    }

    /**
     * {@link #batchNormTrain} followed by PReLU, {@code z = y > 0 ? y : alpha * y} with {@code alpha} [1] or [C]
     * (a leaky ReLU being a constant alpha), writing z only: the same z, saved statistics and running statistics
     * as the two primitives in turn, without the intermediate y.
     */
    default void batchNormPreluTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                                     double momentum, double eps, Storage alpha, int alphaCount, Storage z,
                                     Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        throw new UnsupportedOperationException(name() + " has no fused batch norm and PReLU");
    }

    /**
     * The backward of {@link #batchNormPreluTrain} from x and gz alone, y being recomputed from x, beta and the
     * saved statistics: accumulates gx, gGamma, gBeta and gAlpha (each may be null) as PReLU's backward and
     * then batch norm's (training mode) would.
     */
    default void batchNormPreluBackward(Storage x, Storage gamma, Storage beta, Storage saveMean,
                                        Storage saveInvStd, Storage alpha, int alphaCount, Storage gz, Storage gx,
                                        Storage gGamma, Storage gBeta, Storage gAlpha, int n, int c, int hw) {
        throw new UnsupportedOperationException(name() + " has no fused batch norm and PReLU");
    }

    // ---- layout ----

    /**
     * PyTorch's {@code pixel_shuffle}: x {@code [n, c, h, w]} with c divisible by r*r to y
     * {@code [n, c/(r*r), h*r, w*r]}, {@code y[n][k][h*r+i][w*r+j] = x[n][k*r*r + i*r + j][h][w]}.
     */
    void pixelShuffle(Storage x, Storage y, int n, int c, int h, int w, int r);

    /** Accumulates the inverse permutation of gy into gx. Arguments describe x, as in the forward. */
    void pixelShuffleBackward(Storage gy, Storage gx, int n, int c, int h, int w, int r);

    /**
     * Copies (or, with {@code accumulate}, adds) {@code count} channels of every image: from channel
     * {@code srcOffset} of src {@code [n, srcChannels, hw]} to channel {@code dstOffset} of dst
     * {@code [n, dstChannels, hw]}. Concat along channels and its backward.
     */
    void copyChannels(Storage src, int srcChannels, int srcOffset, Storage dst, int dstChannels, int dstOffset,
                      int count, int n, int hw, boolean accumulate);

    // ---- pooling ----

    void maxPool2d(PoolGeometry g, Storage x, Storage y);

    /**
     * Accumulates gy into gx at the position of each window's maximum, recomputed from x; ties go to the
     * first position in row-major window order, as PyTorch's CPU kernel.
     */
    void maxPool2dBackward(PoolGeometry g, Storage x, Storage gy, Storage gx);

    // ---- dense ----

    /**
     * Row-major GEMM: {@code C[m x n] = alpha * op(A) * op(B) + beta * C}, where op(A) is {@code m x k}
     * (A is stored {@code k x m} when transposed) and op(B) is {@code k x n}. With beta = 0, C is not read.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Storage a, Storage b,
              double beta, Storage c);

    // ---- losses (mean reduction), into a one-element storage ----

    void loss(LossKind kind, Storage input, Storage target, long n, Storage out);

    /**
     * Accumulates the gradients of the loss with respect to input and target (each may be null), scaled by
     * the one-element upstream gradient {@code gOut}.
     */
    void lossBackward(LossKind kind, Storage input, Storage target, long n, Storage gOut, Storage gInput,
                      Storage gTarget);

    // ---- optimiser ----

    /**
     * One Adam step over every parameter at once (params, grads, first and second moments are parallel
     * lists; each quadruple has one size). See {@link AdamHyper} for the formula.
     */
    void adamStep(List<Storage> params, List<Storage> grads, List<Storage> m, List<Storage> v, AdamHyper hyper);

    /** Releases the backend's own resources (threads, handles, cached memory). */
    @Override
    void close();
}
