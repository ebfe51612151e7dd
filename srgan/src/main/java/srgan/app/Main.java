package srgan.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code srgan.jar}. */
@Command(name = "srgan", mixinStandardHelpOptions = true, version = "srgan 0.1.0",
        description = "4x photo-realistic single-image super-resolution (SRGAN, Ledig et al. 2017) on a tensor "
                + "engine of our own.",
        subcommands = {TrainCommand.class, UpscaleCommand.class, EvalCommand.class, BenchCommand.class,
                DevicesCommand.class, InterpolateCommand.class, ExperimentCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // The CPU backend's fast kernels use the Vector API, an incubator module that a JVM resolves only when
        // started with --add-modules jdk.incubator.vector, which `java -jar` cannot ask for (a manifest has no
        // Add-Modules) and a running JVM cannot add. So where it is missing, this restarts the same JVM with it
        // (same options, jar and arguments, inheriting IO) and exits with the child's code; if the restart is
        // not possible, it runs here on the scalar kernels, which the cpu backend's description then names.
        java.util.OptionalInt relaunched =
                srgan.engine.backend.cpu.VectorModuleRelauncher.relaunchIfNeeded(Main.class, args);
        if (relaunched.isPresent()) System.exit(relaunched.getAsInt());
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        // A user error (bad option value, unavailable device, bad file) is one clear line, not a stack trace.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // An IOException's message names the file (safetensors, images, output folders).
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof java.io.IOException) {
                cmd.getErr().println("srgan: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
