package srgan.cuda;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * NVIDIA's libraries behind the CUDA backend, loaded if they can be: cuBLAS (through JCublas2 12.6.0, which
 * links {@code libcublas.so.12}) for GEMM, cuDNN (through JCudnn 11.7.0, which links {@code libcudnn.so.8})
 * for convolution and batch norm. Whatever fails to load is replaced by our own kernels, and
 * {@link #summary()} says which path each op takes and why, in one line for the start-up log.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code srgan.cuda.libs}: {@code all} or {@code auto} (the default: whatever loads), {@code none}, or a comma-separated subset of
 *       {@code cublas,cudnn}; the others are not even loaded.</li>
 *   <li>{@code srgan.cuda.tf32=true}: lets cuBLAS and cuDNN use TF32 tensor cores (10-bit mantissa inputs)
 *       for float32 work; off by default, so every route computes in FP32.</li>
 *   <li>{@code srgan.cuda.cudnn.workspaceMiB}: the most workspace a cuDNN convolution algorithm may take
 *       (default 1024).</li>
 * </ul>
 *
 * <p>On a machine with only newer libraries (CUDA 13, cuDNN 9) neither binding loads as shipped;
 * {@code tools/cuda-compat.sh} explains why and builds a directory through which both load (seen with cuBLAS
 * 13.1 and cuDNN 9.14 on an H200).
 */
public final class CudaLibraries implements AutoCloseable {

    public static final String LIBS_PROPERTY = "srgan.cuda.libs";
    public static final String TF32_PROPERTY = "srgan.cuda.tf32";
    public static final String WORKSPACE_PROPERTY = "srgan.cuda.cudnn.workspaceMiB";

    static final String CUBLAS_BINDING = "JCublas2 12.6.0";
    static final String CUBLAS_SONAME = "libcublas.so.12";
    static final String CUDNN_BINDING = "JCudnn 11.7.0";
    static final String CUDNN_SONAME = "libcudnn.so.8";

    static final String OWN_CONV = "own implicit-GEMM kernels";
    static final String OWN_BATCH_NORM = "own kernels";
    static final String OWN_GEMM = "own tiled SGEMM";

    /**
     * A binding's Java class fails its static initialiser once per JVM; later uses only see "Could not
     * initialize class". The first reason is kept here so every {@link #detect} can report it.
     */
    private static final Map<String, String> FIRST_LINK_FAILURE = new ConcurrentHashMap<>();

    private final CublasRoute cublas;
    private final CudnnRoute cudnn;
    private final Routing routing;

    private CudaLibraries(CublasRoute cublas, CudnnRoute cudnn, Routing routing) {
        this.cublas = cublas;
        this.cudnn = cudnn;
        this.routing = routing;
    }

    /**
     * Tries to load and initialise each selected library on {@code ctx}. Never throws for a library that
     * fails: the reason goes into {@link #summary()} and the op family falls back to our own kernels.
     *
     * @param ownBatchNorm our own batch-norm engine, which cuDNN's batch norm delegates the cases to that it
     *                     does not cover (see {@link CudnnRoute})
     */
    public static CudaLibraries detect(CudaContext ctx, BatchNormEngine ownBatchNorm) {
        String libs = System.getProperty(LIBS_PROPERTY);
        Selection selection = Selection.parse(libs);
        boolean tf32 = Boolean.parseBoolean(System.getProperty(TF32_PROPERTY, "false"));
        long workspaceLimit = workspaceLimit(System.getProperty(WORKSPACE_PROPERTY));
        String off = LIBS_PROPERTY + "=" + libs;

        CublasRoute cublas = null;
        Outcome cublasOutcome;
        if (!selection.cublas()) {
            cublasOutcome = Outcome.forcedOff(off);
        } else {
            try {
                cublas = new CublasRoute(ctx, tf32);
                cublasOutcome = Outcome.loaded(cublasVersion(cublas.version()));
            } catch (Throwable t) { // a library that does not load must never take the backend down
                cublasOutcome = Outcome.failed(describe(CUBLAS_BINDING, CUBLAS_SONAME, t));
            }
        }
        CudnnRoute cudnn = null;
        Outcome cudnnOutcome;
        if (!selection.cudnn()) {
            cudnnOutcome = Outcome.forcedOff(off);
        } else {
            try {
                cudnn = new CudnnRoute(ctx, ownBatchNorm, tf32, workspaceLimit);
                cudnnOutcome = Outcome.loaded(cudnnVersion(cudnn.version()));
            } catch (Throwable t) {
                cudnnOutcome = Outcome.failed(describe(CUDNN_BINDING, CUDNN_SONAME, t));
            }
        }
        return new CudaLibraries(cublas, cudnn, route(cublasOutcome, cudnnOutcome, tf32));
    }

    /** cuDNN's convolution, if cuDNN loaded. */
    public Optional<ConvEngine> cudnnConv() {
        return Optional.ofNullable(cudnn);
    }

    /** cuDNN's batch norm (delegating what cuDNN does not cover to our kernels), if cuDNN loaded. */
    public Optional<BatchNormEngine> cudnnBatchNorm() {
        return Optional.ofNullable(cudnn);
    }

    /** cuBLAS's GEMM, if cuBLAS loaded. */
    public Optional<GemmEngine> cublasGemm() {
        return Optional.ofNullable(cublas);
    }

    /** One line: which libraries loaded (versions, or why not) and which path each op family takes. */
    public String summary() {
        return routing.summary();
    }

    /** Releases the libraries' handles and buffers, in the reverse order of loading. */
    @Override
    public void close() {
        try {
            if (cudnn != null) cudnn.close();
        } finally {
            if (cublas != null) cublas.close();
        }
    }

    // ---- the decision, as pure functions (CudaLibrariesTest runs them without a GPU) ----

    /** What became of one library: loaded with a version, failed with a reason, or not tried at all. */
    record Outcome(Status status, String detail) {
        enum Status { LOADED, FAILED, FORCED_OFF }

        static Outcome loaded(String version) {
            return new Outcome(Status.LOADED, version);
        }

        static Outcome failed(String reason) {
            return new Outcome(Status.FAILED, reason);
        }

        /** @param why the setting that turned it off, e.g. {@code srgan.cuda.libs=none} */
        static Outcome forcedOff(String why) {
            return new Outcome(Status.FORCED_OFF, why);
        }

        boolean loaded() {
            return status == Status.LOADED;
        }

        String describe(String library) {
            return switch (status) {
                case LOADED -> library + " " + detail;
                case FAILED -> library + ": not loaded (" + detail + ")";
                case FORCED_OFF -> library + ": forced off (" + detail + ")";
            };
        }
    }

    /** Which implementation each op family takes, and the start-up line that says so. */
    record Routing(boolean convOnCudnn, boolean batchNormOnCudnn, boolean gemmOnCublas, String summary) {
    }

    /** The routing that follows from the two outcomes; {@code tf32} only changes the summary's math note. */
    static Routing route(Outcome cublas, Outcome cudnn, boolean tf32) {
        String cudnnName = "cuDNN " + cudnn.detail();
        String cublasName = "cuBLAS " + cublas.detail();
        String summary = cublas.describe("cuBLAS") + "; " + cudnn.describe("cuDNN")
                + " | conv: " + (cudnn.loaded() ? cudnnName : OWN_CONV)
                + " | batch norm: " + (cudnn.loaded() ? cudnnName : OWN_BATCH_NORM)
                + " | gemm: " + (cublas.loaded() ? cublasName : OWN_GEMM)
                + " | math: " + (tf32 && (cublas.loaded() || cudnn.loaded())
                        ? "TF32 in cuBLAS/cuDNN (" + TF32_PROPERTY + "=true)" : "FP32");
        return new Routing(cudnn.loaded(), cudnn.loaded(), cublas.loaded(), summary);
    }

    /** Which libraries {@code srgan.cuda.libs} asks for. */
    record Selection(boolean cublas, boolean cudnn) {
        static Selection parse(String value) {
            if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("all")
                    || value.trim().equalsIgnoreCase("auto")) {
                return new Selection(true, true);
            }
            if (value.trim().equalsIgnoreCase("none")) return new Selection(false, false);
            boolean cublas = false;
            boolean cudnn = false;
            for (String part : value.split(",")) {
                switch (part.trim().toLowerCase(Locale.ROOT)) {
                    case "cublas" -> cublas = true;
                    case "cudnn" -> cudnn = true;
                    default -> throw new IllegalArgumentException(LIBS_PROPERTY + " must be all, none or a "
                            + "comma-separated list of cublas, cudnn; got '" + value + "'");
                }
            }
            return new Selection(cublas, cudnn);
        }
    }

    static long workspaceLimit(String mib) {
        if (mib == null || mib.isBlank()) return CudnnRoute.DEFAULT_WORKSPACE_LIMIT;
        try {
            long v = Long.parseLong(mib.trim());
            if (v >= 0) return v << 20;
        } catch (NumberFormatException e) {
            // reported below, with the property's name
        }
        throw new IllegalArgumentException(WORKSPACE_PROPERTY + " must be a number of MiB >= 0; got '" + mib + "'");
    }

    /**
     * Why a library did not load, in words. A link failure reads "{@code <binding> needs <soname>: <what the
     * dynamic linker said>}", picked out of JCuda's multi-line report (which holds one nested stack trace per
     * way it tried), or "{@code <binding>: <JNI library> is on neither ...}" when the binding's own native
     * library is nowhere; anything else reads "{@code <exception>: <first line of its message>}".
     */
    static String explainLoadFailure(String binding, String soname, Throwable t) {
        if (!(t instanceof UnsatisfiedLinkError)) return t.getClass().getSimpleName() + ": " + firstLine(t);
        String linker = null;
        String missingFile = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() == null) continue;
            for (String line : c.getMessage().split("\\R")) {
                String l = line.strip();
                if (linker == null && isLinkerMessage(l)) linker = stripJniPath(stripExceptionName(l));
                int at = l.indexOf("No resource found with name '");
                if (missingFile == null && at >= 0) {
                    String name = l.substring(at + "No resource found with name '".length());
                    name = name.substring(name.lastIndexOf('/') + 1).replace("'", "");
                    missingFile = name + " is on neither java.library.path nor the class path";
                }
            }
        }
        String hint = "; see tools/cuda-compat.sh";
        if (linker != null) return binding + " needs " + soname + ": " + linker + hint;
        return binding + ": " + (missingFile != null ? missingFile : firstLine(t)) + hint;
    }

    /** What the dynamic linker says when a library it found cannot be used, or one it needs is absent. */
    private static boolean isLinkerMessage(String line) {
        return line.contains("cannot open shared object file") || line.contains("version `")
                || line.contains("undefined symbol") || line.contains("wrong ELF class")
                || line.contains("invalid ELF header");
    }

    private static String stripExceptionName(String line) {
        for (String prefix : new String[]{"java.lang.UnsatisfiedLinkError: ", "java.io.IOException: "}) {
            if (line.startsWith(prefix)) return line.substring(prefix.length());
        }
        return line;
    }

    /** "/tmp/libJCublas2-...so: libcublas.so.12: cannot open ..." names our JNI file first; drop that. */
    private static String stripJniPath(String line) {
        int so = line.indexOf(".so: ");
        return line.startsWith("/") && so >= 0 ? line.substring(so + ".so: ".length()) : line;
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) return "(no message)";
        return m.strip().split("\\R", 2)[0];
    }

    /** {@link #explainLoadFailure}, remembering the first link failure of each binding for later calls. */
    private static String describe(String binding, String soname, Throwable t) {
        if (t instanceof NoClassDefFoundError && FIRST_LINK_FAILURE.containsKey(binding)) {
            return FIRST_LINK_FAILURE.get(binding);
        }
        String reason = explainLoadFailure(binding, soname, t);
        if (t instanceof LinkageError) FIRST_LINK_FAILURE.putIfAbsent(binding, reason);
        return reason;
    }

    /** cuBLAS reports {@code major * 10000 + minor * 100 + patch} (12.6.3 is 120603). */
    static String cublasVersion(int v) {
        return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
    }

    /**
     * cuDNN 8 reports {@code major * 1000 + minor * 100 + patch} (8.9.7 is 8907); cuDNN 9 switched to
     * {@code major * 10000 + minor * 100 + patch} (9.10.2 is 91002).
     */
    static String cudnnVersion(long v) {
        if (v >= 90000) return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
        return (v / 1000) + "." + (v / 100 % 10) + "." + (v % 100);
    }
}
