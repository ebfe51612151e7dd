package srgan.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deterministic ownership of tensors, DJL-style. While a scope is open on a thread, every tensor created on
 * that thread belongs to the innermost scope; closing the scope closes them all, except those handed on with
 * {@link #keep(Tensor)}, which move to the enclosing scope (or become the caller's, at the outermost level).
 * Device memory is therefore freed at a known point, never by the garbage collector.
 *
 * <pre>
 * try (Scope step = Scope.open()) {
 *     Tensor loss = Losses.mse(generator.forward(lr), hr);
 *     loss.backward();
 *     lossValue = loss.item();
 * } // every intermediate of the step is freed here
 * </pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Map<Tensor, Boolean> owned = new IdentityHashMap<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private Scope() {
    }

    public static Scope open() {
        Scope s = new Scope();
        STACK.get().push(s);
        return s;
    }

    /** Called by every tensor constructor. */
    static void register(Tensor t) {
        Scope s = STACK.get().peek();
        if (s != null) s.owned.put(t, Boolean.TRUE);
    }

    /** Hands {@code t} to the enclosing scope (or to the caller when there is none) and returns it. */
    public Tensor keep(Tensor t) {
        if (owned.remove(t) != null) {
            Scope parent = parent();
            if (parent != null) parent.owned.put(t, Boolean.TRUE);
        }
        return t;
    }

    /**
     * Takes {@code t} out of every scope open on this thread: its owner (a module registering a parameter, an
     * optimiser) closes it from now on. Returns it.
     */
    public static Tensor release(Tensor t) {
        for (Scope s : STACK.get()) s.owned.remove(t);
        return t;
    }

    /** Number of tensors this scope will close. */
    public int size() {
        return owned.size();
    }

    private Scope parent() {
        boolean seen = false;
        for (Scope s : STACK.get()) {
            if (seen) return s;
            if (s == this) seen = true;
        }
        return null;
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("a scope must be closed on the thread that opened it");
        }
        Deque<Scope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("scopes must be closed innermost first");
        }
        stack.pop();
        closed = true;
        List<Tensor> toClose = new ArrayList<>(owned.keySet());
        owned.clear();
        for (Tensor t : toClose) t.close();
    }
}
