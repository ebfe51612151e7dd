package srgan.model;

import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Module;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Layout;
import srgan.image.Bicubic;

/**
 * MATLAB-style bicubic x4 upsampling of an LR batch in [0, 1] to [-1, 1], as a fixed layer (the global skip of
 * {@code global_skip: bicubic}). Integer upscaling is a convolution per output phase: a 5x5 conv from each
 * channel to its 16 phases, whose weights are the products of {@link Bicubic#upscaleTaps}, then
 * PixelShuffle(4). Away from the border (two LR pixels) it equals {@link Bicubic#resize}; at the border the
 * conv's zero padding stands where MATLAB mirrors, which the network's residual absorbs. The filter is a buffer,
 * never trained; the map to [-1, 1] is folded into it (weights x2, bias -1).
 */
public final class BicubicUpsample extends Module {
    private static final int R = Generator.SCALE;
    private static final int K = 2 * Bicubic.UPSCALE_TAP_RADIUS + 1;
    private final Tensor weight;
    private final Tensor bias;

    public BicubicUpsample(Backend backend) {
        double[][] taps = Bicubic.upscaleTaps(R);
        int phases = R * R;
        double[] w = new double[3 * phases * 3 * K * K];
        for (int c = 0; c < 3; c++) {
            for (int py = 0; py < R; py++) {
                for (int px = 0; px < R; px++) {
                    // Output channel c*16 + py*4 + px lands at (py, px) of each 4x4 cell after PixelShuffle(4).
                    int out = c * phases + py * R + px;
                    for (int dy = 0; dy < K; dy++) {
                        for (int dx = 0; dx < K; dx++) {
                            w[((out * 3 + c) * K + dy) * K + dx] = 2 * taps[py][dy] * taps[px][dx];
                        }
                    }
                }
            }
        }
        weight = registerBuffer("weight", Tensor.ofDoubles(backend, w, 3 * phases, 3, K, K));
        bias = registerBuffer("bias", Tensor.full(backend, -1, 3 * phases));
    }

    @Override
    public Tensor forward(Tensor lr) {
        return Layout.pixelShuffle(Convolution.conv2d(lr, weight, bias, 1, K / 2), R);
    }
}
