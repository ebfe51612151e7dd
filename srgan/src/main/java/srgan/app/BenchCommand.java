package srgan.app;

import srgan.engine.GradMode;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.backend.cpu.CpuPeak;
import srgan.engine.optim.Adam;
import srgan.model.Discriminator;
import srgan.config.LossSpec;
import srgan.model.Generator;
import srgan.model.Vgg19Features;
import srgan.train.TrainingSteps;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * End-to-end timings on one backend. The first line of each workload has the form of
 * ../shared/bench/torch_srgan_gpu.py and torch_srresnet_bench.py, so the two can be read side by side:
 * <ul>
 *   <li>{@code srresnet_mse_step}: SRResNet forward + MSE + backward + Adam, batch 16, LR 24 -> HR 96;</li>
 *   <li>{@code srgan_step_novgg} ({@code --what gan-novgg}): one D update (real + detached fake, BCE) and one G
 *       update (MSE + 1e-3 adversarial BCE), as torch_srresnet_bench.py's "srgan_step(no vgg)"; these are the
 *       trainer's updates ({@link TrainingSteps}), whose G update skips D's weight gradients, which the PyTorch
 *       yardstick computes and throws away;</li>
 *   <li>{@code srgan_vgg54_step} ({@code --what gan}): the same with the VGG54 content loss and its 1/12.75
 *       feature scaling, as torch_srgan_gpu.py;</li>
 *   <li>{@code infer_128_to_512}: SRResNet in eval mode, no grad, one 128x128 image;</li>
 *   <li>{@code kernels}: conv2d forward / backward-data / backward-weight on SRResNet's and the
 *       discriminator's shapes, and the discriminator's GEMM, in GFLOP/s.</li>
 * </ul>
 * A second line per workload gives the convolution and dense FLOPs of one step (counted from the layer shapes,
 * element-wise work excluded, as PyTorch's profilers count), the resulting GFLOP/s and its fraction of the
 * peak, the process's peak resident memory during the workload ({@code VmHWM}, reset before each workload
 * where the kernel allows), and the garbage collections and heap allocation during the timed steps: zero
 * collections and a few KiB per step mean no large arrays are allocated per step. The peak defaults, on the
 * CPU, to a measured register-resident FMA loop on the backend's threads ({@link CpuPeak}).
 *
 * <p>Random weights: timing only.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the SRResNet training step, the SRGAN step (without and with VGG54), inference "
                + "128->512 and the convolution kernels on one device (random weights).")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    DeviceOption device;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--hr", defaultValue = "96", description = "HR crop size. Default: ${DEFAULT-VALUE}.")
    int hr;

    @Option(names = "--reps", defaultValue = "10", description = "Timed repetitions after 3 warm-ups. Default: ${DEFAULT-VALUE}.")
    int reps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed repetitions first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--what", defaultValue = "mse,gan-novgg,gan,infer,kernels", split = ",",
            description = "Which measurements: mse, gan-novgg, gan, infer, kernels. Default: ${DEFAULT-VALUE}.")
    List<String> what;

    @Option(names = "--peak-gflops", defaultValue = "0",
            description = "The peak GFLOP/s to report fractions of; 0 measures an FMA loop on the CPU backend's "
                    + "threads (and reports no fraction on other devices). Default: ${DEFAULT-VALUE}.")
    double peakGflops;

    @Override
    public Integer call() {
        try (Backend backend = device.open()) {
            String tag = "ours-" + backend.name();
            double peak = peakGflops;
            if (peak <= 0 && backend instanceof CpuBackend) {
                int threads = ((CpuBackend) backend).threads();
                peak = CpuPeak.measure(threads, 1.5);
                System.out.printf(Locale.ROOT, "%s peak: %.0f GFLOP/s (register-resident FMA loop, %d threads)%n",
                        tag, peak, threads);
            }
            Rng rng = new Rng(0);
            Generator g = new Generator(backend, rng);
            Tensor lr = Init.uniform(backend, rng, 0, 1, batch, 3, hr / 4, hr / 4);
            Tensor target = Init.uniform(backend, rng, -1, 1, batch, 3, hr, hr);
            // The updates are the trainer's own (TrainingSteps), with no loss read back to the host.
            if (what.contains("mse")) {
                try (Adam opt = new Adam(g, 1e-4, 0.9, 0.999)) {
                    Stats st = time(backend, warmup, reps, () -> {
                        try (Scope s = Scope.open()) {
                            TrainingSteps.pretrain(g, opt, LossSpec.paper(), lr, target, TrainingSteps.UNCHECKED);
                        }
                    });
                    report(tag, "srresnet_mse_step", batch, hr, st, Flops.srresnetStep(batch, hr / 4), peak);
                }
            }
            for (String gan : List.of("gan-novgg", "gan")) {
                if (!what.contains(gan)) continue;
                boolean withVgg = gan.equals("gan");
                try (Discriminator d = new Discriminator(backend, rng, hr);
                     Vgg19Features vgg = withVgg ? new Vgg19Features(backend, rng, Vgg19Features.VGG54) : null;
                     Adam optG = new Adam(g, 1e-4, 0.9, 0.999);
                     Adam optD = new Adam(d, 1e-4, 0.9, 0.999)) {
                    Stats st = time(backend, warmup, reps, () -> {
                        try (Scope s = Scope.open()) {
                            TrainingSteps.gan(g, d, vgg, withVgg ? LossSpec.paper() : LossSpec.paper().withContent("mse"),
                                    optG, optD, lr, target, TrainingSteps.UNCHECKED);
                        }
                    });
                    if (withVgg) {
                        report(tag, "srgan_vgg54_step", batch, hr, st, Double.NaN, peak);
                    } else {
                        report(tag, "srgan_step_novgg", batch, hr, st, Flops.srganStepWithoutVgg(batch, hr), peak);
                    }
                }
            }
            if (what.contains("infer")) {
                g.eval();
                Tensor image = Init.uniform(backend, rng, 0, 1, 1, 3, 128, 128);
                Stats st = time(backend, warmup, reps, () -> {
                    try (Scope s = Scope.open(); GradMode off = GradMode.noGrad()) {
                        g.forward(image);
                    }
                });
                report(tag, "infer_128_to_512", 1, 512, st, Flops.srresnetForward(1, 128), peak);
                g.train();
                image.close();
            }
            if (what.contains("kernels")) kernels(backend, tag, reps, peak);
            lr.close();
            target.close();
            g.close();
        }
        return 0;
    }

    /** Timings of one workload and what the JVM did meanwhile. */
    record Stats(double medianMs, double bestMs, long gcCount, long gcMs, double allocatedMiBPerStep, long peakRssKiB,
                 long peakTensorBytes, long pooledBytes) {
    }

    /**
     * Median and best of {@code reps} timed runs after {@code warmup} untimed ones, in ms, synchronised with the
     * device; with the collections, collection time and heap allocation (all threads) during the timed runs,
     * and the peak resident memory from the warm-up on.
     */
    static Stats time(Backend backend, int warmup, int reps, Runnable step) {
        resetPeakRss();
        CpuBackend cpu = backend instanceof CpuBackend c ? c : null;
        if (cpu != null) cpu.resetPeakBytesInUse();
        for (int i = 0; i < warmup; i++) step.run();
        backend.synchronize();
        long[] gc0 = gcTotals();
        long alloc0 = allocatedBytes();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            step.run();
            backend.synchronize();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        long alloc1 = allocatedBytes();
        long[] gc1 = gcTotals();
        Arrays.sort(ms);
        double perStep = alloc0 < 0 || alloc1 < 0 ? Double.NaN : (alloc1 - alloc0) / 1048576.0 / reps;
        return new Stats(ms[reps / 2], ms[0], gc1[0] - gc0[0], gc1[1] - gc0[1], perStep, peakRssKiB(),
                cpu == null ? -1 : cpu.peakBytesInUse(), cpu == null ? -1 : cpu.bytesPooled());
    }

    /** Collections and milliseconds spent collecting, over all collectors. */
    private static long[] gcTotals() {
        long count = 0;
        long time = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            time += Math.max(0, gc.getCollectionTime());
        }
        return new long[]{count, time};
    }

    /** Bytes allocated on the heap so far by all live threads (the backend's pool threads included); -1 if unknown. */
    private static long allocatedBytes() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!(threads instanceof com.sun.management.ThreadMXBean)) return -1;
        com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) threads;
        if (!sun.isThreadAllocatedMemorySupported() || !sun.isThreadAllocatedMemoryEnabled()) return -1;
        long sum = 0;
        for (long b : sun.getThreadAllocatedBytes(sun.getAllThreadIds())) sum += Math.max(0, b);
        return sum;
    }

    /** Resets the process's peak resident set size (Linux 4.0+: "5" to clear_refs); quietly does nothing elsewhere. */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // the peak then counts from the start of the process
        }
    }

    /** VmHWM of /proc/self/status in KiB, or -1 where there is none. */
    private static long peakRssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // not Linux
        }
        return -1;
    }

    private static void report(String tag, String label, int batch, int hr, Stats st, double flops, double peak) {
        System.out.printf(Locale.ROOT, "%s %s bs%d hr%d: median %.2f ms best %.2f ms%n", tag, label, batch, hr,
                st.medianMs(), st.bestMs());
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s %s:", tag, label));
        if (!Double.isNaN(flops)) {
            double gflops = flops / 1e9 / (st.medianMs() / 1e3);
            line.append(String.format(Locale.ROOT, " %.1f GFLOP/step, %.0f GFLOP/s", flops / 1e9, gflops));
            if (peak > 0) line.append(String.format(Locale.ROOT, " (%.0f%% of %.0f peak)", 100 * gflops / peak, peak));
            line.append(',');
        }
        if (st.peakRssKiB() >= 0) line.append(String.format(Locale.ROOT, " peak RSS %.0f MiB,", st.peakRssKiB() / 1024.0));
        if (st.peakTensorBytes() >= 0) {
            line.append(String.format(Locale.ROOT, " tensors at most %.0f MiB (%.0f MiB kept for reuse after),",
                    st.peakTensorBytes() / 1048576.0, st.pooledBytes() / 1048576.0));
        }
        line.append(String.format(Locale.ROOT, " GC during timed steps: %d collections, %d ms", st.gcCount(), st.gcMs()));
        if (!Double.isNaN(st.allocatedMiBPerStep())) {
            line.append(String.format(Locale.ROOT, ", heap allocation %.2f MiB/step", st.allocatedMiBPerStep()));
        }
        System.out.println(line);
    }

    /**
     * Convolution and dense FLOPs (2 per multiply-add) of the workloads, from the layer shapes of
     * {@link Generator} (64 channels, 16 blocks) and {@link Discriminator}. A backward pass costs twice its
     * forward (input and weight gradients), less the input gradient of a first layer whose input needs none.
     * Element-wise work (batch norm, activations, Adam) is not counted.
     */
    static final class Flops {
        private Flops() {
        }

        /** 2 N Cout OH OW Cin K^2 for a "same" convolution at stride 1 on h x w. */
        static double conv(int n, int cin, int cout, int k, int h, int w) {
            return 2.0 * n * cout * h * w * cin * k * k;
        }

        /** The generator's forward pass from an LR image of size lr x lr. */
        static double srresnetForward(int n, int lr) {
            return head(n, lr) + 33 * conv(n, 64, 64, 3, lr, lr)   // 16 blocks of two, and the mid conv
                    + conv(n, 64, 256, 3, lr, lr) + conv(n, 64, 256, 3, 2 * lr, 2 * lr)
                    + conv(n, 64, 3, 9, 4 * lr, 4 * lr);
        }

        private static double head(int n, int lr) {
            return conv(n, 3, 64, 9, lr, lr);
        }

        /** Forward, backward (no gradient for the LR input) and the MSE: about 123 GFLOP at batch 16, LR 24. */
        static double srresnetStep(int n, int lr) {
            return 3 * srresnetForward(n, lr) - head(n, lr);
        }

        /** The discriminator's forward pass on an hr x hr image. */
        static double discriminatorForward(int n, int hr) {
            int[][] layers = {{64, 2}, {128, 1}, {128, 2}, {256, 1}, {256, 2}, {512, 1}, {512, 2}};
            double f = discriminatorFirst(n, hr);
            int in = 64;
            int size = hr;
            for (int[] layer : layers) {
                size = (size + 2 - 3) / layer[1] + 1;
                f += conv(n, in, layer[0], 3, size, size);
                in = layer[0];
            }
            return f + 2.0 * n * (512L * size * size * 1024 + 1024);
        }

        private static double discriminatorFirst(int n, int hr) {
            return conv(n, 3, 64, 3, hr, hr);
        }

        /**
         * The generator's forward and backward; the D update: forward on real and detached fake, each backward
         * without an input gradient; the G update through D: forward, and backward with the input gradient only,
         * as {@link TrainingSteps} does it (PyTorch's yardstick also computes D's weight gradients there and
         * throws them away: one more D forward's worth, 28 GFLOP at batch 16, that this count leaves out).
         */
        static double srganStepWithoutVgg(int n, int hr) {
            double fd = discriminatorForward(n, hr);
            return srresnetStep(n, hr / 4) + 2 * fd + 2 * (2 * fd - discriminatorFirst(n, hr)) + 2 * fd;
        }
    }

    /** n, c, h, w, out, kernel, stride, pad: SRResNet's and the discriminator's convolutions at batch 16. */
    private static final int[][] CONVS = {
            {16, 64, 24, 24, 64, 3, 1, 1},   // SRResNet body
            {16, 3, 24, 24, 64, 9, 1, 4},    // head
            {16, 64, 24, 24, 256, 3, 1, 1},  // first upsampling conv
            {16, 64, 48, 48, 256, 3, 1, 1},  // second upsampling conv
            {16, 64, 96, 96, 3, 9, 1, 4},    // tail
            {16, 64, 96, 96, 64, 3, 2, 1},   // discriminator stride 2
            {16, 128, 48, 48, 128, 3, 2, 1},
            {16, 256, 24, 24, 256, 3, 2, 1},
    };

    private static void kernels(Backend backend, String tag, int reps, double peak) {
        Rng rng = new Rng(1);
        for (int[] c : CONVS) {
            ConvGeometry geo = new ConvGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[5], c[6], c[7]);
            try (Storage x = random(backend, rng, geo.inputSize());
                 Storage w = random(backend, rng, geo.weightSize());
                 Storage b = random(backend, rng, geo.outChannels());
                 Storage y = backend.allocate(geo.outputSize());
                 Storage gx = backend.allocate(geo.inputSize());
                 Storage gw = backend.allocate(geo.weightSize())) {
                String shape = String.format(Locale.ROOT, "x%dx%dx%dx%d w%dx%dx%dx%d s%d", c[0], c[1], c[2], c[3],
                        c[4], c[1], c[5], c[5], c[6]);
                double gflop = geo.forwardFlops() / 1e9;
                kernel(tag, "conv2d_fwd " + shape, gflop, peak, time(backend, 3, reps, () -> backend.conv2d(geo, x, w, b, y)));
                kernel(tag, "conv2d_bwd_data " + shape, gflop, peak,
                        time(backend, 3, reps, () -> backend.conv2dBackwardData(geo, w, y, gx)));
                kernel(tag, "conv2d_bwd_weight " + shape, gflop, peak,
                        time(backend, 3, reps, () -> backend.conv2dBackwardWeight(geo, x, y, gw)));
            }
        }
        // The discriminator's first dense layer: [16, 18432] x [1024, 18432]^T.
        int m = 16, n = 1024, k = 18432;
        try (Storage a = random(backend, rng, (long) m * k); Storage bm = random(backend, rng, (long) n * k);
             Storage cm = backend.allocate((long) m * n)) {
            kernel(tag, "gemm_linear 16x18432x1024", 2.0 * m * n * k / 1e9, peak,
                    time(backend, 3, reps, () -> backend.gemm(false, true, m, n, k, 1, a, bm, 0, cm)));
        }
    }

    private static void kernel(String tag, String label, double gflop, double peak, Stats st) {
        double rate = gflop / (st.medianMs() / 1e3);
        System.out.printf(Locale.ROOT, "%s kernel %s: median %.3f ms best %.3f ms %.0f GFLOP/s%s%n", tag, label,
                st.medianMs(), st.bestMs(), rate, peak > 0 ? String.format(Locale.ROOT, " (%.0f%% of peak)", 100 * rate / peak) : "");
    }

    private static Storage random(Backend backend, Rng rng, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return backend.upload(v);
    }
}
