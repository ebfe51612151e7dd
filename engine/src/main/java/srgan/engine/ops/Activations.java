package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

import java.util.Arrays;
import java.util.List;

/** Activation functions: ReLU, LeakyReLU, PReLU, tanh and sigmoid. */
public final class Activations {
    private Activations() {
    }

    public static Tensor relu(Tensor x) {
        return unary("relu", UnaryOp.RELU, 0, x);
    }

    /** {@code x > 0 ? x : alpha * x}. */
    public static Tensor leakyRelu(Tensor x, double alpha) {
        return unary("leakyRelu", UnaryOp.LEAKY_RELU, alpha, x);
    }

    public static Tensor tanh(Tensor x) {
        return unary("tanh", UnaryOp.TANH, 0, x);
    }

    public static Tensor sigmoid(Tensor x) {
        return unary("sigmoid", UnaryOp.SIGMOID, 0, x);
    }

    static Tensor unary(String name, UnaryOp op, double param, Tensor x) {
        Backend backend = x.backend();
        long n = x.numel();
        Storage y = backend.allocate(n);
        Storage xs = x.storage();
        backend.unary(op, param, xs, y, n);
        return Tensor.result(name, y, x.shape(), List.of(x),
                (gy, g) -> backend.unaryBackward(op, param, xs, y, gy.storage(), g[0].storage(), n));
    }

    /**
     * PReLU as PyTorch's {@code F.prelu}: {@code x > 0 ? x : alpha * x}, with one alpha shared by all channels
     * ({@code alpha} of shape [1]) or one per channel (shape [C], C = x's dimension 1). x is [N, C, ...].
     */
    public static Tensor prelu(Tensor x, Tensor alpha) {
        Backend backend = Checks.sameBackend("prelu", x, alpha);
        Checks.require(x.rank() >= 2, "prelu", "input must have a channel dimension, got shape " + Shapes.str(x.shape()));
        int n = x.size(0);
        int c = x.size(1);
        int hw = (int) (x.numel() / ((long) n * c));
        int alphaCount = (int) alpha.numel();
        Checks.require(alpha.rank() == 1 && (alphaCount == 1 || alphaCount == c), "prelu",
                "alpha must have shape [1] or [" + c + "] for input " + Shapes.str(x.shape()) + ", got "
                        + Shapes.str(alpha.shape()));
        Storage y = backend.allocate(x.numel());
        Storage xs = x.storage();
        Storage as = alpha.storage();
        backend.prelu(xs, as, alphaCount, y, n, c, hw);
        return Tensor.result("prelu", y, x.shape(), Arrays.asList(x, alpha), (gy, g) ->
                backend.preluBackward(xs, as, alphaCount, gy.storage(), storageOrNull(g[0]), storageOrNull(g[1]),
                        n, c, hw));
    }

    static Storage storageOrNull(Tensor t) {
        return t == null ? null : t.storage();
    }
}
