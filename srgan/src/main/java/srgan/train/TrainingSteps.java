package srgan.train;

import srgan.engine.Tensor;
import srgan.engine.nn.Module;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Losses;
import srgan.engine.optim.Adam;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two updates of SRGAN training, in one place for the trainer, {@code srgan bench} and the cross-backend
 * step tests. Callers open a {@link srgan.engine.Scope} around each call; modules and optimisers live outside.
 */
public final class TrainingSteps {
    /** Weight of the adversarial term in the generator's loss (the paper's 10^-3). */
    public static final double ADVERSARIAL_WEIGHT = 1e-3;
    /** VGG feature maps are divided by this before the MSE (the paper's 1/12.75 rescaling). */
    public static final double VGG_FEATURE_SCALE = 12.75;

    private TrainingSteps() {
    }

    /**
     * Looks at a loss before its backward pass: returns the value to report, or throws to stop the update
     * before any weight changes (the trainer stops on a NaN this way). {@link #UNCHECKED} reads nothing, so a
     * timed step makes no host round trip.
     */
    @FunctionalInterface
    public interface LossGuard<E extends Exception> {
        double inspect(String what, Tensor loss) throws E;
    }

    /** Reports NaN for every loss and never reads one from the device. */
    public static final LossGuard<RuntimeException> UNCHECKED = (what, loss) -> Double.NaN;

    /** One SRResNet update: pixel MSE on [-1, 1]. Returns {@code loss_g}. */
    public static <E extends Exception> Map<String, Double> mse(Module generator, Adam optimizer, Tensor lr,
                                                               Tensor hr, LossGuard<E> guard) throws E {
        Tensor loss = Losses.mse(generator.forward(lr), hr);
        double value = guard.inspect("generator loss (pixel MSE)", loss);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return Map.of("loss_g", value);
    }

    /**
     * One SRGAN update: the discriminator first, with BCE on real (label 1) and generated (label 0) images,
     * then the generator, with content + 1e-3 * BCE(D(G(x)), 1) = content - 1e-3 * log D(G(x)) against the
     * discriminator just updated. The discriminator's parameters stop requiring gradients for the generator's
     * backward pass, so it costs no discriminator weight gradients.
     *
     * @param vgg the feature extractor of the content loss, or null for pixel MSE content
     * @return {@code loss_g}, {@code loss_content}, {@code loss_adv}, {@code loss_d}
     */
    public static <E extends Exception> Map<String, Double> gan(Module generator, Module discriminator, Module vgg,
                                                               Adam generatorOptimizer, Adam discriminatorOptimizer,
                                                               Tensor lr, Tensor hr, LossGuard<E> guard) throws E {
        int n = lr.size(0);
        Tensor real = Tensor.full(lr.backend(), 1, n, 1);
        Tensor fake = Tensor.zeros(lr.backend(), n, 1);
        Tensor sr = generator.forward(lr);

        Tensor dLoss = Arithmetic.add(Losses.bceWithLogits(discriminator.forward(hr), real),
                Losses.bceWithLogits(discriminator.forward(sr.detach()), fake));
        double dValue = guard.inspect("discriminator loss", dLoss);
        discriminatorOptimizer.zeroGrad();
        dLoss.backward();
        discriminatorOptimizer.step();

        setRequiresGrad(discriminator, false);
        try {
            Tensor content = vgg == null ? Losses.mse(sr, hr)
                    : Arithmetic.scale(Losses.mse(vgg.forward(sr), vgg.forward(hr)),
                    1 / (VGG_FEATURE_SCALE * VGG_FEATURE_SCALE));
            Tensor adversarial = Losses.bceWithLogits(discriminator.forward(sr), real);
            Tensor gLoss = Arithmetic.add(content, Arithmetic.scale(adversarial, ADVERSARIAL_WEIGHT));
            double gValue = guard.inspect("generator loss", gLoss);
            generatorOptimizer.zeroGrad();
            gLoss.backward();
            generatorOptimizer.step();
            Map<String, Double> losses = new LinkedHashMap<>();
            losses.put("loss_g", gValue);
            losses.put("loss_content", guard.inspect("content loss", content));
            losses.put("loss_adv", guard.inspect("adversarial loss", adversarial));
            losses.put("loss_d", dValue);
            return losses;
        } finally {
            setRequiresGrad(discriminator, true);
        }
    }

    private static void setRequiresGrad(Module m, boolean value) {
        for (Tensor p : m.parameters()) p.requiresGrad(value);
    }
}
