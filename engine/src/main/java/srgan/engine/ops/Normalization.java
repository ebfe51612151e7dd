package srgan.engine.ops;

import srgan.engine.GradMode;
import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batch normalisation over NCHW (N batch, C channels, H height, W width), per channel, as PyTorch's
 * {@code F.batch_norm} with affine parameters; and spectral normalisation of a weight, as
 * {@code torch.nn.utils.spectral_norm}.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * In training mode normalises with the batch statistics (biased variance) and updates the running ones
     * in place ({@code running = (1 - momentum) * running + momentum * batch}, unbiased variance); in eval
     * mode normalises with the running statistics. gamma, beta, runningMean and runningVar are [C].
     */
    public static Tensor batchNorm2d(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                     boolean training, double momentum, double eps) {
        Backend backend = checkBatchNorm("batchNorm2d", x, gamma, beta, runningMean, runningVar, training);
        int n = x.size(0);
        int c = x.size(1);
        int hw = x.size(2) * x.size(3);
        Storage y = backend.allocate(x.numel());
        Storage saveMean = backend.allocate(c);
        Storage saveInvStd = backend.allocate(c);
        Storage xs = x.storage();
        Storage gs = gamma.storage();
        if (training) {
            backend.batchNormTrain(xs, gs, beta.storage(), runningMean.storage(), runningVar.storage(), momentum,
                    eps, y, saveMean, saveInvStd, n, c, hw);
        } else {
            backend.batchNormEval(xs, gs, beta.storage(), runningMean.storage(), runningVar.storage(), eps, y,
                    saveMean, saveInvStd, n, c, hw);
        }
        return Tensor.result("batchNorm2d", y, x.shape(), Arrays.asList(x, gamma, beta), (gy, g) ->
                backend.batchNormBackward(training, xs, gs, saveMean, saveInvStd, gy.storage(),
                        Activations.storageOrNull(g[0]), Activations.storageOrNull(g[1]),
                        Activations.storageOrNull(g[2]), n, c, hw), saveMean, saveInvStd);
    }

    /**
     * {@code prelu(batchNorm2d(x, ..., training = true, ...), alpha)}, alpha of shape [1] or [C] (a leaky ReLU
     * being a constant alpha that needs no gradient). Where the backend fuses the two
     * ({@link Backend#fusesBatchNormPrelu}) this is one op: its forward writes only the activation, and its
     * backward recomputes the normalised values from x, so they are never kept (a third of the memory of a
     * conv-BN-activation layer) nor written and read back; elsewhere it is the two ops in turn. The values and
     * gradients are the same either way.
     */
    public static Tensor batchNormPrelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                        double momentum, double eps, Tensor alpha) {
        Backend backend = checkBatchNorm("batchNormPrelu", x, gamma, beta, runningMean, runningVar, true);
        if (!backend.fusesBatchNormPrelu()) {
            return Activations.prelu(batchNorm2d(x, gamma, beta, runningMean, runningVar, true, momentum, eps), alpha);
        }
        Checks.sameBackend("batchNormPrelu", x, alpha);
        int n = x.size(0);
        int c = x.size(1);
        int hw = x.size(2) * x.size(3);
        int alphaCount = (int) alpha.numel();
        Checks.require(alpha.rank() == 1 && (alphaCount == 1 || alphaCount == c), "batchNormPrelu",
                "alpha must have shape [1] or [" + c + "] for input " + Shapes.str(x.shape()) + ", got "
                        + Shapes.str(alpha.shape()));
        Storage z = backend.allocate(x.numel());
        Storage saveMean = backend.allocate(c);
        Storage saveInvStd = backend.allocate(c);
        Storage xs = x.storage();
        Storage gs = gamma.storage();
        Storage bs = beta.storage();
        Storage as = alpha.storage();
        backend.batchNormPreluTrain(xs, gs, bs, runningMean.storage(), runningVar.storage(), momentum, eps, as,
                alphaCount, z, saveMean, saveInvStd, n, c, hw);
        return Tensor.result("batchNormPrelu", z, x.shape(), Arrays.asList(x, gamma, beta, alpha), (gz, g) ->
                backend.batchNormPreluBackward(xs, gs, bs, saveMean, saveInvStd, as, alphaCount, gz.storage(),
                        Activations.storageOrNull(g[0]), Activations.storageOrNull(g[1]),
                        Activations.storageOrNull(g[2]), Activations.storageOrNull(g[3]), n, c, hw),
                saveMean, saveInvStd);
    }

    private static Backend checkBatchNorm(String op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, boolean training) {
        Backend backend = Checks.sameBackend(op, x, gamma, beta, runningMean, runningVar);
        Checks.rank(op, "input", x, 4);
        int n = x.size(0);
        int c = x.size(1);
        int hw = x.size(2) * x.size(3);
        for (Tensor t : new Tensor[]{gamma, beta, runningMean, runningVar}) {
            Checks.require(t.rank() == 1 && t.size(0) == c, op, "parameter shape "
                    + Shapes.str(t.shape()) + " does not match input " + Shapes.str(x.shape()));
        }
        if (training) {
            Checks.require((long) n * hw > 1, op, "training needs more than one value per channel, "
                    + "got input " + Shapes.str(x.shape()));
        }
        return backend;
    }

    /**
     * Spectral normalisation (Miyato et al. 2018) with one power iteration, as
     * {@code torch.nn.utils.spectral_norm(n_power_iterations=1)}: the weight, viewed as a matrix W of
     * [out, rest] (out = its dimension 0), divided by an estimate of its largest singular value,
     * {@code sigma = u . (W v)}.
     *
     * <p>In training mode one power iteration first refines the estimates, without gradient, and writes them
     * into {@code u} and {@code v} in place: {@code v = normalize(W^T u)}, then {@code u = normalize(W v)}.
     * In eval mode the stored u and v are used unchanged (PyTorch's behaviour since its version 1 of the
     * hook). Either way the gradient flows to the weight only, through {@code W} in both the numerator and
     * sigma, with u and v constants, exactly as PyTorch differentiates it. The values of u and v used are
     * copied, so a second forward before the backward (D(real) and D(fake) in one graph) cannot change the
     * first one's gradient.
     *
     * <p>{@code normalize(x)} is {@code x / sqrt(|x|^2 + eps^2)}, where PyTorch's {@code F.normalize} takes
     * {@code x / max(|x|, eps)}; the two differ only for {@code |x|} within a few orders of magnitude of eps.
     *
     * @param weight [out, ...], any rank of at least 1
     * @param u      [out], the left singular vector estimate; must not require a gradient
     * @param v      [rest], the right singular vector estimate; must not require a gradient
     * @param eps    keeps normalize finite for a zero vector; PyTorch's default is 1e-12
     * @return {@code weight / sigma}, of the weight's shape
     */
    public static Tensor spectralNormalize(Tensor weight, Tensor u, Tensor v, boolean training, double eps) {
        Backend backend = Checks.sameBackend("spectralNormalize", weight, u, v);
        Checks.require(weight.rank() >= 1, "spectralNormalize", "weight needs at least one dimension");
        int out = weight.size(0);
        int rest = (int) (weight.numel() / Math.max(1, out));
        Checks.require(u.rank() == 1 && u.size(0) == out && v.rank() == 1 && v.size(0) == rest,
                "spectralNormalize", "u " + Shapes.str(u.shape()) + " and v " + Shapes.str(v.shape())
                        + " do not fit weight " + Shapes.str(weight.shape()) + " as a [" + out + ", " + rest
                        + "] matrix");
        Checks.require(!u.requiresGrad() && !v.requiresGrad(), "spectralNormalize",
                "u and v are state, not parameters: they must not require a gradient");
        if (training) {
            try (GradMode ignored = GradMode.noGrad()) {
                Storage w = weight.storage();
                // Row-vector products: W^T u is u^T W ([1, out] x [out, rest]), W v is v^T W^T.
                try (Tensor wtu = Tensor.zeros(backend, rest)) {
                    backend.gemm(false, false, 1, rest, out, 1, u.storage(), w, 0, wtu.storage());
                    normalizeInto(wtu, eps, v);
                }
                try (Tensor wv = Tensor.zeros(backend, out)) {
                    backend.gemm(false, true, 1, out, rest, 1, v.storage(), w, 0, wv.storage());
                    normalizeInto(wv, eps, u);
                }
            }
        }
        List<Tensor> intermediates = new ArrayList<>();
        Tensor uRow = track(intermediates, copy(u, 1, out));
        Tensor vRow = track(intermediates, copy(v, 1, rest));
        Tensor matrix = track(intermediates, Layout.reshape(weight, out, rest));
        Tensor wvRow = track(intermediates, Dense.linear(vRow, matrix, null));     // (W v)^T, [1, out]
        Tensor products = track(intermediates, Arithmetic.mul(uRow, wvRow));
        Tensor sigma = track(intermediates, Reductions.sum(products));
        Tensor inverseSigma = track(intermediates, Arithmetic.reciprocal(sigma));
        Tensor normalized = Arithmetic.mul(weight, inverseSigma);
        // Without a recorded graph nothing reads the intermediates again: free them now instead of with the scope.
        if (normalized.gradFn() == null) intermediates.forEach(Tensor::close);
        return normalized;
    }

    /** {@code target = x / sqrt(|x|^2 + eps^2)}, in place; called without gradient. */
    private static void normalizeInto(Tensor x, double eps, Tensor target) {
        try (Tensor squares = Arithmetic.mul(x, x);
             Tensor squaredNorm = Reductions.sum(squares);
             Tensor inverseNorm = Arithmetic.rsqrt(squaredNorm, eps * eps);
             Tensor unit = Arithmetic.mul(x, inverseNorm)) {
            target.backend().copy(unit.storage(), 0, target.storage(), 0, target.numel());
        }
    }

    private static Tensor copy(Tensor source, int... shape) {
        Tensor t = Tensor.zeros(source.backend(), shape);
        t.backend().copy(source.storage(), 0, t.storage(), 0, source.numel());
        return t;
    }

    private static Tensor track(List<Tensor> list, Tensor t) {
        list.add(t);
        return t;
    }
}
