package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.Storage;

import java.util.Arrays;

/** 2-D convolution (cross-correlation, as PyTorch's {@code F.conv2d}) over NCHW. */
public final class Convolution {
    private Convolution() {
    }

    /**
     * @param x      input [N, C, H, W]
     * @param weight [O, C, kH, kW]
     * @param bias   [O], or null
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        Backend backend = Checks.sameBackend("conv2d", x, weight, bias);
        Checks.rank("conv2d", "input", x, 4);
        Checks.rank("conv2d", "weight", weight, 4);
        int[] xs = x.shape();
        int[] ws = weight.shape();
        Checks.require(xs[1] == ws[1], "conv2d", "input " + Shapes.str(xs) + " has " + xs[1]
                + " channels but weight " + Shapes.str(ws) + " expects " + ws[1]);
        if (bias != null) {
            Checks.require(bias.rank() == 1 && bias.size(0) == ws[0], "conv2d", "bias shape "
                    + Shapes.str(bias.shape()) + " does not match weight " + Shapes.str(ws));
        }
        ConvGeometry geo;
        try {
            geo = new ConvGeometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], stride, padding);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("conv2d: " + e.getMessage(), e);
        }
        int[] outShape = {geo.n(), geo.outChannels(), geo.outHeight(), geo.outWidth()};
        Storage y = backend.allocate(geo.outputSize());
        Storage xst = x.storage();
        Storage wst = weight.storage();
        backend.conv2d(geo, xst, wst, bias == null ? null : bias.storage(), y);
        int[] biasShape = {1, geo.outChannels(), 1, 1};
        return Tensor.result("conv2d", y, outShape, Arrays.asList(x, weight, bias), (gy, g) -> {
            if (g[0] != null) backend.conv2dBackwardData(geo, wst, gy.storage(), g[0].storage());
            if (g[1] != null) backend.conv2dBackwardWeight(geo, xst, gy.storage(), g[1].storage());
            if (g[2] != null) backend.sumTo(gy.storage(), outShape, g[2].storage(), biasShape, 1);
        });
    }
}
