package srgan.config;

import srgan.engine.backend.Backend;
import srgan.engine.nn.LeakyReLU;
import srgan.engine.nn.Module;
import srgan.engine.nn.PReLU;
import srgan.engine.nn.ReLU;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A nonlinearity as a config names it: {@code prelu} (one learned slope, 0.25 at the start, as PyTorch's
 * {@code nn.PReLU()}), {@code relu}, or {@code leaky_relu(alpha)} ({@code leaky_relu} alone is alpha 0.2).
 */
public record Activation(Kind kind, double alpha) {
    public enum Kind { PRELU, RELU, LEAKY_RELU }

    /** The default negative slope of {@code leaky_relu}: the discriminator's and ESRGAN's 0.2. */
    public static final double DEFAULT_LEAK = 0.2;

    private static final Pattern LEAKY = Pattern.compile("leaky_?relu(?:\\(\\s*([-+0-9.eE]+)\\s*\\))?");

    public Activation {
        if (kind == Kind.LEAKY_RELU && !(alpha >= 0 && alpha < 1)) {
            throw new IllegalArgumentException("leaky_relu slope must be in [0, 1), got " + alpha);
        }
    }

    /** Parses {@code prelu}, {@code relu}, {@code leaky_relu} or {@code leaky_relu(0.1)}, case-insensitively. */
    public static Activation parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("prelu")) return new Activation(Kind.PRELU, 0);
        if (s.equals("relu")) return new Activation(Kind.RELU, 0);
        Matcher m = LEAKY.matcher(s);
        if (m.matches()) {
            try {
                return new Activation(Kind.LEAKY_RELU, m.group(1) == null ? DEFAULT_LEAK : Double.parseDouble(m.group(1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad leaky_relu slope in '" + text + "'");
            }
        }
        throw new IllegalArgumentException("unknown activation '" + text
                + "'; expected prelu, relu, leaky_relu or leaky_relu(ALPHA)");
    }

    /** A fresh module; PReLU's slope is a parameter of its own at each use. */
    public Module create(Backend backend) {
        return switch (kind) {
            case PRELU -> new PReLU(backend);
            case RELU -> new ReLU();
            case LEAKY_RELU -> new LeakyReLU(alpha);
        };
    }

    /** The config spelling, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return switch (kind) {
            case PRELU -> "prelu";
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky_relu(" + alpha + ")";
        };
    }
}
