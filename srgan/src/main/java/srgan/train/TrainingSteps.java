package srgan.train;

import srgan.config.LossSpec;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.nn.Module;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Layout;
import srgan.engine.ops.Losses;
import srgan.engine.ops.Reductions;
import srgan.engine.optim.Adam;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two updates of SRGAN training, in one place for the trainer, {@code srgan bench} and the cross-backend
 * step tests; the losses come from the variant's {@link LossSpec}. Callers open a {@link srgan.engine.Scope}
 * around each call; modules and optimisers live outside.
 */
public final class TrainingSteps {
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

    /** One pre-training (MSE phase) update: the pixel loss (MSE or L1 on [-1, 1]) alone. Returns {@code loss_g}. */
    public static <E extends Exception> Map<String, Double> pretrain(Module generator, Adam optimizer, LossSpec loss,
                                                                    Tensor lr, Tensor hr, LossGuard<E> guard) throws E {
        Tensor value = pixel(loss, generator.forward(lr), hr);
        double reported = guard.inspect("generator loss (pixel " + loss.pixel().name().toLowerCase(java.util.Locale.ROOT)
                + ")", value);
        optimizer.zeroGrad();
        value.backward();
        optimizer.step();
        return Map.of("loss_g", reported);
    }

    /**
     * One SRGAN update: the discriminator first, then the generator against the discriminator just updated.
     * <ul>
     *   <li>{@code standard}: D minimises BCE on real (label 1) and generated (label 0); G's adversarial term is
     *   BCE(D(G(x)), 1) = -log D(G(x)).</li>
     *   <li>{@code relativistic} (ESRGAN's RaGAN): with C the logits, D minimises
     *   [BCE(C(real) - mean C(fake), 1) + BCE(C(fake) - mean C(real), 0)] / 2 and G the same with the labels
     *   swapped, C(real) then a constant.</li>
     * </ul>
     * G minimises {@code pixel_weight * pixel + content_weight * VGG content + adversarial_weight * adversarial
     * + tv_weight * TV}. The discriminator's parameters stop requiring gradients for the generator's backward
     * pass, so it costs no discriminator weight gradients.
     *
     * @param vgg the feature extractor of the content loss, or null when the spec has no VGG term
     * @return {@code loss_g}, the terms with a non-zero weight ({@code loss_pixel}, {@code loss_content},
     * {@code loss_tv}), {@code loss_adv} and {@code loss_d}
     */
    public static <E extends Exception> Map<String, Double> gan(Module generator, Module discriminator, Module vgg,
                                                               LossSpec loss, Adam generatorOptimizer,
                                                               Adam discriminatorOptimizer, Tensor lr, Tensor hr,
                                                               LossGuard<E> guard) throws E {
        if (loss.needsVgg() != (vgg != null)) {
            throw new IllegalArgumentException(loss.needsVgg() ? "the content loss needs a VGG network"
                    : "a VGG network was given but the loss spec has no VGG term");
        }
        boolean relativistic = loss.adversarial() == LossSpec.Adversarial.RELATIVISTIC;
        Tensor sr = generator.forward(lr);

        double dValue;
        // The discriminator's update in scopes of its own, so that its graphs (D's activations on a real and on
        // a fake batch) are freed before the generator's update builds a third, rather than with the step. The
        // standard loss is a sum of a real and a fake term, so their gradients are summed one graph at a time
        // (the same gradient, D's weights unchanged in between); the relativistic loss ties the two together.
        discriminatorOptimizer.zeroGrad();
        if (relativistic) {
            try (Scope discriminatorUpdate = Scope.open()) {
                Tensor dLoss = relativistic(discriminator.forward(hr), discriminator.forward(sr.detach()), true);
                dValue = guard.inspect("discriminator loss", dLoss);
                dLoss.backward();
            }
        } else {
            try (Scope realTerm = Scope.open()) {
                Tensor realLogits = discriminator.forward(hr);
                Tensor realLoss = Losses.bceWithLogits(realLogits, labels(realLogits, 1));
                dValue = guard.inspect("discriminator loss (real batch)", realLoss);
                realLoss.backward();
            }
            try (Scope fakeTerm = Scope.open()) {
                Tensor fakeLogits = discriminator.forward(sr.detach());
                Tensor fakeLoss = Losses.bceWithLogits(fakeLogits, labels(fakeLogits, 0));
                dValue += guard.inspect("discriminator loss (generated batch)", fakeLoss);
                fakeLoss.backward();
            }
        }
        discriminatorOptimizer.step();

        setRequiresGrad(discriminator, false);
        try {
            Map<String, Double> losses = new LinkedHashMap<>();
            Tensor gLoss = null;
            if (loss.pixelWeight() != 0) {
                Tensor p = pixel(loss, sr, hr);
                losses.put("loss_pixel", guard.inspect("pixel loss", p));
                gLoss = weighted(gLoss, p, loss.pixelWeight());
            }
            if (vgg != null) {
                Tensor content = Arithmetic.scale(Losses.mse(vgg.forward(sr), vgg.forward(hr)),
                        1 / (VGG_FEATURE_SCALE * VGG_FEATURE_SCALE));
                losses.put("loss_content", guard.inspect("content loss", content));
                gLoss = weighted(gLoss, content, loss.contentWeight());
            }
            if (loss.tvWeight() != 0) {
                Tensor tv = totalVariation(sr);
                losses.put("loss_tv", guard.inspect("total-variation loss", tv));
                gLoss = weighted(gLoss, tv, loss.tvWeight());
            }
            Tensor fake = discriminator.forward(sr);
            Tensor adversarial = relativistic ? relativistic(discriminator.forward(hr).detach(), fake, false)
                    : Losses.bceWithLogits(fake, labels(fake, 1));
            losses.put("loss_adv", guard.inspect("adversarial loss", adversarial));
            gLoss = weighted(gLoss, adversarial, loss.adversarialWeight());
            double gValue = guard.inspect("generator loss", gLoss);
            generatorOptimizer.zeroGrad();
            gLoss.backward();
            generatorOptimizer.step();
            Map<String, Double> ordered = new LinkedHashMap<>();
            ordered.put("loss_g", gValue);
            ordered.putAll(losses);
            ordered.put("loss_d", dValue);
            return ordered;
        } finally {
            setRequiresGrad(discriminator, true);
        }
    }

