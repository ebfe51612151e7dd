package srgan.engine.nn;

import srgan.engine.GradMode;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.UnaryOp;
import srgan.engine.ops.Normalization;

/**
 * Batch normalisation over NCHW input, per channel, as {@code torch.nn.BatchNorm2d} (affine, tracking running
 * statistics). Parameters {@code weight} (ones) and {@code bias} (zeros), buffers {@code running_mean}
 * (zeros), {@code running_var} (ones) and {@code num_batches_tracked} (a 0-d float counter; PyTorch's is an
 * int64, which float32 counts exactly up to 2^24 batches).
 *
 * <p>In training mode the layer normalises with the batch mean and biased variance and updates the running
 * statistics with PyTorch's momentum convention, {@code running = (1 - momentum) * running + momentum * batch}
 * (the variance unbiased); that is the opposite of Keras's, where momentum weights the old value. In eval mode
 * it normalises with the running statistics and changes nothing.
 */
public final class BatchNorm2d extends Module {
    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    /**
     * @param numFeatures channels, C
     * @param eps         added to the variance before the square root
     * @param momentum    weight of the batch statistic in the running average, in [0, 1]
     */
    public BatchNorm2d(Backend backend, int numFeatures, double eps, double momentum) {
        if (numFeatures <= 0) throw new IllegalArgumentException("BatchNorm2d(" + numFeatures + "): need channels");
        if (!(eps > 0)) throw new IllegalArgumentException("BatchNorm2d eps must be positive, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm2d momentum must be in [0, 1], got " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = registerParameter("weight", Tensor.full(backend, 1, numFeatures));
        this.bias = registerParameter("bias", Tensor.zeros(backend, numFeatures));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(backend, numFeatures));
        this.runningVar = registerBuffer("running_var", Tensor.full(backend, 1, numFeatures));
        this.numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.zeros(backend));
    }

    /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
    public BatchNorm2d(Backend backend, int numFeatures) {
        this(backend, numFeatures, 1e-5, 0.1);
    }

    @Override
    public Tensor forward(Tensor x) {
        boolean training = isTraining();
        Tensor y = Normalization.batchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps);
        if (training) countBatch();
        return y;
    }

    /**
     * This layer and then {@code activation}: in training mode, with a graph being recorded, on a backend that
     * fuses them, and for a {@link PReLU} or {@link LeakyReLU}, one op ({@link Normalization#batchNormPrelu})
     * that keeps no normalised values; otherwise the two modules in turn. The same values and gradients either
     * way.
     */
    public Tensor forwardThen(Module activation, Tensor x) {
        if (!isTraining() || !GradMode.isEnabled() || !fuses(activation) || !x.backend().fusesBatchNormPrelu()) {
            return activation.forward(forward(x));
        }
        // A leaky ReLU is a PReLU whose slope is a constant, with no gradient.
        Tensor alpha = activation instanceof PReLU prelu ? prelu.weight()
                : Tensor.full(x.backend(), ((LeakyReLU) activation).negativeSlope(), 1);
        Tensor z = Normalization.batchNormPrelu(x, weight, bias, runningMean, runningVar, momentum, eps, alpha);
        countBatch();
        return z;
    }

    /** Whether {@link #forwardThen} can fuse this layer with {@code activation}. */
    public static boolean fuses(Module activation) {
        return activation instanceof PReLU || activation instanceof LeakyReLU;
    }

    private void countBatch() {
        // Counted on the backend, in place, so a training step needs no host round trip.
        long one = numBatchesTracked.numel();
        numBatchesTracked.backend().unary(UnaryOp.ADD_SCALAR, 1, numBatchesTracked.storage(),
                numBatchesTracked.storage(), one);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    public Tensor numBatchesTracked() {
        return numBatchesTracked;
    }

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum;
    }

    /** {@inheritDoc} Batch norm's backward reads its input and the saved statistics, never its output. */
    @Override
    public boolean backwardReadsOutput() {
        return false;
    }
}
