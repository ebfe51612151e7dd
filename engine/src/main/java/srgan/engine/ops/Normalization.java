package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

import java.util.Arrays;

/** Batch normalisation over NCHW, per channel, as PyTorch's {@code F.batch_norm} with affine parameters. */
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
        Backend backend = Checks.sameBackend("batchNorm2d", x, gamma, beta, runningMean, runningVar);
        Checks.rank("batchNorm2d", "input", x, 4);
        int n = x.size(0);
        int c = x.size(1);
        int hw = x.size(2) * x.size(3);
        for (Tensor t : new Tensor[]{gamma, beta, runningMean, runningVar}) {
            Checks.require(t.rank() == 1 && t.size(0) == c, "batchNorm2d", "parameter shape "
                    + Shapes.str(t.shape()) + " does not match input " + Shapes.str(x.shape()));
        }
        if (training) {
            Checks.require((long) n * hw > 1, "batchNorm2d", "training needs more than one value per channel, "
                    + "got input " + Shapes.str(x.shape()));
        }
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
}
