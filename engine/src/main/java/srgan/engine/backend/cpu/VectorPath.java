package srgan.engine.backend.cpu;

/**
 * Whether the CPU backend's vector kernels can run in this JVM, decided without touching the Vector API: its
 * classes live in the incubator module {@code jdk.incubator.vector}, which a JVM only resolves when started with
 * {@code --add-modules jdk.incubator.vector}. Without it, loading any class that names {@code FloatVector}
 * would fail, so the backend consults this first and only then loads {@link MicroKernels} and the classes built
 * on it.
 */
final class VectorPath {
    /** The module that holds {@code jdk.incubator.vector.FloatVector}. */
    static final String MODULE = "jdk.incubator.vector";
    /** System property that turns the vector kernels off ({@code -Dsrgan.vector=false}), for comparisons. */
    static final String PROPERTY = "srgan.vector";
    /** What a user needs to do to get the fast path. */
    static final String HINT = "scalar fallback: run with --add-modules " + MODULE;

    private VectorPath() {
    }

    /** True when the vector kernels can run: the module is in the boot layer and vectors have 8+ lanes. */
    static boolean supported() {
        return lanes() >= 8;
    }

    /** {@link #supported()}, unless the system property {@value #PROPERTY} is {@code false}. */
    static boolean enabledByDefault() {
        return supported() && !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim());
    }

    /**
     * Float lanes of the preferred vector species; 0 without the module. Below 8 lanes (no AVX2) the register
     * tiles would not pay for themselves and the scalar kernels are used.
     */
    static int lanes() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) return 0;
        return MicroKernels.L;
    }

    /** "AVX-512 vectors" on x86 with 16 float lanes, "AVX2 vectors" with 8, else the width in bits. */
    static String describeVectors() {
        int lanes = lanes();
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        if (x86 && lanes == 16) return "AVX-512 vectors";
        if (x86 && lanes == 8) return "AVX2 vectors";
        return (32 * lanes) + "-bit vectors";
    }
}
