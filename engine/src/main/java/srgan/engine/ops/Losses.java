package srgan.engine.ops;

import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.Storage;

import java.util.List;

/** Losses with mean reduction, as PyTorch's defaults; each returns a 0-d tensor that stays on the device. */
public final class Losses {
    private Losses() {
    }

    public static Tensor mse(Tensor input, Tensor target) {
        return loss("mseLoss", LossKind.MSE, input, target);
    }

    public static Tensor l1(Tensor input, Tensor target) {
        return loss("l1Loss", LossKind.L1, input, target);
    }

    /** Binary cross-entropy on logits, in the stable form; target holds probabilities in [0, 1]. */
    public static Tensor bceWithLogits(Tensor logits, Tensor target) {
        return loss("bceWithLogits", LossKind.BCE_WITH_LOGITS, logits, target);
    }

    private static Tensor loss(String name, LossKind kind, Tensor input, Tensor target) {
        Backend backend = Checks.sameBackend(name, input, target);
        Checks.sameShape(name, input, target);
        long n = input.numel();
        Checks.require(n > 0, name, "empty input");
        Storage out = backend.allocate(1);
        Storage is = input.storage();
        Storage ts = target.storage();
        backend.loss(kind, is, ts, n, out);
        return Tensor.result(name, out, new int[0], List.of(input, target), (gy, g) ->
                backend.lossBackward(kind, is, ts, n, gy.storage(), Activations.storageOrNull(g[0]),
                        Activations.storageOrNull(g[1])));
    }
}
