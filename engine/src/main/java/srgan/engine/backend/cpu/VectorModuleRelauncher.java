package srgan.engine.backend.cpu;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.module.ModuleFinder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Restarts the running JVM with the Vector API module, so that a plain {@code java -jar srgan.jar ...} gets the
 * CPU backend's vector kernels.
 *
 * <p>Why a restart: the Vector API lives in the incubator module {@code jdk.incubator.vector}, which a JVM only
 * resolves when started with {@code --add-modules jdk.incubator.vector}. A jar's manifest cannot ask for it
 * (there is {@code Add-Opens} and {@code Add-Exports}, but no {@code Add-Modules}), and a running JVM cannot add
 * a module to its boot layer. Without it the backend runs its scalar kernels, several times slower. So a
 * launcher calls {@link #relaunchIfNeeded} first: when the module is absent but the JDK has it, and the
 * process is not itself such a restart ({@value #RELAUNCHED_PROPERTY}), it starts the same java executable with
 * the same JVM options plus {@code --add-modules jdk.incubator.vector -D}{@value #RELAUNCHED_PROPERTY}{@code
 * =true}, the same jar (or class path and main class) and arguments, inheriting standard input, output and
 * error, and returns the child's exit code. If that cannot be done, it says so on standard error and returns
 * nothing, and the caller runs in-process on the scalar fallback. The cost is one more JVM start (about a tenth
 * of a second). {@code -Dsrgan.vector=false} or {@code -Dsrgan.relaunched=true} skip the restart. The restarted
 * JVM also gets a collector and heap policy suited to large reused arrays, unless the user chose one
 * ({@link JvmMemoryDefaults}).
 */
public final class VectorModuleRelauncher {
    /** System property set on the restarted JVM, so it never restarts again. */
    public static final String RELAUNCHED_PROPERTY = "srgan.relaunched";

    private VectorModuleRelauncher() {
    }

    /**
     * Runs {@code mainClass} with {@code args} in a JVM that has the Vector API when this one lacks it, and
     * returns that JVM's exit code; empty when no restart is needed or possible.
     */
    public static OptionalInt relaunchIfNeeded(Class<?> mainClass, String[] args) {
        if (ModuleLayer.boot().findModule(VectorPath.MODULE).isPresent()) return OptionalInt.empty();
        if (System.getProperty(RELAUNCHED_PROPERTY) != null) return OptionalInt.empty();
        if ("false".equalsIgnoreCase(System.getProperty(VectorPath.PROPERTY, "").trim())) return OptionalInt.empty();
        // A runtime image without the module (a jlinked JRE) would refuse --add-modules.
        if (ModuleFinder.ofSystem().find(VectorPath.MODULE).isEmpty()) return OptionalInt.empty();
        Optional<String> java = ProcessHandle.current().info().command();
        if (java.isEmpty()) {
            warn("the path of the java executable is unknown");
            return OptionalInt.empty();
        }
        Set<String> fromEnvironment = new HashSet<>();
        for (String variable : new String[]{"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"}) {
            String value = System.getenv(variable);
            if (value != null) fromEnvironment.addAll(Arrays.asList(value.trim().split("\\s+")));
        }
        List<String> command = command(java.get(), ManagementFactory.getRuntimeMXBean().getInputArguments(),
                System.getProperty("java.class.path", ""), System.getProperty("sun.java.command", ""),
                mainClass.getName(), args, fromEnvironment);
        try {
            Process child = new ProcessBuilder(command).inheritIO().start();
            // If this JVM is told to stop (SIGTERM; Ctrl-C reaches both), stop the child and wait for it: the
            // child's own shutdown work (a training checkpoint) must finish before this process reports its end.
            Thread stopChild = new Thread(() -> {
                child.destroy();
                try {
                    child.waitFor(10, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "srgan-relaunch-stop");
            Runtime.getRuntime().addShutdownHook(stopChild);
            int code = waitFor(child);
            try {
                Runtime.getRuntime().removeShutdownHook(stopChild);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            return OptionalInt.of(code);
        } catch (IOException | SecurityException e) {
            warn(e.getMessage());
            return OptionalInt.empty();
        }
    }

    /**
     * The restart's command line: {@code java} and the JVM options (those that came from the environment
     * variables in {@code fromEnvironment} are left out, since the child reads the same variables again), the
     * memory defaults where the user set none, the module and the marker property, then {@code -jar jar} when
     * this JVM was started that way (its {@code sun.java.command} begins with its class path, a jar) or else
     * {@code -cp classPath mainClass}, then the arguments.
     */
    static List<String> command(String java, List<String> jvmOptions, String classPath, String launchCommand,
                                String mainClass, String[] args, Collection<String> fromEnvironment) {
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String option : jvmOptions) {
            if (!fromEnvironment.contains(option)) command.add(option);
        }
        command.addAll(JvmMemoryDefaults.forRestart(jvmOptions));
        command.add("--add-modules");
        command.add(VectorPath.MODULE);
        command.add("-D" + RELAUNCHED_PROPERTY + "=true");
        String first = launchCommand.isBlank() ? "" : launchCommand.trim().split("\\s+")[0];
        if (first.endsWith(".jar") && first.equals(classPath)) {
            command.add("-jar");
            command.add(classPath);
        } else {
            command.add("-cp");
            command.add(classPath);
            command.add(mainClass);
        }
        command.addAll(Arrays.asList(args));
        return command;
    }

    private static int waitFor(Process child) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return child.waitFor();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private static void warn(String why) {
        System.err.println("srgan: could not restart with --add-modules " + VectorPath.MODULE + " (" + why
                + "); running on the scalar CPU kernels");
    }
}
