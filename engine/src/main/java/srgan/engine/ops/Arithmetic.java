package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

import java.util.Arrays;

/** Element-wise arithmetic with NumPy broadcasting (a per-channel [1, C, 1, 1] over NCHW, a bias over rows). */
public final class Arithmetic {
    private Arithmetic() {
    }

    public static Tensor add(Tensor a, Tensor b) {
        return binary("add", BinaryOp.ADD, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary("sub", BinaryOp.SUB, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary("mul", BinaryOp.MUL, a, b);
    }

    /** {@code s * x}. */
    public static Tensor scale(Tensor x, double s) {
        return Activations.unary("scale", UnaryOp.SCALE, s, x);
    }

    /** {@code x + c}. */
    public static Tensor addScalar(Tensor x, double c) {
        return Activations.unary("addScalar", UnaryOp.ADD_SCALAR, c, x);
    }

    private static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
        Backend backend = Checks.sameBackend(name, a, b);
        int[] outShape = Shapes.broadcast(a.shape(), b.shape());
        int[] aShape = Shapes.padLeft(a.shape(), outShape.length);
        int[] bShape = Shapes.padLeft(b.shape(), outShape.length);
        Storage out = backend.allocate(Shapes.numel(outShape));
        backend.binary(op, a.storage(), aShape, b.storage(), bShape, out, outShape);
        Storage as = a.storage();
        Storage bs = b.storage();
        return Tensor.result(name, out, outShape, Arrays.asList(a, b), (gy, g) -> {
            Storage gys = gy.storage();
            switch (op) {
                case ADD, SUB -> {
                    if (g[0] != null) backend.sumTo(gys, outShape, g[0].storage(), aShape, 1);
                    if (g[1] != null) backend.sumTo(gys, outShape, g[1].storage(), bShape, op == BinaryOp.ADD ? 1 : -1);
                }
                case MUL -> {
                    // d(a*b)/da = b: form gy*b at full size, then reduce to a's shape (and the same for b).
                    if (g[0] != null) productThenReduce(backend, gys, outShape, bs, bShape, g[0].storage(), aShape);
                    if (g[1] != null) productThenReduce(backend, gys, outShape, as, aShape, g[1].storage(), bShape);
                }
            }
        });
    }

    private static void productThenReduce(Backend backend, Storage gy, int[] outShape, Storage other,
                                          int[] otherShape, Storage grad, int[] gradShape) {
        try (Storage product = backend.allocate(Shapes.numel(outShape))) {
            backend.binary(BinaryOp.MUL, gy, outShape, other, otherShape, product, outShape);
            backend.sumTo(product, outShape, grad, gradShape, 1);
        }
    }
}
