package srgan.engine;

import java.util.Arrays;

/** Shape arithmetic shared by the ops: element counts, broadcasting, and messages that show the shapes. */
public final class Shapes {
    private Shapes() {
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
        }
        return n;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** The NumPy broadcast of two shapes, or an IllegalArgumentException naming both. */
    public static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = dimFromRight(a, rank - 1 - i);
            int db = dimFromRight(b, rank - 1 - i);
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + str(a) + " and " + str(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Pads {@code shape} with leading ones to {@code rank}. */
    public static int[] padLeft(int[] shape, int rank) {
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        System.arraycopy(shape, 0, out, rank - shape.length, shape.length);
        return out;
    }

    private static int dimFromRight(int[] shape, int fromRight) {
        int i = shape.length - 1 - fromRight;
        return i >= 0 ? shape[i] : 1;
    }

    static void requireRank(String op, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + " expects a " + rank + "-d tensor, got shape " + str(t.shape()));
        }
    }
}
