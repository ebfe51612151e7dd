package srgan.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;
import srgan.engine.backend.Backends;

import java.util.concurrent.Callable;

/** {@code srgan devices}: lists the backends, whether each can run here, and what --device picks. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the compute backends, whether each can run here, and which --device selects.")
final class DevicesCommand implements Callable<Integer> {
    @Mixin
    DeviceOption device;

    @Override
    public Integer call() {
        for (BackendProvider p : Backends.providers()) {
            System.out.printf("%-10s %s%n", p.name(), p.isAvailable() ? "available" : "unavailable: " + p.unavailableReason());
        }
        try (Backend b = device.open()) {
            System.out.println("--device " + device.device + " selects: " + b.describe());
        }
        return 0;
    }
}
