package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;

/** Argument checks shared by the ops; every message names the op and the shapes involved. */
final class Checks {
    private Checks() {
    }

    static Backend sameBackend(String op, Tensor... tensors) {
        Backend b = null;
        for (Tensor t : tensors) {
            if (t == null) continue;
            if (b == null) b = t.backend();
            else if (t.backend() != b) {
                throw new IllegalArgumentException(op + ": tensors on different backends (" + b.name() + ", "
                        + t.backend().name() + ")");
            }
        }
        return b;
    }

    static void rank(String op, String what, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + what + " must be " + rank + "-d, got shape "
                    + Shapes.str(t.shape()));
        }
    }

    static void sameShape(String op, Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(a.shape()) + " and "
                    + Shapes.str(b.shape()) + " differ");
        }
    }

    static void require(boolean condition, String op, String message) {
        if (!condition) throw new IllegalArgumentException(op + ": " + message);
    }
}
