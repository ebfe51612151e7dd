package srgan.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.cpu.CpuBackend;

/**
 * The CPU backend's convolutions on the shapes SRGAN trains with (batch 16): forward, backward-data and
 * backward-weight.
 *
 * <p>Napkin math: one pass costs {@code 2 N Cout OH OW Cin KH KW} FLOPs (a multiply and an add per weight per
 * output pixel; each backward pass the same), e.g. the SRResNet body, 16x64x24x24 by 64x64x3x3: 2 * 16 * 64 *
 * 576 * 576 = 0.68 GFLOP. That count is what {@code gflop} reports per second, also for the 3x3 stride-1 layers
 * that run Winograd F(2x2, 3x3) with 2.25 times fewer multiplies: their figure is the direct-convolution
 * equivalent, comparable across algorithms and with PyTorch's. Against this machine's peak: 2 cores x 2 FMA
 * units x 16 lanes x 2 FLOPs x the clock, about 380 GFLOP/s nominal, about 250 measured by a register-only FMA
 * loop ({@code CpuPeak}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class ConvBenchmark {
    /** The layers, by name (JMH's -p splits values at commas): n, cin, h, w, cout, kernel, stride, padding. */
    private static final java.util.Map<String, int[]> SHAPES = java.util.Map.ofEntries(
            java.util.Map.entry("body24", new int[]{16, 64, 24, 24, 64, 3, 1, 1}),     // residual blocks at LR 24x24
            java.util.Map.entry("body48", new int[]{16, 64, 48, 48, 64, 3, 1, 1}),     // the same at 48x48
            java.util.Map.entry("head24", new int[]{16, 3, 24, 24, 64, 9, 1, 4}),      // 9x9 head, LR 24
            java.util.Map.entry("head96", new int[]{16, 3, 96, 96, 64, 9, 1, 4}),      // 9x9 head at 96
            java.util.Map.entry("tail24", new int[]{16, 64, 24, 24, 3, 9, 1, 4}),      // 9x9 tail at 24
            java.util.Map.entry("tail96", new int[]{16, 64, 96, 96, 3, 9, 1, 4}),      // 9x9 tail, HR 96
            java.util.Map.entry("up24", new int[]{16, 64, 24, 24, 256, 3, 1, 1}),      // 64 -> 256, first shuffle
            java.util.Map.entry("up48", new int[]{16, 64, 48, 48, 256, 3, 1, 1}),      // and the second
            java.util.Map.entry("disc96s2", new int[]{16, 64, 96, 96, 64, 3, 2, 1}),   // discriminator, stride 2
            java.util.Map.entry("disc48s2", new int[]{16, 128, 48, 48, 128, 3, 2, 1}),
            java.util.Map.entry("disc24s2", new int[]{16, 256, 24, 24, 256, 3, 2, 1}),
            java.util.Map.entry("disc12s2", new int[]{16, 512, 12, 12, 512, 3, 2, 1}));

    @Param({"body24", "body48", "head24", "head96", "tail24", "tail96", "up24", "up48", "disc96s2", "disc48s2",
            "disc24s2", "disc12s2"})
    public String shape;

    @Param({"forward", "backwardData", "backwardWeight"})
    public String pass;

    /** Threads; 0 means one per core. */
    @Param("0")
    public int threads;

    /** false runs the scalar fallback. */
    @Param("true")
    public boolean vectors;

    private CpuBackend backend;
    private ConvGeometry g;
    private Storage x;
    private Storage w;
    private Storage bias;
    private Storage y;
    private Storage gy;
    private Storage gx;
    private Storage gw;

    @Setup
    public void setup() {
        int[] c = SHAPES.get(shape);
        if (c == null) throw new IllegalArgumentException("unknown shape " + shape + "; known: " + SHAPES.keySet());
        g = new ConvGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[5], c[6], c[7]);
        backend = Fixtures.backend(threads, vectors);
        x = Fixtures.random(backend, g.inputSize(), 1);
        w = Fixtures.uniform(backend, g.weightSize(), -0.05, 0.05, 2);
        bias = Fixtures.random(backend, g.outChannels(), 3);
        y = backend.allocate(g.outputSize());
        gy = Fixtures.random(backend, g.outputSize(), 4);
        gx = backend.allocate(g.inputSize());
        gw = backend.allocate(g.weightSize());
    }

    @TearDown
    public void close() {
        backend.close();
    }

    @Benchmark
    public Storage conv(Fixtures.Flops work) {
        switch (pass) {
            case "forward":
                backend.conv2d(g, x, w, bias, y);
                work.gflop += g.forwardFlops() / 1e9;
                return y;
            case "backwardData":
                backend.conv2dBackwardData(g, w, gy, gx);
                work.gflop += g.forwardFlops() / 1e9;
                return gx;
            default:
                backend.conv2dBackwardWeight(g, x, gy, gw);
                work.gflop += g.forwardFlops() / 1e9;
                return gw;
        }
    }
}
