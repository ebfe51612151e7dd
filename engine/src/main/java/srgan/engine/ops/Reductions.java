package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

import java.util.Arrays;
import java.util.List;

/** Sums and means: over everything (a 0-d result) or down to a broadcast-compatible shape. */
public final class Reductions {
    private Reductions() {
    }

    /** The sum of all elements, as a 0-d tensor. */
    public static Tensor sum(Tensor x) {
        return reduce("sum", x, new int[0], 1.0);
    }

    /** The mean of all elements, as a 0-d tensor. */
    public static Tensor mean(Tensor x) {
        return reduce("mean", x, new int[0], 1.0 / x.numel());
    }

    /**
     * Sums x down to {@code shape}, which must broadcast to x's shape (e.g. [N, C, H, W] to [1, C, 1, 1] sums
     * per channel). The inverse of broadcasting.
     */
    public static Tensor sumTo(Tensor x, int... shape) {
        int[] broadcast = Shapes.broadcast(x.shape(), shape);
        Checks.require(Arrays.equals(broadcast, x.shape()), "sumTo", "shape " + Shapes.str(shape)
                + " does not broadcast to " + Shapes.str(x.shape()));
        return reduce("sumTo", x, shape, 1.0);
    }

    private static Tensor reduce(String name, Tensor x, int[] shape, double scale) {
        Backend backend = x.backend();
        int[] xShape = x.shape();
        int[] target = Shapes.padLeft(shape, xShape.length);
        long outSize = Shapes.numel(shape);
        Storage y = backend.allocate(outSize);
        backend.sumTo(x.storage(), xShape, y, target, scale);
        return Tensor.result(name, y, shape, List.of(x), (gy, g) -> {
            // The adjoint of a scaled sum is a scaled broadcast: gx += scale * gy.
            Storage gx = g[0].storage();
            if (scale == 1.0) {
                backend.binary(BinaryOp.ADD, gx, xShape, gy.storage(), target, gx, xShape);
            } else {
                try (Storage scaled = backend.allocate(outSize)) {
                    backend.unary(UnaryOp.SCALE, scale, gy.storage(), scaled, outSize);
                    backend.binary(BinaryOp.ADD, gx, xShape, scaled, target, gx, xShape);
                }
            }
        });
    }
}
