package srgan.bench;

import java.util.ArrayList;
import java.util.List;
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

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Storage;
import srgan.engine.backend.cpu.CpuBackend;

/**
 * One Adam step over all of a model's parameters in one call. Napkin math: per parameter it reads the
 * parameter, its gradient and both moments and writes the parameter and both moments: 7 floats, 28 bytes, for
 * about 15 FLOPs (in double, with a square root and a division), so it is bound by memory: {@code gbytes}
 * reports GB/s. Sizes: SRResNet's 1.55 M parameters (as its 37 tensors, 64x64x3x3 mostly) and the
 * discriminator's 23.6 M (its 18432x1024 dense layer dominates).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class AdamBenchmark {
    @Param({"srresnet", "discriminator"})
    public String model;

    @Param("0")
    public int threads;

    @Param("true")
    public boolean vectors;

    private CpuBackend backend;
    private final List<Storage> params = new ArrayList<>();
    private final List<Storage> grads = new ArrayList<>();
    private final List<Storage> m = new ArrayList<>();
    private final List<Storage> v = new ArrayList<>();
    private long count;
    private long step;

    @Setup
    public void setup() {
        backend = Fixtures.backend(threads, vectors);
        List<Long> sizes = new ArrayList<>();
        if (model.equals("srresnet")) {
            sizes.add(3L * 64 * 81);                                     // head
            for (int i = 0; i < 33; i++) sizes.add(64L * 64 * 9);        // blocks and mid
            sizes.add(2 * 256L * 64 * 9);                                // upsampling
            sizes.add(3L * 64 * 81);                                     // tail
            sizes.add(64L * 80);                                         // biases, batch norms, PReLUs
        } else {
            sizes.add(64L * 3 * 9);
            int[][] layers = {{64, 64}, {64, 128}, {128, 128}, {128, 256}, {256, 256}, {256, 512}, {512, 512}};
            for (int[] l : layers) sizes.add((long) l[0] * l[1] * 9);
            sizes.add(18432L * 1024);
            sizes.add(1024L + 4 * 2048);                                // dense head, biases, batch norms
        }
        long seed = 1;
        for (long s : sizes) {
            params.add(Fixtures.random(backend, s, seed++));
            grads.add(Fixtures.uniform(backend, s, -0.01, 0.01, seed++));
            m.add(backend.allocate(s));
            v.add(backend.allocate(s));
            count += s;
        }
    }

    @TearDown
    public void close() {
        backend.close();
    }

    @Benchmark
    public Storage adam(Fixtures.Bytes work) {
        backend.adamStep(params, grads, m, v, new AdamHyper(1e-4, 0.9, 0.999, 1e-8, 0, true, ++step));
        work.gbytes += 28.0 * count / 1e9;
        return params.get(0);
    }
}
