package srgan.cuda;

import org.junit.jupiter.api.Test;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;
import srgan.engine.backend.reference.ReferenceBackend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every {@link UnaryOp}'s forward and backward kernel on the CPU emulation of CUDA (src/test/emu/run_launches.cpp),
 * launched exactly as {@link OwnKernels} queues them, against the double-precision {@link ReferenceBackend}, with
 * CudaKernelSmokeTest's tolerances. That suite checks the same on a GPU. Needs g++ (C++20); skipped without it.
 */
class EmulatedElementwiseTest {
    /** Enough elements that the capped grid (one multiprocessor) strides over them more than once. */
    private static final int N = 20_011;

    /** Records launches as run_launches.cpp reads them. One multiprocessor, so that the grids are capped. */
    private static final class Recorder extends Emulator.Recorder {
        Recorder() {
            super("elementwise", 1);
        }

        DeviceStorage upload(float[] values) {
            DeviceStorage s = buffer(values.length);
            int[] bits = new int[values.length];
            for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
            write(s, bits);
            return s;
        }
    }

    @Test
    void everyUnaryOpForwardAndBackwardMatchesTheReference() throws Exception {
        assumeTrue(Emulator.gppOnPath(), "g++ is not on PATH");
        Recorder rec = new Recorder();
        OwnKernels kernels = new OwnKernels(rec);
        ReferenceBackend ref = new ReferenceBackend();
        SplittableRandom random = new SplittableRandom(7);
        Map<Long, String> names = new HashMap<>();
        Map<Long, double[]> wanted = new HashMap<>();
        for (UnaryOp op : UnaryOp.values()) {
            double param = op == UnaryOp.LEAKY_RELU ? 0.2 : op == UnaryOp.SCALE ? -1.7 : 0.3;
            // rsqrt is defined for x + param >= 0 only.
            float[] x = randoms(random, op == UnaryOp.RSQRT ? 0 : -4, 4);
            float[] gy = randoms(random, -1, 1);
            float[] gx = randoms(random, -1, 1);
            DeviceStorage xs = rec.upload(x);
            DeviceStorage ys = rec.upload(new float[N]);
            kernels.unary(op, param, xs, ys, N);
            rec.dump(ys);
            Storage yRef = ref.allocate(N);
            ref.unary(op, param, ref.upload(x), yRef, N);
            names.put(rec.ids.get(ys), op + " forward");
            wanted.put(rec.ids.get(ys), ref.downloadDoubles(yRef));

            // The backward reads the reference's y rounded to float, so that only the kernel's own error shows.
            float[] y = ref.download(yRef);
            DeviceStorage gxs = rec.upload(gx);
            kernels.unaryBackward(op, param, xs, rec.upload(y), rec.upload(gy), gxs, N);
            rec.dump(gxs);
            Storage gxRef = ref.upload(gx);
            ref.unaryBackward(op, param, ref.upload(x), ref.upload(y), ref.upload(gy), gxRef, N);
            names.put(rec.ids.get(gxs), op + " backward");
            wanted.put(rec.ids.get(gxs), ref.downloadDoubles(gxRef));
        }

        Emulator.LaunchesRun run = Emulator.runLaunches("srgan-emu-elementwise", rec.text);
        List<String> problems = new ArrayList<>(run.failures());
        for (Emulator.Dump dump : run.dumps()) {
            long id = dump.id();
            double[] want = wanted.get(id);
            int bad = 0;
            String first = "";
            for (int i = 0; i < want.length; i++) {
                double got = Float.intBitsToFloat(dump.words()[i]);
                if (!(Math.abs(got - want[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]))) {
                    if (bad++ == 0) first = String.format(Locale.ROOT, ", first at %d: %s, want %s", i, got, want[i]);
                }
            }
            if (bad > 0) problems.add(names.get(id) + ": " + bad + " of " + want.length + " elements off" + first);
        }
        assertEquals(List.of(), problems);
        assertEquals(2 * UnaryOp.values().length, run.dumps().size(), run.summary());
        run.deleteDir(); // kept when the test fails, for a look at the launches
    }

    private static float[] randoms(SplittableRandom random, double lo, double hi) {
        float[] f = new float[N];
        for (int i = 0; i < N; i++) f[i] = (float) (lo + (hi - lo) * random.nextDouble());
        return f;
    }
}
