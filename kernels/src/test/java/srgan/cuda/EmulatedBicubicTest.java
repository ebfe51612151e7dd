package srgan.cuda;

import org.junit.jupiter.api.Test;
import srgan.engine.resample.BicubicTable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bicubic kernels on the CPU emulation of CUDA (src/test/emu), launched exactly as {@link CudaBicubic} queues
 * them (grids, table uploads, scratch, arguments checked against the PTX signatures), held to
 * {@link BicubicReference}: Bicubic.java's bits, and the independent MATLAB oracle. CudaBicubicTest checks the
 * same on a GPU. Needs g++ (C++20); skipped without it. CPU only.
 */
class EmulatedBicubicTest {

    /**
     * Records what {@link CudaBicubic} asks of the device as run_launches.cpp reads it. One multiprocessor, so
     * that the grids are capped (32 blocks) and the kernels' grid-stride loops take more than one turn.
     */
    static final class Recorder extends Emulator.Recorder {
        final List<DeviceStorage> scratches = new ArrayList<>();
        int uploads;

        Recorder() {
            super("bicubic", 1);
        }

        @Override
        public DeviceStorage scratch(long floats) {
            DeviceStorage s = buffer(floats);
            scratches.add(s);
            return s;
        }

        /** As the device holds them: little-endian, so each word's low half first. */
        @Override
        public void uploadLongs(long[] host, DeviceStorage dst) {
            uploads++;
            int[] words = new int[2 * host.length];
            for (int i = 0; i < host.length; i++) {
                words[2 * i] = (int) host[i];
                words[2 * i + 1] = (int) (host[i] >>> 32);
            }
            write(dst, words);
        }
    }

    @Test
    void bicubicKernelsMatchBicubicJavaAndTheMatlabOracle() throws Exception {
        assumeTrue(Emulator.gppOnPath(), "g++ is not on PATH");
        Recorder rec = new Recorder();
        List<float[]> inputs = new ArrayList<>();
        Map<Long, Integer> caseOfOutput = new HashMap<>(), caseOfTemporary = new HashMap<>();
        try (CudaBicubic bicubic = new CudaBicubic(rec)) {
            for (int c = 0; c < BicubicReference.CASES.size(); c++) {
                BicubicReference.Case k = BicubicReference.CASES.get(c);
                float[] x = k.input(11 + c);
                inputs.add(x);
                DeviceStorage xs = rec.buffer(x.length);
                int[] bits = new int[x.length];
                for (int i = 0; i < x.length; i++) bits[i] = Float.floatToRawIntBits(x[i]);
                rec.write(xs, bits);
                // The output starts as NaN (run_launches.cpp), so a value the kernel does not write shows.
                DeviceStorage ys = rec.buffer((long) k.n() * k.c() * k.oh() * k.ow());
                bicubic.resize(xs, k.n(), k.c(), BicubicTable.matlab(k.h(), k.scale()),
                        BicubicTable.matlab(k.w(), k.scale()), ys, k.output());
                rec.dump(ys);
                caseOfOutput.put(rec.ids.get(ys), c);
                // The pass along H leaves a double temporary, the last scratch taken; its bits are Bicubic.java's
                // too. (The final floats alone would hide a different summation order in double.)
                DeviceStorage tmp = rec.scratches.get(rec.scratches.size() - 1);
                assertEquals(2L * k.n() * k.c() * k.oh() * k.w(), tmp.size(), k.name() + ": the temporary's size");
                rec.dump(tmp);
                caseOfTemporary.put(rec.ids.get(tmp), c);
            }
        }

        Emulator.LaunchesRun run = Emulator.runLaunches("srgan-emu-bicubic", rec.text);
        List<String> problems = new ArrayList<>(run.failures());
        for (Emulator.Dump dump : run.dumps()) {
            long id = dump.id();
            int[] words = dump.words();
            if (caseOfOutput.containsKey(id)) {
                int c = caseOfOutput.get(id);
                float[] got = new float[words.length];
                for (int i = 0; i < got.length; i++) got[i] = Float.intBitsToFloat(words[i]);
                problems.addAll(BicubicReference.check(BicubicReference.CASES.get(c), inputs.get(c), got));
            } else {
                int c = caseOfTemporary.get(id);
                BicubicReference.Case k = BicubicReference.CASES.get(c);
                double[] want = BicubicReference.cpuRows(inputs.get(c), k);
                int off = 0;
                for (int i = 0; i < want.length; i++) {
                    long got = words[2 * i] & 0xFFFFFFFFL | (long) words[2 * i + 1] << 32; // little-endian
                    if (got != Double.doubleToRawLongBits(want[i]) && off++ == 0) {
                        problems.add(k.name() + ": the temporary [" + i + "] is " + Double.longBitsToDouble(got)
                                + ", Bicubic.java's pass along H gives " + want[i]);
                    }
                }
                if (off > 0) problems.add(k.name() + ": " + off + " of the temporary's doubles differ");
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(2 * BicubicReference.CASES.size(), run.dumps().size(), run.summary());
        run.deleteDir(); // kept when the test fails, for a look at the launches
    }
}
