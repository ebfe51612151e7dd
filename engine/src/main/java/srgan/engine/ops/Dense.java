package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.Storage;

import java.util.Arrays;

/** Fully connected layer, as PyTorch's {@code F.linear}: y = x W^T + b. */
public final class Dense {
    private Dense() {
    }

    /**
     * @param x      [N, in]
     * @param weight [out, in]
     * @param bias   [out], or null
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Backend backend = Checks.sameBackend("linear", x, weight, bias);
        Checks.rank("linear", "input", x, 2);
        Checks.rank("linear", "weight", weight, 2);
        int n = x.size(0), in = x.size(1), out = weight.size(0);
        Checks.require(weight.size(1) == in, "linear", "input " + Shapes.str(x.shape()) + " does not match weight "
                + Shapes.str(weight.shape()));
        if (bias != null) {
            Checks.require(bias.rank() == 1 && bias.size(0) == out, "linear", "bias shape "
                    + Shapes.str(bias.shape()) + " does not match weight " + Shapes.str(weight.shape()));
        }
        Storage y = backend.allocate((long) n * out);
        Storage xs = x.storage();
        Storage ws = weight.storage();
        int[] outShape = {n, out};
        int[] rowShape = {1, out};
        backend.gemm(false, true, n, out, in, 1, xs, ws, 0, y);
        if (bias != null) backend.binary(BinaryOp.ADD, y, outShape, bias.storage(), rowShape, y, outShape);
        return Tensor.result("linear", y, outShape, Arrays.asList(x, weight, bias), (gy, g) -> {
            Storage gys = gy.storage();
            if (g[0] != null) backend.gemm(false, false, n, in, out, 1, gys, ws, 1, g[0].storage());
            if (g[1] != null) backend.gemm(true, false, out, in, n, 1, gys, xs, 1, g[1].storage());
            if (g[2] != null) backend.sumTo(gys, outShape, g[2].storage(), rowShape, 1);
        });
    }
}
