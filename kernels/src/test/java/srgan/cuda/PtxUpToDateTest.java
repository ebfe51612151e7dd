package srgan.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The committed PTX must come from the committed CUDA sources: ptx/MANIFEST holds the sha-256 of every .cu/.cuh
 * file as tools/build-ptx.sh last saw it. Where nvcc is installed, each source is also compiled, to prove it
 * still compiles. CPU only.
 */
class PtxUpToDateTest {

    private static final String RERUN = "; run tools/build-ptx.sh and commit the regenerated PTX";

    /** The kernels module directory, whether the tests run from it (Maven) or from the repository root. */
    private static Path module() {
        for (Path p : List.of(Path.of(""), Path.of("kernels"))) {
            if (Files.isDirectory(p.resolve("src/main/cuda"))) return p.toAbsolutePath();
        }
        throw new IllegalStateException("cannot find kernels/src/main/cuda from " + Path.of("").toAbsolutePath());
    }

    private static Path sources() {
        return module().resolve("src/main/cuda");
    }

    private static Path ptxDir() {
        return module().resolve("src/main/resources/srgan/cuda/ptx");
    }

    private static List<Path> cudaSources() throws IOException {
        try (Stream<Path> s = Files.list(sources())) {
            return s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).sorted().toList();
        }
    }

    private static String sha256(Path p) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void manifestMatchesSources() throws Exception {
        Path manifest = ptxDir().resolve("MANIFEST");
        assertTrue(Files.exists(manifest), "missing " + manifest + RERUN);
        Map<String, String> recorded = new TreeMap<>();
        for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            String[] parts = line.trim().split("\\s+", 2);
            recorded.put(parts[1].trim(), parts[0]);
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> actual = new TreeMap<>();
        for (Path src : cudaSources()) actual.put(src.getFileName().toString(), sha256(src));
        for (Map.Entry<String, String> e : actual.entrySet()) {
            String was = recorded.get(e.getKey());
            if (was == null) problems.add(e.getKey() + " is not in the MANIFEST (a new source)");
            else if (!was.equals(e.getValue())) problems.add(e.getKey() + " changed since its PTX was built");
        }
        for (String name : recorded.keySet()) {
            if (!actual.containsKey(name)) problems.add(name + " is in the MANIFEST but no longer exists");
        }
        if (!problems.isEmpty()) fail(String.join("; ", problems) + RERUN);
    }

    @Test
    void everyCudaFileHasItsPtx() throws Exception {
        for (Path src : cudaSources()) {
            String name = src.getFileName().toString();
            if (!name.endsWith(".cu")) continue;
            Path ptx = ptxDir().resolve(name.replace(".cu", ".ptx"));
            assertTrue(Files.exists(ptx), "no PTX for " + name + RERUN);
            String text = Files.readString(ptx, StandardCharsets.US_ASCII);
            assertTrue(text.contains(".entry"), ptx + " declares no kernel" + RERUN);
            // the class-path copy is what the backend loads: it must be the same file
            assertEquals(text, CudaContext.readPtx(name.replace(".cu", "")), "class-path PTX differs from " + ptx);
        }
    }

    @Test
    void sourcesCompileWhereNvccIsInstalled() throws Exception {
        Path nvcc = findNvcc();
        if (nvcc == null) {
            System.out.println("nvcc not on PATH: compile check skipped (the MANIFEST check still ran)");
            return;
        }
        Path out = Files.createTempDirectory("srgan-ptx-check");
        try {
            for (Path src : cudaSources()) {
                if (!src.toString().endsWith(".cu")) continue;
                Path ptx = out.resolve(src.getFileName().toString().replace(".cu", ".ptx"));
                ProcessBuilder pb = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=compute_75", "-O3",
                        "-std=c++17", "-I" + sources(), src.toString(), "-o", ptx.toString()).redirectErrorStream(true);
                Process p = pb.start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out on " + src);
                assertEquals(0, p.exitValue(), "nvcc failed on " + src.getFileName() + ":\n" + log);
            }
        } finally {
            try (Stream<Path> s = Files.list(out)) {
                for (Path p : s.toList()) Files.delete(p);
            }
            Files.delete(out);
        }
    }

    private static Path findNvcc() {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "nvcc");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }
}
