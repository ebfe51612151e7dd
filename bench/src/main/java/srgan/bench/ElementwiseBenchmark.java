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

import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;
import srgan.engine.backend.cpu.CpuBackend;

/**
 * Batch norm, PReLU, LeakyReLU and pixel shuffle on SRGAN's tensors. These do a few FLOPs per element and are
 * bound by memory, so {@code gbytes} reports GB/s: the bytes each call must read and write at least, 4 per
 * float. With {@code S = N*C*H*W}:
 * <ul>
 *   <li>batchNormTrain: reads x twice (mean, then variance) and once more to normalise, writes y: 16 S bytes;</li>
 *   <li>batchNormBackward (training): reads x, gy (sums), then x, gy, gx and writes gx: 24 S;</li>
 *   <li>batchNormPreluTrain (batch norm and PReLU fused): as batchNormTrain, writing z instead of y: 16 S;
 *       against 24 S for batchNormTrain then prelu;</li>
 *   <li>batchNormPreluBackward: reads x and gz (y recomputed) and writes gy, reads x and gz again for the slope's
 *       gradient, then batch norm's backward: 44 S, against 40 S for preluBackward then batchNormBackward; what it
 *       saves is the forward's pass and y's memory;</li>
 *   <li>prelu, leakyRelu: read x, write y: 8 S; their backward passes read x, gy, gx and write gx: 16 S;</li>
 *   <li>pixelShuffle: read x, write y: 8 S; backward: read gy, gx, write gx: 12 S.</li>
 * </ul>
 * One core streams about 10-15 GB/s from memory here; tensors of a few MB mostly stay in the 2 MB L2 and
 * shared L3, and go faster.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class ElementwiseBenchmark {
    /**
     * By name (n, c, h, w in SHAPES): body24 [16, 64, 24, 24] is every residual block's batch norm and PReLU;
     * up48 [16, 256, 48, 48] the input of the second pixel shuffle; up96 [16, 64, 96, 96] the PReLU after it;
     * disc12 [16, 512, 12, 12] a discriminator batch norm and LeakyReLU.
     */
    @Param({"body24", "up48", "up96", "disc12"})
    public String shape;

    private static final java.util.Map<String, int[]> SHAPES = java.util.Map.of(
            "body24", new int[]{16, 64, 24, 24}, "up48", new int[]{16, 256, 48, 48},
            "up96", new int[]{16, 64, 96, 96}, "disc12", new int[]{16, 512, 12, 12});

    @Param("0")
    public int threads;

    @Param("true")
    public boolean vectors;

    private CpuBackend backend;
    private int n;
    private int c;
    private int h;
    private int w;
    private long size;
    private Storage x;
    private Storage y;
    private Storage gy;
    private Storage gx;
    private Storage gamma;
    private Storage beta;
    private Storage runMean;
    private Storage runVar;
    private Storage saveMean;
    private Storage saveInvStd;
    private Storage gGamma;
    private Storage gBeta;
    private Storage alpha;
    private Storage gAlpha;

    @Setup
    public void setup() {
        int[] s = SHAPES.get(shape);
        if (s == null) throw new IllegalArgumentException("unknown shape " + shape + "; known: " + SHAPES.keySet());
        n = s[0];
        c = s[1];
        h = s[2];
        w = s[3];
        size = (long) n * c * h * w;
        backend = Fixtures.backend(threads, vectors);
        x = Fixtures.random(backend, size, 1);
        y = backend.allocate(size);
        gy = Fixtures.random(backend, size, 2);
        gx = backend.allocate(size);
        gamma = Fixtures.uniform(backend, c, 0.5, 1.5, 3);
        beta = Fixtures.random(backend, c, 4);
        runMean = backend.allocate(c);
        runVar = Fixtures.uniform(backend, c, 0.5, 1.5, 5);
        saveMean = backend.allocate(c);
        saveInvStd = backend.allocate(c);
        gGamma = backend.allocate(c);
        gBeta = backend.allocate(c);
        alpha = Fixtures.uniform(backend, 1, 0.1, 0.3, 6);
        gAlpha = backend.allocate(1);
        backend.batchNormTrain(x, gamma, beta, runMean, runVar, 0.1, 1e-5, y, saveMean, saveInvStd, n, c, h * w);
    }

    @TearDown
    public void close() {
        backend.close();
    }

    private double gb(int floatsPerElement) {
        return 4.0 * floatsPerElement * size / 1e9;
    }

    @Benchmark
    public Storage batchNormTrain(Fixtures.Bytes work) {
        backend.batchNormTrain(x, gamma, beta, runMean, runVar, 0.1, 1e-5, y, saveMean, saveInvStd, n, c, h * w);
        work.gbytes += gb(4);
        return y;
    }

    @Benchmark
    public Storage batchNormBackward(Fixtures.Bytes work) {
        backend.batchNormBackward(true, x, gamma, saveMean, saveInvStd, gy, gx, gGamma, gBeta, n, c, h * w);
        work.gbytes += gb(6);
        return gx;
    }

    @Benchmark
    public Storage batchNormPreluTrain(Fixtures.Bytes work) {
        backend.batchNormPreluTrain(x, gamma, beta, runMean, runVar, 0.1, 1e-5, alpha, 1, y, saveMean, saveInvStd,
                n, c, h * w);
        work.gbytes += gb(4);
        return y;
    }

    @Benchmark
    public Storage batchNormPreluBackward(Fixtures.Bytes work) {
        backend.batchNormPreluBackward(x, gamma, beta, saveMean, saveInvStd, alpha, 1, gy, gx, gGamma, gBeta, gAlpha,
                n, c, h * w);
        work.gbytes += gb(11);
        return gx;
    }

    @Benchmark
    public Storage prelu(Fixtures.Bytes work) {
        backend.prelu(x, alpha, 1, y, n, c, h * w);
        work.gbytes += gb(2);
        return y;
    }

    @Benchmark
    public Storage preluBackward(Fixtures.Bytes work) {
        backend.preluBackward(x, alpha, 1, gy, gx, gAlpha, n, c, h * w);
        work.gbytes += gb(4);
        return gx;
    }

    @Benchmark
    public Storage leakyRelu(Fixtures.Bytes work) {
        backend.unary(UnaryOp.LEAKY_RELU, 0.2, x, y, size);
        work.gbytes += gb(2);
        return y;
    }

    @Benchmark
    public Storage leakyReluBackward(Fixtures.Bytes work) {
        backend.unaryBackward(UnaryOp.LEAKY_RELU, 0.2, x, null, gy, gx, size);
        work.gbytes += gb(4);
        return gx;
    }

    /** [n, c, h, w] to [n, c/4, 2h, 2w]: SRResNet's upsampling shuffles (c = 256 there). */
    @Benchmark
    public Storage pixelShuffle(Fixtures.Bytes work) {
        backend.pixelShuffle(x, y, n, c, h, w, 2);
        work.gbytes += gb(2);
        return y;
    }

    @Benchmark
    public Storage pixelShuffleBackward(Fixtures.Bytes work) {
        backend.pixelShuffleBackward(gy, gx, n, c, h, w, 2);
        work.gbytes += gb(3);
        return gx;
    }
}
