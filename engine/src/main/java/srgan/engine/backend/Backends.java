package srgan.engine.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds backends by name through {@link ServiceLoader}; "auto" prefers CUDA when a device is present. */
public final class Backends {
    private Backends() {
    }

    /** Every provider on the class path, in load order. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(list::add);
        return list;
    }

    /**
     * Creates the backend called {@code name}: "reference", "cpu", "cuda", or "auto" (CUDA when available,
     * else CPU). An unknown or unavailable name is an {@link IllegalArgumentException} that says why.
     */
    public static Backend create(String name) {
        if (name.equals("auto")) {
            for (BackendProvider p : providers()) {
                if (p.name().equals("cuda") && p.isAvailable()) return p.create();
            }
            return create("cpu");
        }
        List<String> known = new ArrayList<>();
        for (BackendProvider p : providers()) {
            known.add(p.name());
            if (p.name().equals(name)) {
                if (!p.isAvailable()) {
                    throw new IllegalArgumentException("device '" + name + "' is not available: "
                            + p.unavailableReason());
                }
                return p.create();
            }
        }
        throw new IllegalArgumentException("unknown device '" + name + "'; known: auto, " + String.join(", ", known)
                + (known.contains("cuda") ? "" : " (the CUDA backend is not on the class path)"));
    }
}
