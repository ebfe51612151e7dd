package srgan.engine;

import java.util.List;

/**
 * One recorded op in the autograd graph: its inputs, the closure that computes their gradients, and the
 * buffers saved for it (released after the backward pass has used them, or when the op's output is closed).
 */
public final class GradNode {

    /** Computes the inputs' gradients from the output's. */
    @FunctionalInterface
    public interface Backward {
        /**
         * Accumulates ({@code +=}) into {@code gradInputs[i]}, which is null for an input that needs no
         * gradient. Several entries may be the same tensor when an op uses one input twice.
         */
        void apply(Tensor gradOutput, Tensor[] gradInputs);
    }

    private final String name;
    private final List<Tensor> inputs;
    private final Backward backward;
    private final AutoCloseable[] saved;
    private boolean released;

    GradNode(String name, List<Tensor> inputs, Backward backward, AutoCloseable[] saved) {
        this.name = name;
        // An absent optional input (a convolution without bias) stays a null entry.
        this.inputs = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(inputs));
        this.backward = backward;
        this.saved = saved;
    }

    public String name() {
        return name;
    }

    List<Tensor> inputs() {
        return inputs;
    }

    boolean isReleased() {
        return released;
    }

    void run(Tensor gradOutput, Tensor[] gradInputs) {
        if (released) {
            throw new IllegalStateException("backward through " + name + " a second time: its saved buffers were "
                    + "freed by the first backward (build the graph again with a new forward pass)");
        }
        backward.apply(gradOutput, gradInputs);
    }

    /** Frees the saved buffers; the node can no longer run. */
    void release() {
        if (released) return;
        released = true;
        for (AutoCloseable c : saved) closeQuietly(c);
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException("failed to free a saved buffer", e);
        }
    }
}
