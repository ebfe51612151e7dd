package srgan.engine.backend.cpu;

import java.util.List;

/**
 * The collector and heap policy that {@link VectorModuleRelauncher}'s restart gives its JVM, unless the user
 * chose their own.
 *
 * <p>Why: the memory of a training step is a few hundred large float arrays that the CPU backend reuses from
 * one step to the next ({@link ArrayPool}), with next to no allocation once the code is compiled. G1, the
 * default collector, sizes its young generation for pause time, grows the heap towards its maximum (a quarter
 * of RAM) on the garbage of the first, still interpreted, steps and keeps it. Measured on SRResNet's training
 * step (batch 16, 463 MiB of tensors at most): resident memory 1.4-2.0 GiB under G1, 683 MiB with the serial
 * collector, a 64 MiB young generation and a heap kept within 10-20% free of its live data, with one or two
 * collections of a few milliseconds per five steps once warm and no change in step time. PyTorch's process
 * for the same step peaks at about 820 MiB.
 *
 * <p>The user's choice wins: any collector selection ({@code -XX:+Use...GC}) or young-generation or free-ratio
 * option among the JVM's options (command line or {@code JAVA_TOOL_OPTIONS}) turns all of these off.
 */
final class JvmMemoryDefaults {
    static final List<String> OPTIONS = List.of("-XX:+UseSerialGC", "-Xmn64m", "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20");

    private JvmMemoryDefaults() {
    }

    /** {@link #OPTIONS}, or none when {@code jvmOptions} already set the collector or the heap's shape. */
    static List<String> forRestart(List<String> jvmOptions) {
        for (String option : jvmOptions) {
            if (userChoice(option)) return List.of();
        }
        return OPTIONS;
    }

    private static boolean userChoice(String option) {
        return (option.startsWith("-XX:+Use") && option.endsWith("GC")) || option.startsWith("-Xmn")
                || option.startsWith("-XX:NewSize=") || option.startsWith("-XX:MaxNewSize=")
                || option.startsWith("-XX:NewRatio=") || option.startsWith("-XX:MinHeapFreeRatio=")
                || option.startsWith("-XX:MaxHeapFreeRatio=");
    }
}
