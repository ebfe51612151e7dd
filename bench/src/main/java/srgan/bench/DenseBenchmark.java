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
import srgan.engine.backend.cpu.CpuBackend;

/**
 * The discriminator's dense layer 18432 -> 1024 at batch 16 (x [16, 18432], W [1024, 18432]): the three GEMMs of
 * its forward and backward passes.
 *
 * <p>Napkin math: each is 2 * 16 * 18432 * 1024 = 0.60 GFLOP. All three are bound by memory rather than
 * arithmetic: the forward and input-gradient products stream the 75 MB weight matrix once (at about 10 GB/s
 * here, 7 ms, so at most ~85 GFLOP/s), and the weight gradient reads and writes it ({@code gw += gy^T x},
 * 150 MB).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class DenseBenchmark {
    private static final int N = 16;
    private static final int IN = 18432;
    private static final int OUT = 1024;

    @Param("0")
    public int threads;

    @Param("true")
    public boolean vectors;

    private CpuBackend backend;
    private Storage x;
    private Storage w;
    private Storage y;
    private Storage gy;
    private Storage gx;
    private Storage gw;

    @Setup
    public void setup() {
        backend = Fixtures.backend(threads, vectors);
        x = Fixtures.random(backend, (long) N * IN, 1);
        w = Fixtures.uniform(backend, (long) OUT * IN, -0.01, 0.01, 2);
        y = backend.allocate((long) N * OUT);
        gy = Fixtures.random(backend, (long) N * OUT, 3);
        gx = backend.allocate((long) N * IN);
        gw = backend.allocate((long) OUT * IN);
    }

    @TearDown
    public void close() {
        backend.close();
    }

    private static final double GFLOP = 2.0 * N * IN * OUT / 1e9;

    /** y = x W^T. */
    @Benchmark
    public Storage forward(Fixtures.Flops work) {
        backend.gemm(false, true, N, OUT, IN, 1, x, w, 0, y);
        work.gflop += GFLOP;
        return y;
    }

    /** gx += gy W. */
    @Benchmark
    public Storage backwardData(Fixtures.Flops work) {
        backend.gemm(false, false, N, IN, OUT, 1, gy, w, 1, gx);
        work.gflop += GFLOP;
        return gx;
    }

    /** gW += gy^T x. */
    @Benchmark
    public Storage backwardWeight(Fixtures.Flops work) {
        backend.gemm(true, false, OUT, IN, N, 1, gy, x, 1, gw);
        work.gflop += GFLOP;
        return gw;
    }
}
