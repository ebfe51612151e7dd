package srgan.model;

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

/**
 * The paper's discriminator: conv3x3 64 + LeakyReLU(0.2); seven conv3x3-BN-LeakyReLU(0.2) with channels
 * 64,128,128,256,256,512,512 and strides 2,1,2,1,2,1,2; dense 1024 + LeakyReLU(0.2); dense 1. It returns
 * logits (the sigmoid lives in the BCE-with-logits loss). A 96x96 input reaches 512 x 6 x 6.
 */
public final class Discriminator extends Module {
    private static final int[][] LAYERS = {{64, 2}, {128, 1}, {128, 2}, {256, 1}, {256, 2}, {512, 1}, {512, 2}};
    private final Sequential features;
    private final Sequential classifier;

    public Discriminator(Backend backend, Rng rng, int hrSize) {
        if (hrSize % 16 != 0) {
            throw new IllegalArgumentException("the discriminator needs an HR size divisible by 16, got " + hrSize);
        }
        features = registerModule("features", new Sequential(new Conv2d(backend, rng, 3, 64, 3, 1, 1, true),
                new LeakyReLU(0.2)));
        int in = 64;
        for (int[] layer : LAYERS) {
            features.add(new Conv2d(backend, rng, in, layer[0], 3, layer[1], 1, true));
            features.add(new BatchNorm2d(backend, layer[0]));
            features.add(new LeakyReLU(0.2));
            in = layer[0];
        }
        int side = hrSize / 16;
        classifier = registerModule("classifier", new Sequential(new Flatten(),
                new Linear(backend, rng, 512 * side * side, 1024, true), new LeakyReLU(0.2),
                new Linear(backend, rng, 1024, 1, true)));
    }

    @Override
    public Tensor forward(Tensor image) {
        return classifier.forward(features.forward(image));
    }
}