    /** The spec's pixel loss on [-1, 1]. */
    static Tensor pixel(LossSpec loss, Tensor sr, Tensor hr) {
        return loss.pixel() == LossSpec.Pixel.L1 ? Losses.l1(sr, hr) : Losses.mse(sr, hr);
    }

    /**
     * The mean of the squared differences between horizontal and between vertical neighbours, over the
     * positions where both exist: a 2x2 difference filter per channel, then the mean square.
     */
    static Tensor totalVariation(Tensor image) {
        int n = image.size(0), c = image.size(1), h = image.size(2), w = image.size(3);
        // Filter 0: x[i][j+1] - x[i][j]; filter 1: x[i+1][j] - x[i][j].
        Tensor filters = Tensor.ofDoubles(image.backend(), new double[]{-1, 1, 0, 0, -1, 0, 1, 0}, 2, 1, 2, 2);
        Tensor diffs = Convolution.conv2d(Layout.reshape(image, n * c, 1, h, w), filters, null, 1, 0);
        return Reductions.mean(Arithmetic.mul(diffs, diffs));
    }

    /** The relativistic average GAN loss, from D's side ({@code realIsReal}) or G's (labels swapped). */
    static Tensor relativistic(Tensor realLogits, Tensor fakeLogits, boolean realIsReal) {
        Tensor realVsFake = Arithmetic.sub(realLogits, Layout.reshape(Reductions.mean(fakeLogits), 1, 1));
        Tensor fakeVsReal = Arithmetic.sub(fakeLogits, Layout.reshape(Reductions.mean(realLogits), 1, 1));
        double real = realIsReal ? 1 : 0;
        return Arithmetic.scale(Arithmetic.add(Losses.bceWithLogits(realVsFake, labels(realVsFake, real)),
                Losses.bceWithLogits(fakeVsReal, labels(fakeVsReal, 1 - real))), 0.5);
    }

    private static Tensor labels(Tensor logits, double value) {
        return Tensor.full(logits.backend(), value, logits.shape());
    }

    private static Tensor weighted(Tensor sum, Tensor term, double weight) {
        Tensor t = weight == 1 ? term : Arithmetic.scale(term, weight);
        return sum == null ? t : Arithmetic.add(sum, t);
    }

    private static void setRequiresGrad(Module m, boolean value) {
        for (Tensor p : m.parameters()) p.requiresGrad(value);
    }
}
