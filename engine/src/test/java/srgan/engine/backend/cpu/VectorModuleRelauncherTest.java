package srgan.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The restart's command line (the restart itself is what `java -jar srgan.jar` does, run by hand). */
class VectorModuleRelauncherTest {

    @Test
    void restartsAJarWithTheModuleTheSameOptionsAndArguments() {
        List<String> command = VectorModuleRelauncher.command("/jdk/bin/java", List.of("-Xmx2g", "-Dsrgan.threads=2"),
                "srgan.jar", "srgan.jar bench --device cpu", "srgan.app.Main", new String[]{"bench", "--device", "cpu"},
                Set.of());
        assertEquals(List.of("/jdk/bin/java", "-Xmx2g", "-Dsrgan.threads=2", "-XX:+UseSerialGC", "-Xmn64m",
                "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "--add-modules", "jdk.incubator.vector",
                "-Dsrgan.relaunched=true", "-jar", "srgan.jar", "bench", "--device", "cpu"), command);
    }

    @Test
    void restartsAClassPathLaunchWithItsMainClass() {
        List<String> command = VectorModuleRelauncher.command("java", List.of(), "a.jar:b.jar",
                "srgan.app.Main devices", "srgan.app.Main", new String[]{"devices"}, Set.of());
        assertEquals(List.of("java", "-XX:+UseSerialGC", "-Xmn64m", "-XX:MinHeapFreeRatio=10",
                "-XX:MaxHeapFreeRatio=20", "--add-modules", "jdk.incubator.vector", "-Dsrgan.relaunched=true", "-cp",
                "a.jar:b.jar", "srgan.app.Main", "devices"), command);
    }

    @Test
    void leavesOutOptionsTheChildReadsFromTheEnvironmentAgain() {
        // JAVA_TOOL_OPTIONS reaches the child through the environment: passing it again would load an agent twice.
        List<String> command = VectorModuleRelauncher.command("java", List.of("-javaagent:x.jar", "-Xss2m",
                "-XX:+UseG1GC"), "s.jar", "s.jar", "srgan.app.Main", new String[0], Set.of("-javaagent:x.jar"));
        assertEquals(List.of("java", "-Xss2m", "-XX:+UseG1GC", "--add-modules", "jdk.incubator.vector",
                "-Dsrgan.relaunched=true", "-jar", "s.jar"), command);
    }

    @Test
    void theUsersCollectorOrHeapShapeTurnsTheMemoryDefaultsOff() {
        assertEquals(JvmMemoryDefaults.OPTIONS, JvmMemoryDefaults.forRestart(List.of("-Xmx3g", "-Dx=-Xmn")));
        for (String choice : List.of("-XX:+UseZGC", "-XX:+UseParallelGC", "-Xmn1g", "-XX:NewSize=10m",
                "-XX:MaxNewSize=1g", "-XX:NewRatio=3", "-XX:MinHeapFreeRatio=40", "-XX:MaxHeapFreeRatio=70")) {
            assertEquals(List.of(), JvmMemoryDefaults.forRestart(List.of("-Xmx3g", choice)), choice);
        }
    }
}
