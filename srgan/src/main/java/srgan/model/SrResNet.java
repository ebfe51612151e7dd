package srgan.model;

import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.BatchNorm2d;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.nn.PReLU;
import srgan.engine.nn.PixelShuffle;
import srgan.engine.nn.Sequential;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;

/**
 * The paper's generator (SRResNet): a 9x9 head with PReLU; residual blocks; conv3x3-BN plus the long skip
 * from the head; two conv3x3 (C -> 4C) / PixelShuffle(2) / PReLU stages; a 9x9 tail; tanh. Input LR in
 * [0, 1], output SR in [-1, 1] at 4x the size.
 */
public final class SrResNet extends Module {
    private final Sequential head;
    private final Sequential body;
    private final Sequential mid;
    private final Sequential up;
    private final Conv2d tail;

    /** The paper's configuration: 64 channels, 16 blocks. */
    public SrResNet(Backend backend, Rng rng) {
        this(backend, rng, 64, 16);
    }

    public SrResNet(Backend backend, Rng rng, int channels, int blocks) {
        head = registerModule("head", new Sequential(new Conv2d(backend, rng, 3, channels, 9, 1, 4, true),
                new PReLU(backend)));
        body = registerModule("body", new Sequential());
        for (int i = 0; i < blocks; i++) body.add(new ResidualBlock(backend, rng, channels));
        mid = registerModule("mid", new Sequential(new Conv2d(backend, rng, channels, channels, 3, 1, 1, true),
                new BatchNorm2d(backend, channels)));
        up = registerModule("up", new Sequential());
        for (int i = 0; i < 2; i++) {
            up.add(new Conv2d(backend, rng, channels, 4 * channels, 3, 1, 1, true));
            up.add(new PixelShuffle(2));
            up.add(new PReLU(backend));
        }
        tail = registerModule("tail", new Conv2d(backend, rng, channels, 3, 9, 1, 4, true));
    }

    @Override
    public Tensor forward(Tensor lr) {
        Tensor h = head.forward(lr);
        Tensor features = Arithmetic.add(h, mid.forward(body.forward(h)));
        return Activations.tanh(tail.forward(up.forward(features)));
    }
}
