package srgan.app;

import picocli.CommandLine.Option;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Backends;

/** The {@code --device} option every command shares. */
public final class DeviceOption {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda",
            description = "Where to compute: auto (CUDA when a device is present, else CPU), cpu or cuda. "
                    + "Default: ${DEFAULT-VALUE}.")
    String device;

    /** Creates the chosen backend and prints the one-line description of what runs. */
    public Backend open() {
        Backend backend = Backends.create(device);
        System.err.println("device: " + backend.describe());
        return backend;
    }
}
