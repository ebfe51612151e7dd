package srgan.engine;

/**
 * Whether ops record the autograd graph on this thread. {@code try (var g = GradMode.noGrad()) { ... }}
 * turns recording off for inference and for optimiser updates, and restores the previous mode on close.
 */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);
    private final boolean previous;

    private GradMode(boolean enabled) {
        previous = ENABLED.get();
        ENABLED.set(enabled);
    }

    public static GradMode noGrad() {
        return new GradMode(false);
    }

    public static GradMode enableGrad() {
        return new GradMode(true);
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    @Override
    public void close() {
        ENABLED.set(previous);
    }
}
