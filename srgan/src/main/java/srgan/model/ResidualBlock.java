package srgan.model;

import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.BatchNorm2d;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.nn.PReLU;
import srgan.engine.ops.Arithmetic;

/** SRResNet's residual block: conv3x3-BN-PReLU-conv3x3-BN plus the identity skip. */
public final class ResidualBlock extends Module {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final PReLU prelu;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;

    public ResidualBlock(Backend backend, Rng rng, int channels) {
        conv1 = registerModule("conv1", new Conv2d(backend, rng, channels, channels, 3, 1, 1, true));
        bn1 = registerModule("bn1", new BatchNorm2d(backend, channels));
        prelu = registerModule("prelu", new PReLU(backend));
        conv2 = registerModule("conv2", new Conv2d(backend, rng, channels, channels, 3, 1, 1, true));
        bn2 = registerModule("bn2", new BatchNorm2d(backend, channels));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor r = bn2.forward(conv2.forward(prelu.forward(bn1.forward(conv1.forward(x)))));
        return Arithmetic.add(x, r);
    }
}
