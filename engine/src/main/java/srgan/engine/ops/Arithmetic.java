package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

import java.util.Arrays;
import java.util.List;

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

    /**
     * {@code a / b} with broadcasting, composed as {@code a * reciprocal(b)}; b must be nonzero (see
     * {@link #reciprocal}).
     */
    public static Tensor div(Tensor a, Tensor b) {
        return mul(a, reciprocal(b));
    }

    /**
     * {@code 1 / x}, element-wise, composed from the {@link UnaryOp#RSQRT} primitive: {@code r = rsqrt(x * x)}
     * is {@code 1 / |x|}, and {@code x * r * r} restores the sign; a few float32 roundings in all.
     * Because {@code x * x} is formed, a float32 backend needs {@code 1e-19 < |x| < 1e19}; outside that the
     * result is infinite or zero. Its backward is the exact {@code -y^2 gy}, not the composite's chain rule,
     * which would form {@code r^3} and overflow sooner.
     */
    public static Tensor reciprocal(Tensor x) {
        Backend backend = x.backend();
        long n = x.numel();
        int[] flat = {(int) n};
        Storage xs = x.storage();
        Storage y = backend.allocate(n);
        try (Storage inverseAbs = backend.allocate(n)) {
            backend.binary(BinaryOp.MUL, xs, flat, xs, flat, inverseAbs, flat);
            backend.unary(UnaryOp.RSQRT, 0, inverseAbs, inverseAbs, n);
            backend.binary(BinaryOp.MUL, xs, flat, inverseAbs, flat, y, flat);
            backend.binary(BinaryOp.MUL, y, flat, inverseAbs, flat, y, flat);
        }
        // d(1/x)/dx = -1/x^2 = -y^2.
        return Tensor.result("reciprocal", y, x.shape(), List.of(x), (gy, g) -> {
            try (Storage term = backend.allocate(n)) {
                backend.binary(BinaryOp.MUL, gy.storage(), flat, y, flat, term, flat);
                backend.binary(BinaryOp.MUL, term, flat, y, flat, term, flat);
                backend.binary(BinaryOp.SUB, g[0].storage(), flat, term, flat, g[0].storage(), flat);
            }
        });
    }

    /** {@code 1 / sqrt(x)}, element-wise, as {@code torch.rsqrt}. */
    public static Tensor rsqrt(Tensor x) {
        return rsqrt(x, 0);
    }

    /**
     * {@code 1 / sqrt(x + eps)}, element-wise: the {@link UnaryOp#RSQRT} primitive, whose eps is added in double
     * precision before the square root (so an eps far below x's float32 resolution still keeps {@code x = 0}
     * finite).
     */
    public static Tensor rsqrt(Tensor x, double eps) {
        return Activations.unary("rsqrt", UnaryOp.RSQRT, eps, x);
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
