package srgan.model;

import srgan.config.Activation;
import srgan.config.GeneratorSpec;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.BatchNorm2d;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.nn.PixelShuffle;
import srgan.engine.nn.Sequential;
import srgan.engine.nn.Upsample;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;

/**
 * The super-resolution generator, built from a {@link GeneratorSpec}; with {@link GeneratorSpec#paper()} it is
 * the paper's SRResNet: a 9x9 head with PReLU; residual blocks; conv3x3-BN plus the long skip from the head;
 * two conv3x3 (C -> 4C) / PixelShuffle(2) / PReLU stages; a 9x9 tail; tanh. Input LR in [0, 1], output SR in
 * [-1, 1] at 4x the size. State-dict names: {@code head.*}, {@code body.N.*}, {@code mid.*}, {@code up.*},
 * {@code hr.*} (ESRGAN's HR conv), {@code tail.*}, {@code skip.*} (the bicubic skip's fixed filter).
 */
public final class Generator extends Module {
    /** The upscaling factor: two x2 stages. */
    public static final int SCALE = 4;

    private final GeneratorSpec spec;
    private final Sequential head;
    private final Sequential body;
    private final Sequential mid;
    private final Sequential up;
    private final Sequential hr;
    private final Conv2d tail;
    private final BicubicUpsample skip;

    /** The paper's SRResNet: 64 channels, 16 blocks. */
    public Generator(Backend backend, Rng rng) {
        this(backend, rng, GeneratorSpec.paper());
    }

    public Generator(Backend backend, Rng rng, GeneratorSpec spec) {
        this.spec = spec;
        int c = spec.channels();
        Activation act = spec.activationFunction();
        head = registerModule("head", new Sequential(conv(backend, rng, 3, c, spec.headKernel())));
        if (spec.headBatchNorm()) head.add(batchNorm(backend, spec, c));
        head.add(act.create(backend));
        body = registerModule("body", new Sequential());
        for (int i = 0; i < spec.blocks(); i++) {
            Module block = Blocks.get(spec.block()).create(backend, rng, spec);
            if (spec.initScale() != 1) scaleInit(block, spec.initScale());
            body.add(block);
        }
        mid = registerModule("mid", new Sequential(conv(backend, rng, c, c, 3)));
        if (spec.batchNorm()) mid.add(batchNorm(backend, spec, c));
        up = registerModule("up", new Sequential());
        for (int i = 0; i < 2; i++) {
            switch (spec.upsampler()) {
                case PIXEL_SHUFFLE -> {
                    up.add(conv(backend, rng, c, 4 * c, 3));
                    up.add(new PixelShuffle(2));
                }
                case NEAREST -> {
                    up.add(new Upsample(2));
                    up.add(conv(backend, rng, c, c, 3));
                }
            }
            up.add(act.create(backend));
        }
        hr = spec.hrConv() ? registerModule("hr", new Sequential(conv(backend, rng, c, c, 3), act.create(backend)))
                : null;
        tail = registerModule("tail", conv(backend, rng, c, 3, spec.tailKernel()));
        skip = spec.globalSkip() == GeneratorSpec.GlobalSkip.BICUBIC
                ? registerModule("skip", new BicubicUpsample(backend)) : null;
    }

    static Conv2d conv(Backend backend, Rng rng, int in, int out, int kernel) {
        return new Conv2d(backend, rng, in, out, kernel, 1, kernel / 2, true);
    }

    static BatchNorm2d batchNorm(Backend backend, GeneratorSpec spec, int channels) {
        return new BatchNorm2d(backend, channels, spec.bnEps(), spec.bnMomentum());
    }

    /** ESRGAN's smaller init: every conv weight of a block times {@code scale}, biases zero. */
    private static void scaleInit(Module block, double scale) {
        for (var e : block.namedParameters().entrySet()) {
            Tensor p = e.getValue();
            float[] v = p.toFloatArray();
            boolean bias = e.getKey().endsWith("bias");
            for (int i = 0; i < v.length; i++) v[i] = bias ? 0f : (float) (v[i] * scale);
            p.copyFrom(v);
        }
    }

    /** The spec this generator was built from. */
    public GeneratorSpec spec() {
        return spec;
    }

    @Override
    public Tensor forward(Tensor lr) {
        Tensor h = head.forward(lr);
        Tensor trunk = mid.forward(body.forward(h));
        Tensor features = Arithmetic.add(h, trunk);
        // As in the residual blocks: the sum's backward reads neither input.
        if (!mid.backwardReadsOutput()) trunk.discardData();
        Tensor x = up.forward(features);
        if (hr != null) x = hr.forward(x);
        Tensor out = tail.forward(x);
        if (skip != null) out = Arithmetic.add(out, skip.forward(lr));
        return spec.output() == GeneratorSpec.Output.TANH ? Activations.tanh(out) : out;
    }
}
