package srgan.cuda;

import jcuda.driver.CUdeviceptr;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the Emulated*Test suites share to run our kernels on the CPU emulation of CUDA (src/test/emu): a
 * {@link Recorder} that writes what a wrapper asks of the device in the emulator's line format, and the building
 * and running of the emulator with g++ (C++20), which those suites need and skip without.
 */
final class Emulator {

    private Emulator() {
    }

    /** Whether g++ is on PATH; the emulator is built with it. */
    static boolean gppOnPath() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "g++"))) return true;
        }
        return false;
    }

    /** The kernels module's directory, whether the tests run from it or from the project root. */
    static Path module() {
        for (Path p : List.of(Path.of(""), Path.of("kernels"))) {
            if (Files.isDirectory(p.resolve("src/main/cuda"))) return p.toAbsolutePath();
        }
        throw new IllegalStateException("cannot find kernels/src/main/cuda from " + Path.of("").toAbsolutePath());
    }

    /** The emulator's sources. */
    static Path emu() {
        return module().resolve("src/test/emu");
    }

    /**
     * Builds run_launches.cpp in a new temporary directory named after {@code name} and runs it on
     * {@code records} (kept there as launches.txt).
     */
    static LaunchesRun runLaunches(String name, CharSequence records) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(name);
        Path module = module();
        Files.writeString(dir.resolve("launches.txt"), records);
        run(dir, 300, null, "g++", "-std=c++20", "-O1", "-pthread", "-w", "-ffp-contract=off",
                "-I" + emu(), "-I" + module.resolve("src/main/cuda"), "-o", "run",
                emu().resolve("run_launches.cpp").toString());
        String output = run(dir, 600, dir.resolve("launches.txt"), dir.resolve("run").toString());
        List<Dump> dumps = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("FAIL")) failures.add(line);
            if (!line.startsWith("dump ")) continue;
            String[] f = line.split(" ");
            int[] words = new int[Integer.parseInt(f[2])];
            for (int i = 0; i < words.length; i++) words[i] = Integer.parseUnsignedInt(f[3 + i], 16);
            dumps.add(new Dump(Long.parseLong(f[1]), words));
        }
        return new LaunchesRun(dir, output, dumps, failures);
    }

    /**
     * What run_launches.cpp printed: the buffers the dump records asked for, in order, and its FAIL lines.
     *
     * @param dir where it ran; the suites delete it last, so a failure leaves it to look at
     */
    record LaunchesRun(Path dir, String output, List<Dump> dumps, List<String> failures) {

        /** The output less its dump lines, which are long and unreadable: for failure messages. */
        String summary() {
            return withoutDumps(output);
        }

        void deleteDir() throws IOException {
            deleteTree(dir);
        }
    }

    /** A buffer's words as run_launches.cpp printed them for a dump record. */
    record Dump(long id, int[] words) {
    }

    /**
     * Runs {@code command} in {@code dir}, stdin from {@code stdin} when not null, and returns its output (stderr
     * included); fails the test when it times out or exits other than 0.
     */
    static String run(Path dir, long timeoutSeconds, Path stdin, String... command) throws IOException,
            InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        if (stdin != null) pb.redirectInput(stdin.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + withoutDumps(text));
        return text;
    }

    /** Dump lines are long and unreadable; failure messages leave them out. */
    private static String withoutDumps(String output) {
        return output.lines().filter(l -> !l.startsWith("dump")).map(l -> l + "\n").collect(Collectors.joining());
    }

    /** Deletes {@code dir} and everything in it; the suites call it last, so a failure leaves it to look at. */
    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /**
     * Records what a wrapper asks of the device as the emulator reads it (replay.cpp, run_launches.cpp): every
     * storage gets an id, and each launch, its arguments checked against the kernel's PTX signature, is a
     * "launch" line. What else a wrapper may ask of the device is refused unless a subclass supplies it.
     */
    abstract static class Recorder implements DeviceRuntime {
        final StringBuilder text = new StringBuilder();
        final Map<DeviceStorage, Long> ids = new IdentityHashMap<>();
        private final Map<String, PtxSignatures> signatures = new HashMap<>();
        private final String module;
        private final int multiprocessors;
        private long nextId = 1;

        /**
         * @param module          the one PTX module the wrapper may launch from; null for any
         * @param multiprocessors what the wrapper is told the device has, which caps its grids
         */
        Recorder(String module, int multiprocessors) {
            this.module = module;
            this.multiprocessors = multiprocessors;
        }

        /** A storage with an id and no record: replay.cpp allocates it when a role or a launch names it. */
        DeviceStorage storage(long floats) {
            DeviceStorage s = new DeviceStorage(null, null, new CUdeviceptr(), floats, floats * 4, null, null);
            ids.put(s, nextId++);
            return s;
        }

        /** A storage with a "buffer" record: run_launches.cpp allocates it then, all NaN. */
        DeviceStorage buffer(long floats) {
            DeviceStorage s = storage(floats);
            text.append("buffer ").append(ids.get(s)).append(' ').append(floats).append('\n');
            return s;
        }

        /** Sets {@code s}'s first words. */
        void write(DeviceStorage s, int[] words) {
            text.append("words ").append(ids.get(s)).append(" 0 ").append(words.length);
            for (int w : words) text.append(' ').append(Integer.toHexString(w));
            text.append('\n');
        }

        /** Asks for {@code s}'s words in the output, as they are at this point of the stream. */
        void dump(DeviceStorage s) {
            text.append("dump ").append(ids.get(s)).append('\n');
        }

        @Override
        public void launch(String module, String kernel, int gx, int gy, int gz, int bx, int by, int bz,
                           int sharedBytes, Object... args) {
            if (this.module != null) assertEquals(this.module, module);
            signatures.computeIfAbsent(module, m -> PtxSignatures.parse(CudaContext.readPtx(m))).check(kernel, args);
            text.append(String.format(Locale.ROOT, "launch %s %d %d %d %d %d %d %d %d", kernel, gx, gy, gz, bx, by,
                    bz, sharedBytes, args.length));
            for (Object a : args) {
                text.append(' ');
                if (a instanceof DeviceStorage s && s.isClosed()) {
                    throw new IllegalStateException(kernel + " queued with a closed storage " + ids.get(s));
                }
                if (a == null) text.append("p0");
                else if (a instanceof DeviceStorage s) text.append('p').append(ids.get(s)).append(':').append(s.size());
                else if (a instanceof Integer i) text.append('i').append(i);
                else if (a instanceof Long l) text.append('l').append(l);
                else if (a instanceof Float f) text.append('f').append(Float.toHexString(f)); // exact
                else throw new IllegalArgumentException("argument " + a);
            }
            text.append('\n');
        }

        @Override
        public int multiprocessorCount() {
            return multiprocessors;
        }

        @Override
        public DeviceStorage scratch(long floats) {
            throw new UnsupportedOperationException("scratch: not expected of the wrapper under test");
        }

        @Override
        public void uploadLongs(long[] host, DeviceStorage dst) {
            throw new UnsupportedOperationException("table uploads: not expected of the wrapper under test");
        }

        @Override
        public long address(DeviceStorage s) {
            throw new UnsupportedOperationException("pointer tables: not expected of the wrapper under test");
        }
    }
}
