package srgan.model;

import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.nn.ReLU;
import srgan.engine.nn.Sequential;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Pooling;

/**
 * torchvision's {@code vgg19().features}, truncated, with its parameter names ({@code features.N.weight}),
 * so converted ImageNet weights load as they are. The weights are frozen; gradients still reach the input.
 * The input is an image in [-1, 1], mapped to [0, 1] and normalised with ImageNet's mean and std.
 */
public final class Vgg19Features extends Module {
    /** Channels of each conv, 0 for a 2x2 max-pool, in torchvision's order. */
    private static final int[] CONFIG = {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0,
            512, 512, 512, 512, 0};
    /** VGG54: up to relu5_4, {@code features[:36]}. */
    public static final int VGG54 = 36;
    /** VGG22: up to relu2_2, {@code features[:9]}. */
    public static final int VGG22 = 9;

    private final Sequential features;
    private final Tensor scale;
    private final Tensor shift;

    /** The first {@code layers} entries of {@code features}, randomly initialised (load real weights after). */
    public Vgg19Features(Backend backend, Rng rng, int layers) {
        features = registerModule("features", new Sequential());
        int in = 3;
        for (int c : CONFIG) {
            if (features.size() >= layers) break;
            if (c == 0) {
                features.add(new MaxPool2x2());
            } else {
                features.add(new Conv2d(backend, rng, in, c, 3, 1, 1, true));
                if (features.size() < layers) features.add(new ReLU());
                in = c;
            }
        }
        for (Tensor p : parameters()) p.requiresGrad(false);
        // ((x + 1) / 2 - mean) / std = x * (0.5 / std) + (0.5 - mean) / std, per channel.
        double[] mean = {0.485, 0.456, 0.406};
        double[] std = {0.229, 0.224, 0.225};
        double[] a = new double[3];
        double[] b = new double[3];
        for (int i = 0; i < 3; i++) {
            a[i] = 0.5 / std[i];
            b[i] = (0.5 - mean[i]) / std[i];
        }
        // Constants of the module, not parameters: torchvision's state dict has no entry for them.
        scale = Scope.release(Tensor.ofDoubles(backend, a, 1, 3, 1, 1));
        shift = Scope.release(Tensor.ofDoubles(backend, b, 1, 3, 1, 1));
    }

    @Override
    public Tensor forward(Tensor image) {
        return features.forward(Arithmetic.add(Arithmetic.mul(image, scale), shift));
    }

    @Override
    public void close() {
        scale.close();
        shift.close();
        super.close();
    }

    /** torchvision's {@code MaxPool2d(kernel_size=2, stride=2)}. */
    private static final class MaxPool2x2 extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return Pooling.maxPool2d(x, 2, 2, 0);
        }
    }
}
