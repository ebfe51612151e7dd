package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;

import java.util.List;

/** Max pooling over NCHW, as PyTorch's {@code F.max_pool2d} with ceil_mode=False. */
public final class Pooling {
    private Pooling() {
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        Checks.rank("maxPool2d", "input", x, 4);
        PoolGeometry geo;
        try {
            geo = new PoolGeometry(x.size(0), x.size(1), x.size(2), x.size(3), kernel, stride, padding);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("maxPool2d: " + e.getMessage() + " (input " + Shapes.str(x.shape())
                    + ")", e);
        }
        Backend backend = x.backend();
        Storage xs = x.storage();
        Storage y = backend.allocate(geo.outputSize());
        backend.maxPool2d(geo, xs, y);
        int[] outShape = {geo.n(), geo.channels(), geo.outHeight(), geo.outWidth()};
        return Tensor.result("maxPool2d", y, outShape, List.of(x),
                (gy, g) -> backend.maxPool2dBackward(geo, xs, gy.storage(), g[0].storage()));
    }
}
