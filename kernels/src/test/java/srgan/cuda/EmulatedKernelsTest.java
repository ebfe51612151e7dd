package srgan.cuda;

import org.junit.jupiter.api.Test;
import srgan.engine.backend.ConvGeometry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Our convolution kernels, run on a CPU emulation of CUDA (src/test/emu: one std::thread per CUDA thread) with
 * exactly the launches {@link OwnConv} queues, against a double-precision reference: the direct and parity-class
 * kernels on every shape they apply to, the plain implicit GEMMs on two. It checks the Java launch arithmetic and
 * the kernels together where there is no GPU; the GPU suite (CudaKernelSmokeTest) checks the same on the device.
 * Needs g++ (C++20); skipped without it. CPU only.
 */
class EmulatedKernelsTest {

    /** Small shapes (the emulator is slow) that still reach every path: splits, bands, parity classes. */
    private static final ConvGeometry[] GEOMETRIES = {
            new ConvGeometry(2, 20, 20, 37, 3, 9, 9, 1, 4),  // the tail: few out channels, 9x9
            new ConvGeometry(2, 3, 18, 35, 20, 9, 9, 1, 4),  // the head: few in channels (backward data)
            new ConvGeometry(2, 3, 17, 33, 16, 3, 3, 1, 1),  // VGG's / the discriminator's first conv
            new ConvGeometry(2, 16, 20, 20, 16, 3, 3, 2, 1), // the discriminator's strided convs
            new ConvGeometry(2, 8, 13, 13, 12, 4, 4, 2, 0),
            new ConvGeometry(1, 5, 11, 10, 7, 3, 3, 3, 1),   // stride 3: nine classes
            new ConvGeometry(1, 4, 9, 9, 6, 1, 1, 2, 0),     // 1x1 stride 2: three classes without a tap
            new ConvGeometry(2, 70, 7, 9, 4, 5, 5, 2, 2),    // few out channels, stride 2, several channel blocks
            new ConvGeometry(2, 6, 9, 11, 10, 3, 3, 1, 1),   // plain implicit GEMMs on 64-row tiles
            new ConvGeometry(1, 66, 5, 6, 70, 3, 3, 1, 1),   // and on 128-row tiles (two register budgets)
    };

    /** Records launches as replay.cpp reads them; storages get their contents from the role records. */
    private static final class LaunchLog extends Emulator.Recorder {
        LaunchLog() {
            super(null, 132);
        }

        void role(String name, DeviceStorage s) {
            text.append("role ").append(name).append(' ').append(s == null ? 0 : ids.get(s)).append(' ')
                    .append(s == null ? 0 : s.size()).append('\n');
        }

        @Override
        public DeviceStorage scratch(long floats) {
            return storage(floats);
        }
    }

    private static String launchesOfEveryKernel() {
        LaunchLog log = new LaunchLog();
        OwnConv conv = new OwnConv(log);
        for (ConvGeometry g : GEOMETRIES) {
            String geo = String.format(Locale.ROOT, "%d %d %d %d %d %d %d %d %d", g.n(), g.inChannels(),
                    g.inHeight(), g.inWidth(), g.outChannels(), g.kernelHeight(), g.kernelWidth(), g.stride(),
                    g.padding());
            for (ConvEngine.Pass pass : ConvEngine.Pass.values()) {
                for (OwnConv.Algo algo : conv.candidates(pass, g)) {
                    // The emulator is slow: the plain implicit GEMMs only on the last two shapes.
                    boolean plain = algo == OwnConv.Algo.GEMM || algo == OwnConv.Algo.GEMM_R128;
                    if (plain && g != GEOMETRIES[GEOMETRIES.length - 1] && g != GEOMETRIES[GEOMETRIES.length - 2]) {
                        continue;
                    }
                    String name = pass + "/" + algo + "/" + geo.replace(' ', ',');
                    log.text.append("case ").append(name).append(' ').append(pass).append(' ').append(geo).append('\n');
                    DeviceStorage x = log.storage(g.inputSize()), w = log.storage(g.weightSize());
                    DeviceStorage y = log.storage(g.outputSize());
                    switch (pass) {
                        case FORWARD -> {
                            DeviceStorage b = log.storage(g.outChannels());
                            log.role("x", x);
                            log.role("w", w);
                            log.role("b", b);
                            log.role("y", y);
                            conv.forward(algo, g, x, w, b, y);
                        }
                        case BACKWARD_DATA -> {
                            log.role("w", w);
                            log.role("gy", y);
                            log.role("gx", x);
                            conv.backwardData(algo, g, w, y, x);
                        }
                        case BACKWARD_WEIGHT -> {
                            log.role("x", x);
                            log.role("gy", y);
                            log.role("gw", w);
                            conv.backwardWeight(algo, g, x, y, w);
                        }
                    }
                    log.text.append("end\n");
                }
            }
        }
        return log.text.toString();
    }

    @Test
    void convolutionKernelsMatchTheReferenceOnTheEmulator() throws Exception {
        assumeTrue(Emulator.gppOnPath(), "g++ is not on PATH");
        Path dir = Files.createTempDirectory("srgan-emu");
        Path src = Files.createDirectories(dir.resolve("src"));
        // The emulator runs one block at a time, so dynamic shared memory can be one static array.
        try (Stream<Path> files = Files.list(Emulator.module().resolve("src/main/cuda"))) {
            for (Path f : files.toList()) {
                String text = Files.readString(f).replace("extern __shared__ __align__(16) float fo_smem[];",
                        "alignas(16) static float fo_smem[1 << 16];");
                Files.writeString(src.resolve(f.getFileName()), text);
            }
        }
        for (String f : List.of("cpu_cuda.h", "launch_records.h", "replay.cpp")) {
            Files.copy(Emulator.emu().resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("launches.txt"), launchesOfEveryKernel());
        Emulator.run(dir, 300, null, "g++", "-std=c++20", "-O1", "-pthread", "-w", "-Isrc", "-o", "replay",
                "replay.cpp");
        String report = Emulator.run(dir, 600, null, dir.resolve("replay").toString(), "launches.txt");
        System.out.print(report);
        List<String> failures = new ArrayList<>();
        for (String line : report.split("\n")) if (line.startsWith("FAIL")) failures.add(line);
        assertEquals(List.of(), failures);
        assertTrue(report.contains(" 0 failures"), report);
        Emulator.deleteTree(dir); // kept when the test fails, for a look at the replay
    }
}
