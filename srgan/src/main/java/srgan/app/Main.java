package srgan.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code srgan.jar}. */
@Command(name = "srgan", mixinStandardHelpOptions = true, version = "srgan 0.1.0",
        description = "4x photo-realistic single-image super-resolution (SRGAN, Ledig et al. 2017) on a tensor "
                + "engine of our own.",
        subcommands = {TrainCommand.class, UpscaleCommand.class, EvalCommand.class, BenchCommand.class,
                DevicesCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        // A user error (bad option value, unavailable device, bad file) is one clear line, not a stack trace.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
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
