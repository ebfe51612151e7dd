package srgan.cuda;

import org.junit.jupiter.api.Test;
import srgan.engine.backend.BinaryOp;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The host half of broadcasting and sumTo: the collapsed sizes and strides OwnKernels passes must address the
 * right elements. The launches are captured and their index arithmetic (the kernels' offset6) is replayed here
 * in Java against plain nested-loop broadcasting. CPU only.
 */
class BroadcastPlanTest {

    /** Captures the launches' arguments (the last one's in {@code args}). */
    static final class Capture extends KernelLaunchArgumentsTest.Recorder {
        final java.util.List<Object[]> all = new java.util.ArrayList<>();
        Object[] args;
        String kernel;

        @Override
        public void launch(String module, String kernel, int gx, int gy, int gz, int bx, int by, int bz,
                           int sharedBytes, Object... args) {
            super.launch(module, kernel, gx, gy, gz, bx, by, bz, sharedBytes, args);
            if (!kernel.startsWith("finish")) {
                this.kernel = kernel;
                this.args = args;
                all.add(args);
            }
        }
    }

    /** Element offset of a pointer argument: 0 for a whole storage, else its byte offset / 4. */
    private static long elementOffset(Object arg) {
        if (arg instanceof DeviceStorage) return 0;
        return new Offset((jcuda.driver.CUdeviceptr) arg).bytes() / Float.BYTES;
    }

    private static final class Offset extends jcuda.driver.CUdeviceptr {
        Offset(jcuda.driver.CUdeviceptr p) {
            super(p);
        }

        long bytes() {
            return getByteOffset();
        }
    }

    private static DeviceStorage fake(long n) {
        return new DeviceStorage(null, null, new jcuda.driver.CUdeviceptr(), n, n * 4, null, null);
    }

    /** offset6 of the kernels: sizes at args[at..at+6), strides at args[at+6..at+12). */
    private static long offset(long idx, Object[] args, int at) {
        long off = 0;
        for (int d = 5; d >= 0; d--) {
            int s = (Integer) args[at + d];
            off += (idx % s) * (Long) args[at + 6 + d];
            idx /= s;
        }
        return off;
    }

    private static long flat(int[] shape, int[] index) {
        long f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + (shape[d] == 1 ? 0 : index[d]);
        return f;
    }

    private static boolean next(int[] index, int[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) return true;
            index[d] = 0;
        }
        return false;
    }

    private static final int[][][] CASES = {
            {{2, 3, 4, 5}, {1, 3, 1, 1}, {2, 3, 4, 5}},
            {{2, 1, 4, 1}, {1, 3, 1, 5}, {2, 3, 4, 5}},
            {{1, 1, 1, 1}, {2, 3, 4, 5}, {2, 3, 4, 5}},
            {{3, 1, 2, 1, 2, 1, 2}, {1, 2, 1, 2, 1, 2, 1}, {3, 2, 2, 2, 2, 2, 2}},
            {{7, 1}, {1, 9}, {7, 9}},
            {{4, 6, 1}, {4, 6, 5}, {4, 6, 5}},
    };

    @Test
    void binaryBroadcastAddressesTheRightElements() {
        for (int[][] c : CASES) {
            Capture cap = new Capture();
            long n = OwnKernels.product(c[2]);
            new OwnKernels(cap).binary(BinaryOp.MUL, fake(OwnKernels.product(c[0])), c[0],
                    fake(OwnKernels.product(c[1])), c[1], fake(n), c[2]);
            assertEquals("binary_bcast_f32", cap.kernel);
            // Replay every launch: which output element it writes and which a and b elements it reads.
            long[] aAt = new long[(int) n], bAt = new long[(int) n];
            int[] writes = new int[(int) n];
            for (Object[] args : cap.all) {
                long count = (Long) args[4];
                Object[] a = new Object[12], b = new Object[12];
                System.arraycopy(args, 5, a, 0, 6);
                System.arraycopy(args, 11, a, 6, 6);
                System.arraycopy(args, 5, b, 0, 6);
                System.arraycopy(args, 17, b, 6, 6);
                for (long j = 0; j < count; j++) {
                    int o = (int) (elementOffset(args[3]) + j);
                    writes[o]++;
                    aAt[o] = elementOffset(args[1]) + offset(j, a, 0);
                    bAt[o] = elementOffset(args[2]) + offset(j, b, 0);
                }
            }
            int[] index = new int[c[2].length];
            int i = 0;
            do {
                assertEquals(1, writes[i], Arrays.deepToString(c) + " writes of " + i);
                assertEquals(flat(c[0], index), aAt[i], Arrays.deepToString(c) + " a at " + i);
                assertEquals(flat(c[1], index), bAt[i], Arrays.deepToString(c) + " b at " + i);
                i++;
            } while (next(index, c[2]));
            assertEquals(n, i);
        }
    }

    @Test
    void sumToAddressesTheRightElements() {
        int[][][] cases = {
                {{4, 8, 6, 6}, {1, 8, 1, 1}}, {{4, 8, 6, 6}, {1, 1, 1, 1}}, {{4, 8, 6, 6}, {4, 1, 6, 6}},
                {{4, 8, 6, 6}, {4, 8, 1, 1}}, {{4, 8, 6, 6}, {1, 8, 6, 6}}, {{4, 8, 6, 6}, {4, 8, 6, 6}},
                {{3, 5}, {1, 5}}, {{3, 5}, {3, 1}}, {{2, 3, 2, 3, 2, 3, 2}, {1, 3, 1, 3, 1, 3, 1}},
                {{1, 7, 1, 3}, {1, 7, 1, 1}},
        };
        Random r = new Random(1);
        for (int[][] c : cases) {
            int[] src = c[0], dst = c[1];
            double[] x = new double[(int) OwnKernels.product(src)];
            for (int i = 0; i < x.length; i++) x[i] = r.nextInt(100);
            double[] want = new double[(int) OwnKernels.product(dst)];
            int[] index = new int[src.length];
            int i = 0;
            do {
                want[(int) flat(dst, index)] += x[i++];
            } while (next(index, src));

            Capture cap = new Capture();
            new OwnKernels(cap).sumTo(fake(x.length), src, fake(want.length), dst, 1);
            boolean rows = cap.kernel.equals("sum_to_rows_f32");
            int dims = rows ? 6 : 7; // where the kept sizes start
            long reduce = (Long) cap.args[rows ? 3 : 4];
            double[] got = new double[want.length];
            for (int o = 0; o < want.length; o++) {
                long base = offset(o, cap.args, dims);
                for (long q = 0; q < reduce; q++) got[o] += x[(int) (base + offset(q, cap.args, dims + 12))];
            }
            assertArrayEquals(want, got, Arrays.deepToString(c) + " via " + cap.kernel);
        }
    }
}
