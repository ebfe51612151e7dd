package srgan.model;

import srgan.config.DiscriminatorSpec;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.BatchNorm2d;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Flatten;
import srgan.engine.nn.LeakyReLU;
import srgan.engine.nn.Linear;
import srgan.engine.nn.Module;
import srgan.engine.nn.Sequential;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;

/**
 * The discriminator, built from a {@link DiscriminatorSpec}. It returns logits (the sigmoid lives in the loss).
 * <ul>
 *   <li>{@code paper}: conv3x3 64 + LeakyReLU(0.2); seven conv3x3-BN-LeakyReLU(0.2) with channels
 *   64,128,128,256,256,512,512 and strides 2,1,2,1,2,1,2; dense 1024 + LeakyReLU(0.2); dense 1. A 96x96 input
 *   reaches 512 x 6 x 6.</li>
 *   <li>{@code seed}: the Paddle reproduction's eight conv4x4 stride-2 layers (64 ... 2048 ... 512 channels),
 *   each conv-BN-LeakyReLU(0.2) but the first without BN; a residual branch conv3x3 512 + BN + LeakyReLU(0.2)
 *   added back and followed by LeakyReLU(0.2); dense 1. Its padding is 1 on every side, which is TensorFlow's
 *   'SAME' on even sizes; a 384 crop ends at 512 x 1 x 1 (SAME would give 2 x 2).</li>
 * </ul>
 * With {@code batch_norm: false} the BN layers are left out; with {@code spectral_norm: true} every conv and
 * dense weight is spectrally normalised.
 */
public final class Discriminator extends Module {
    private static final int[][] PAPER_LAYERS = {{64, 2}, {128, 1}, {128, 2}, {256, 1}, {256, 2}, {512, 1}, {512, 2}};
    private static final int[] SEED_CHANNELS = {64, 128, 256, 512, 1024, 2048, 1024, 512};
    private static final double LEAK = 0.2;

    private final DiscriminatorSpec spec;
    private final Sequential features;
    private final Sequential residual;
    private final Sequential classifier;

    /** The paper's discriminator for {@code hrSize} x {@code hrSize} images. */
    public Discriminator(Backend backend, Rng rng, int hrSize) {
        this(backend, rng, DiscriminatorSpec.paper(), hrSize);
    }

    public Discriminator(Backend backend, Rng rng, DiscriminatorSpec spec, int hrSize) {
        this.spec = spec;
        checkInput(spec, hrSize);
        features = registerModule("features", new Sequential(conv(backend, rng, 3, 64, firstKernel(spec), firstStride(spec)),
                new LeakyReLU(LEAK)));
        int side;
        int in = 64;
        if (spec.type() == DiscriminatorSpec.Type.PAPER) {
            for (int[] layer : PAPER_LAYERS) {
                addLayer(backend, rng, in, layer[0], 3, layer[1]);
                in = layer[0];
            }
            side = hrSize / 16;
            residual = null;
            classifier = registerModule("classifier", new Sequential(new Flatten(),
                    linear(backend, rng, 512 * side * side, 1024), new LeakyReLU(LEAK),
                    linear(backend, rng, 1024, 1)));
        } else {
            side = seedSide(hrSize, 1);
            for (int i = 1; i < SEED_CHANNELS.length; i++) {
                addLayer(backend, rng, in, SEED_CHANNELS[i], 4, 2);
                in = SEED_CHANNELS[i];
                side = seedSide(side, 1);
            }
            residual = registerModule("residual", new Sequential(conv(backend, rng, in, in, 3, 1)));
            if (spec.batchNorm()) residual.add(new BatchNorm2d(backend, in));
            residual.add(new LeakyReLU(LEAK));
            classifier = registerModule("classifier", new Sequential(new Flatten(),
                    linear(backend, rng, in * side * side, 1)));
        }
    }

    private static int firstKernel(DiscriminatorSpec spec) {
        return spec.type() == DiscriminatorSpec.Type.PAPER ? 3 : 4;
    }

    private static int firstStride(DiscriminatorSpec spec) {
        return spec.type() == DiscriminatorSpec.Type.PAPER ? 1 : 2;
    }

    /** Output side of {@code layers} seed convs (4x4, stride 2, padding 1) on a side of {@code in}; 0 if none fits. */
    private static int seedSide(int in, int layers) {
        int s = in;
        for (int i = 0; i < layers; i++) s = s < 2 ? 0 : (s - 2) / 2 + 1;
        return s;
    }

    /** Smallest HR side (a multiple of the scale) on which the seed discriminator's eight layers all fit. */
    static int seedMinimumSide() {
        int s = Generator.SCALE;
        while (seedSide(s, SEED_CHANNELS.length) < 1) s += Generator.SCALE;
        return s;
    }

    /**
     * Checks that {@code hrSize} suits the discriminator type.
     *
     * @throws IllegalArgumentException saying which crop sizes work
     */
    public static void checkInput(DiscriminatorSpec spec, int hrSize) {
        if (spec.type() == DiscriminatorSpec.Type.PAPER && (hrSize < 16 || hrSize % 16 != 0)) {
            throw new IllegalArgumentException("the paper's discriminator needs an HR crop divisible by 16 (it halves "
                    + "it four times), got " + hrSize);
        }
        if (spec.type() == DiscriminatorSpec.Type.SEED && seedSide(hrSize, SEED_CHANNELS.length) < 1) {
            throw new IllegalArgumentException("the seed discriminator's eight stride-2 convs need an HR crop of at "
                    + "least " + seedMinimumSide() + " (the seed used 384), got " + hrSize);
        }
    }

    private void addLayer(Backend backend, Rng rng, int in, int out, int kernel, int stride) {
        features.add(conv(backend, rng, in, out, kernel, stride));
        if (spec.batchNorm()) features.add(new BatchNorm2d(backend, out));
        features.add(new LeakyReLU(LEAK));
    }

    private Conv2d conv(Backend backend, Rng rng, int in, int out, int kernel, int stride) {
        int padding = kernel == 4 ? 1 : kernel / 2;
        return spec.spectralNorm() ? Conv2d.spectralNormalized(backend, rng, in, out, kernel, stride, padding, true)
                : new Conv2d(backend, rng, in, out, kernel, stride, padding, true);
    }

    private Linear linear(Backend backend, Rng rng, int in, int out) {
        return spec.spectralNorm() ? Linear.spectralNormalized(backend, rng, in, out, true)
                : new Linear(backend, rng, in, out, true);
    }

    public DiscriminatorSpec spec() {
        return spec;
    }

    @Override
    public Tensor forward(Tensor image) {
        Tensor x = features.forward(image);
        if (residual != null) x = Activations.leakyRelu(Arithmetic.add(x, residual.forward(x)), LEAK);
        return classifier.forward(x);
    }
}
