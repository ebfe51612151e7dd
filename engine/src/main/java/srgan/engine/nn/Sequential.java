package srgan.engine.nn;

import srgan.engine.GradMode;
import srgan.engine.Scope;
import srgan.engine.Tensor;

import java.util.List;

/**
 * Children applied in order, as {@code torch.nn.Sequential}; they are named "0", "1", ... so their state reads
 * {@code 0.weight}, {@code 1.running_mean}. Intermediate outputs belong to the caller's scope, like any op
 * result: run {@link #forward} inside a {@link srgan.engine.Scope}.
 */
public final class Sequential extends Module {
    private int size;

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends {@code module} under the next index and returns this, for chaining. */
    public Sequential add(Module module) {
        registerModule(Integer.toString(size), module);
        size++;
        return this;
    }

    /** The child at {@code index}. */
    public Module get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " in a Sequential of " + size);
        }
        return namedChildren().get(Integer.toString(index));
    }

    public int size() {
        return size;
    }

    /**
     * Applies every child in order; the identity when empty (the input itself is returned).
     *
     * <p>Without a graph being recorded ({@link GradMode#noGrad()}, i.e. inference), each child runs in a scope of
     * its own that keeps only its output, and each intermediate output is closed once the next child has
     * consumed it: memory then holds a few activations instead of every temporary of the whole network until
     * the caller's scope closes (a 23-block RRDB generator needs gigabytes otherwise). With a graph, the
     * intermediates are the backward pass's saved state and stay with the caller's scope, except that one
     * neither its maker's nor its taker's backward reads (a convolution's output that a pixel shuffle took) has
     * its data freed as soon as the taker has run ({@link Tensor#discardData()}); and a batch norm followed by a
     * PReLU or leaky ReLU runs as one op ({@link BatchNorm2d#forwardThen}).
     */
    @Override
    public Tensor forward(Tensor x) {
        Tensor out = x;
        if (GradMode.isEnabled()) {
            List<Module> children = List.copyOf(namedChildren().values());
            Module previous = null;
            for (int i = 0; i < children.size(); i++) {
                Module m = children.get(i);
                Tensor in = out;
                if (m instanceof BatchNorm2d norm && i + 1 < children.size() && BatchNorm2d.fuses(children.get(i + 1))) {
                    // Batch norm and its activation as one op where the backend fuses them.
                    out = norm.forwardThen(children.get(++i), in);
                } else {
                    out = m.forward(in);
                }
                if (previous != null && in != out && !previous.backwardReadsOutput() && !m.backwardReadsInput()) {
                    in.discardData();
                }
                previous = children.get(i);
            }
            return out;
        }
        for (Module m : namedChildren().values()) {
            Tensor in = out;
            try (Scope step = Scope.open()) {
                out = step.keep(m.forward(in));
            }
            // Views share storage by reference count, so closing the input never frees an output's data.
            if (in != x && in != out) Scope.release(in).close();
        }
        return out;
    }

    /** The first child's; false when empty (the identity reads nothing). */
    @Override
    public boolean backwardReadsInput() {
        return size > 0 && get(0).backwardReadsInput();
    }

    /** The last child's; false when empty. */
    @Override
    public boolean backwardReadsOutput() {
        return size > 0 && get(size - 1).backwardReadsOutput();
    }
}
