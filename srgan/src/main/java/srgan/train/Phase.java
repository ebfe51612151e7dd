package srgan.train;

import java.util.Locale;

/** The two training phases of the paper. */
public enum Phase {
    /** SRResNet pre-training: pixel MSE between SR and HR, both on the [-1, 1] scale. */
    MSE,
    /** SRGAN: content loss plus 1e-3 times the adversarial loss, alternating one D and one G update. */
    GAN;

    /** The name used on the command line and in checkpoints: "mse", "gan". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #id()}, case-insensitively. */
    public static Phase parse(String id) {
        for (Phase p : values()) {
            if (p.id().equalsIgnoreCase(id)) return p;
        }
        throw new IllegalArgumentException("unknown phase '" + id + "'; expected mse or gan");
    }
}
