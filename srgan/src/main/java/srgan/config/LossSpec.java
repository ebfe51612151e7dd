package srgan.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Locale;

/**
 * The losses of a variant. The MSE (pre-training) phase minimises the {@code pixel} loss alone. The GAN phase's
 * generator minimises {@code pixel_weight * pixel + content_weight * content + adversarial_weight * adversarial
 * + tv_weight * TV}, and its discriminator the matching {@code adversarial} loss.
 *
 * @param pixel               {@code mse} or {@code l1}, on the [-1, 1] scale
 * @param pixelWeight         weight of the pixel term in the GAN phase (0 in the paper, 1e-2 in ESRGAN)
 * @param content             {@code vgg54}, {@code vgg22} or {@code none}: MSE between VGG19 feature maps, each
 *                            divided by 12.75 (the paper's rescaling)
 * @param vggBeforeActivation take the VGG features before their ReLU (ESRGAN's conv5_4, {@code features[:35]})
 * @param contentWeight       weight of the content term
 * @param adversarial         {@code standard} (-log D(G(x)) for G, BCE for D) or {@code relativistic}
 *                            (ESRGAN's relativistic average GAN, symmetric for G)
 * @param adversarialWeight   weight of the adversarial term (the paper's 1e-3, ESRGAN's 5e-3)
 * @param tvWeight            weight of a total-variation term (mean squared difference of neighbouring
 *                            pixels)
 */
public record LossSpec(
        @JsonProperty("pixel") Pixel pixel,
        @JsonProperty("pixel_weight") double pixelWeight,
        @JsonProperty("content") Content content,
        @JsonProperty("vgg_before_activation") boolean vggBeforeActivation,
        @JsonProperty("content_weight") double contentWeight,
        @JsonProperty("adversarial") Adversarial adversarial,
        @JsonProperty("adversarial_weight") double adversarialWeight,
        @JsonProperty("tv_weight") double tvWeight) {

    public enum Pixel {
        @JsonProperty("mse") MSE,
        @JsonProperty("l1") L1
    }

    public enum Content {
        @JsonProperty("vgg54") VGG54,
        @JsonProperty("vgg22") VGG22,
        @JsonProperty("none") NONE
    }

    public enum Adversarial {
        @JsonProperty("standard") STANDARD,
        @JsonProperty("relativistic") RELATIVISTIC
    }

    /** The paper's SRGAN-VGG54: VGG54 content + 1e-3 x -log D(G(x)); pixel MSE for pre-training. */
    public static LossSpec paper() {
        return new LossSpec(Pixel.MSE, 0, Content.VGG54, false, 1, Adversarial.STANDARD, 1e-3, 0);
    }

    /**
     * This spec with the content term the command line's {@code --content} names: {@code vgg54} or
     * {@code vgg22} (VGG content with weight 1 and no pixel term), or {@code mse} (the paper's SRGAN-MSE: pixel
     * MSE as the content term).
     */
    public LossSpec withContent(String id) {
        return switch (id.toLowerCase(Locale.ROOT)) {
            case "vgg54" -> new LossSpec(pixel, 0, Content.VGG54, vggBeforeActivation, 1, adversarial,
                    adversarialWeight, tvWeight);
            case "vgg22" -> new LossSpec(pixel, 0, Content.VGG22, vggBeforeActivation, 1, adversarial,
                    adversarialWeight, tvWeight);
            case "mse" -> new LossSpec(Pixel.MSE, 1, Content.NONE, vggBeforeActivation, 0, adversarial,
                    adversarialWeight, tvWeight);
            default -> throw new IllegalArgumentException("unknown content loss '" + id
                    + "'; expected vgg54, vgg22 or mse");
        };
    }

    /** Whether the GAN phase runs a VGG network. */
    public boolean needsVgg() {
        return content != Content.NONE && contentWeight != 0;
    }

    /** Length of the torchvision {@code vgg19.features} prefix the content term runs, or 0. */
    public int vggLayers() {
        return switch (content) {
            case VGG54 -> vggBeforeActivation ? 35 : 36;
            case VGG22 -> vggBeforeActivation ? 8 : 9;
            case NONE -> 0;
        };
    }

    /** "vgg54", "vgg22 before activation", "pixel mse", ... for banners. */
    public String describeContent() {
        if (!needsVgg()) return "pixel " + pixel.name().toLowerCase(Locale.ROOT);
        return content.name().toLowerCase(Locale.ROOT) + (vggBeforeActivation ? " (before activation)" : "");
    }

    void check(List<String> problems) {
        if (pixel == null) problems.add("loss.pixel is missing (mse or l1)");
        if (content == null) problems.add("loss.content is missing (vgg54, vgg22 or none)");
        if (adversarial == null) problems.add("loss.adversarial is missing (standard or relativistic)");
        weight(problems, "pixel_weight", pixelWeight);
        weight(problems, "content_weight", contentWeight);
        weight(problems, "adversarial_weight", adversarialWeight);
        weight(problems, "tv_weight", tvWeight);
    }

    private static void weight(List<String> problems, String key, double w) {
        if (!(w >= 0) || Double.isInfinite(w)) problems.add("loss." + key + " must be >= 0 and finite, got " + w);
    }
}
