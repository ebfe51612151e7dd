package srgan.train;

import srgan.model.Vgg19Features;

import java.util.Locale;

/** The content term of the GAN phase's generator loss. */
public enum ContentLoss {
    /** MSE between VGG19 relu5_4 features ({@code features[:36]}), each scaled by 1/12.75: the paper's VGG54. */
    VGG54(Vgg19Features.VGG54),
    /** MSE between VGG19 relu2_2 features ({@code features[:9]}), scaled likewise: the paper's VGG22. */
    VGG22(Vgg19Features.VGG22),
    /** Pixel MSE on the [-1, 1] scale, as in the MSE phase: SRGAN-MSE in the paper. */
    MSE(0);

    /** Length of the {@code features} prefix this loss runs; 0 when it needs no VGG. */
    final int vggLayers;

    ContentLoss(int vggLayers) {
        this.vggLayers = vggLayers;
    }

    public boolean needsVgg() {
        return vggLayers > 0;
    }

    /** The name used on the command line and in checkpoints: "vgg54", "vgg22", "mse". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ContentLoss parse(String id) {
        for (ContentLoss c : values()) {
            if (c.id().equalsIgnoreCase(id)) return c;
        }
        throw new IllegalArgumentException("unknown content loss '" + id + "'; expected vgg54, vgg22 or mse");
    }
}
