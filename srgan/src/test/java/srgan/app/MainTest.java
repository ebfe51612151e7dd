package srgan.app;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MainTest {
    @Test
    void devicesListsCpuAndSucceedsOnCpu() {
        assertEquals(0, Main.run("devices", "--device", "cpu"));
    }

    @Test
    void unknownDeviceIsAnErrorNotACrash() {
        // picocli turns the IllegalArgumentException into exit code 1 with the message, no stack trace needed.
        assertEquals(1, Main.run("devices", "--device", "tpu"));
    }

    @Test
    void trainWithAMissingDataFolderFailsBeforeAnyWork() {
        assertEquals(1, Main.run("train", "--device", "cpu", "--data", "/no/such/dir"));
    }
}
