package srgan.image;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared datasets (../shared/data next to the project root) from wherever the tests run: the project
 * root, a module folder (Maven's working directory) or below. Tests that need them skip, saying which path was
 * looked for, when they are absent.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The folder {@code shared/data/<name>} beside the first ancestor of the working directory that has one. */
    public static Path dataset(String name) {
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared").resolve("data").resolve(name);
            if (p.getParent() != null && Files.isDirectory(candidate)) return candidate;
        }
        Assumptions.assumeTrue(false, "dataset ../shared/data/" + name + " not found beside any ancestor of " + start
                + " (it ships with the project's shared folder, not with the repository)");
        throw new AssertionError("unreachable");
    }
}
