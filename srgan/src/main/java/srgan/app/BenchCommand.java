package srgan.app;

import srgan.engine.GradMode;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Losses;
import srgan.engine.optim.Adam;
import srgan.model.Discriminator;
import srgan.model.SrResNet;
import srgan.model.Vgg19Features;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * End-to-end timings on one backend, printed in the same form as ../shared/bench/torch_srgan_gpu.py so the two
 * can be read side by side:
 * <ul>
 *   <li>{@code srresnet_mse_step}: SRResNet forward + MSE + backward + Adam, batch 16, LR 24 -> HR 96;</li>
 *   <li>{@code srgan_vgg54_step}: one D update (real + detached fake, BCE) and one G update (VGG54 content loss
 *       with the 1/12.75 feature scaling + 1e-3 adversarial BCE), as the yardstick;</li>
 *   <li>{@code infer_128_to_512}: SRResNet in eval mode, no grad, one 128x128 image;</li>
 *   <li>{@code kernels}: conv2d forward / backward-data / backward-weight on SRResNet's and the
 *       discriminator's shapes, and the discriminator's GEMM, in GFLOP/s.</li>
 * </ul>
 * Random weights: timing only.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the SRResNet training step, the SRGAN step with VGG54, inference 128->512 and the "
                + "convolution kernels on one device (random weights).")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    DeviceOption device;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--hr", defaultValue = "96", description = "HR crop size. Default: ${DEFAULT-VALUE}.")
    int hr;

    @Option(names = "--reps", defaultValue = "10", description = "Timed repetitions after 3 warm-ups. Default: ${DEFAULT-VALUE}.")
    int reps;

    @Option(names = "--what", defaultValue = "mse,gan,infer,kernels", split = ",",
            description = "Which measurements: mse, gan, infer, kernels. Default: ${DEFAULT-VALUE}.")
    List<String> what;

    @Override
    public Integer call() {
        try (Backend backend = device.open()) {
            String tag = "ours-" + backend.name();
            Rng rng = new Rng(0);
            SrResNet g = new SrResNet(backend, rng);
            Tensor lr = Init.uniform(backend, rng, 0, 1, batch, 3, hr / 4, hr / 4);
            Tensor target = Init.uniform(backend, rng, -1, 1, batch, 3, hr, hr);
            if (what.contains("mse")) {
                try (Adam opt = new Adam(g, 1e-4, 0.9, 0.999)) {
                    report(tag, "srresnet_mse_step", batch, hr, time(backend, reps, () -> {
                        try (Scope s = Scope.open()) {
                            opt.zeroGrad();
                            Losses.mse(g.forward(lr), target).backward();
                            opt.step();
                        }
                    }));
                }
            }
            if (what.contains("gan")) {
                try (Discriminator d = new Discriminator(backend, rng, hr);
                     Vgg19Features vgg = new Vgg19Features(backend, rng, Vgg19Features.VGG54);
                     Adam optG = new Adam(g, 1e-4, 0.9, 0.999);
                     Adam optD = new Adam(d, 1e-4, 0.9, 0.999);
                     Tensor ones = Tensor.full(backend, 1, batch, 1);
                     Tensor zeros = Tensor.zeros(backend, batch, 1)) {
                    report(tag, "srgan_vgg54_step", batch, hr, time(backend, reps, () -> {
                        try (Scope s = Scope.open()) {
                            Tensor fake = g.forward(lr);
                            optD.zeroGrad();
                            Tensor lossD = Arithmetic.add(Losses.bceWithLogits(d.forward(target), ones),
                                    Losses.bceWithLogits(d.forward(fake.detach()), zeros));
                            lossD.backward();
                            optD.step();
                            optG.zeroGrad();
                            Tensor realFeatures;
                            try (GradMode off = GradMode.noGrad()) {
                                realFeatures = vgg.forward(target);
                            }
                            // VGG54 features scaled by 1/12.75, so the MSE is scaled by 1/12.75^2.
                            Tensor content = Arithmetic.scale(Losses.mse(vgg.forward(fake), realFeatures),
                                    1 / (12.75 * 12.75));
                            Tensor adversarial = Losses.bceWithLogits(d.forward(fake), ones);
                            Arithmetic.add(content, Arithmetic.scale(adversarial, 1e-3)).backward();
                            optG.step();
                        }
                    }));
                }
            }
            if (what.contains("infer")) {
                g.eval();
                Tensor image = Init.uniform(backend, rng, 0, 1, 1, 3, 128, 128);
                report(tag, "infer_128_to_512", 1, 512, time(backend, reps, () -> {
                    try (Scope s = Scope.open(); GradMode off = GradMode.noGrad()) {
                        g.forward(image);
                    }
                }));
                g.train();
                image.close();
            }
            if (what.contains("kernels")) kernels(backend, tag, reps);
            lr.close();
            target.close();
            g.close();
        }
        return 0;
    }

    /** Median and best of {@code reps} timed runs after 3 warm-ups, in ms, synchronised with the device. */
    static double[] time(Backend backend, int reps, Runnable step) {
        for (int i = 0; i < 3; i++) step.run();
        backend.synchronize();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            step.run();
            backend.synchronize();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return new double[]{ms[reps / 2], ms[0]};
    }

    private static void report(String tag, String label, int batch, int hr, double[] ms) {
        System.out.printf(Locale.ROOT, "%s %s bs%d hr%d: median %.2f ms best %.2f ms%n", tag, label, batch, hr,
                ms[0], ms[1]);
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

    private static void kernels(Backend backend, String tag, int reps) {
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
                kernel(tag, "conv2d_fwd " + shape, gflop, time(backend, reps, () -> backend.conv2d(geo, x, w, b, y)));
                kernel(tag, "conv2d_bwd_data " + shape, gflop,
                        time(backend, reps, () -> backend.conv2dBackwardData(geo, w, y, gx)));
                kernel(tag, "conv2d_bwd_weight " + shape, gflop,
                        time(backend, reps, () -> backend.conv2dBackwardWeight(geo, x, y, gw)));
            }
        }
        // The discriminator's first dense layer: [16, 18432] x [1024, 18432]^T.
        int m = 16, n = 1024, k = 18432;
        try (Storage a = random(backend, rng, (long) m * k); Storage bm = random(backend, rng, (long) n * k);
             Storage cm = backend.allocate((long) m * n)) {
            kernel(tag, "gemm_linear 16x18432x1024", 2.0 * m * n * k / 1e9,
                    time(backend, reps, () -> backend.gemm(false, true, m, n, k, 1, a, bm, 0, cm)));
        }
    }

    private static void kernel(String tag, String label, double gflop, double[] ms) {
        System.out.printf(Locale.ROOT, "%s kernel %s: median %.3f ms best %.3f ms %.0f GFLOP/s%n", tag, label, ms[0],
                ms[1], gflop / (ms[0] / 1e3));
    }

    private static Storage random(Backend backend, Rng rng, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return backend.upload(v);
    }
}
