package srgan.engine;

import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

import java.util.Arrays;
import java.util.List;

/**
 * A contiguous float32 (float64 on the reference backend) NCHW tensor: a shape and a storage owned by a
 * {@link Backend}. Tensors that share storage (a reshape, a detach) count references to it, and the storage
 * is released when the last of them is closed. Ownership is explicit: close a tensor, or create it inside a
 * {@link Scope}.
 *
 * <p>Autograd: a tensor made by an op while {@link GradMode} is on and some input requires a gradient
 * carries a {@link GradNode}; {@link #backward()} walks those nodes in reverse topological order.
 * Gradients of leaves ({@link #requiresGrad(boolean)} set by the user) accumulate in {@link #grad()}
 * until {@link #zeroGrad()}.
 */
public final class Tensor implements AutoCloseable {

    /** Shared, reference-counted storage. */
    private static final class Buffer {
        final Storage storage;
        int references = 1;

        Buffer(Storage storage) {
            this.storage = storage;
        }
    }

    private final Backend backend;
    private final int[] shape;
    private final long numel;
    private Buffer buffer;
    /** Set by {@link #close()}; the buffer alone cannot tell, since {@link #discardData()} also drops it. */
    private boolean closed;
    private boolean dataDiscarded;
    private boolean requiresGrad;
    private Tensor grad;
    private GradNode gradFn;

    private Tensor(Backend backend, int[] shape, Buffer buffer) {
        this.backend = backend;
        this.shape = shape.clone();
        this.numel = Shapes.numel(shape);
        if (buffer.storage.size() != numel) {
            throw new IllegalArgumentException("storage of " + buffer.storage.size() + " elements for shape "
                    + Shapes.str(shape));
        }
        this.buffer = buffer;
        Scope.register(this);
    }

    // ---- factories ----

    /** Wraps {@code storage}, which the new tensor then owns. */
    public static Tensor wrap(Backend backend, Storage storage, int... shape) {
        if (storage.backend() != backend) {
            throw new IllegalArgumentException("storage belongs to backend " + storage.backend().name()
                    + ", not " + backend.name());
        }
        return new Tensor(backend, shape, new Buffer(storage));
    }

    public static Tensor zeros(Backend backend, int... shape) {
        return wrap(backend, backend.allocate(Shapes.numel(shape)), shape);
    }

    public static Tensor full(Backend backend, double value, int... shape) {
        Tensor t = zeros(backend, shape);
        backend.fill(t.storage(), value);
        return t;
    }

    public static Tensor of(Backend backend, float[] data, int... shape) {
        requireLength(data.length, shape);
        return wrap(backend, backend.upload(data), shape);
    }

    public static Tensor ofDoubles(Backend backend, double[] data, int... shape) {
        requireLength(data.length, shape);
        return wrap(backend, backend.uploadDoubles(data), shape);
    }

    public static Tensor scalar(Backend backend, double value) {
        return ofDoubles(backend, new double[]{value});
    }

    private static void requireLength(int length, int[] shape) {
        if (length != Shapes.numel(shape)) {
            throw new IllegalArgumentException(length + " values do not fill shape " + Shapes.str(shape));
        }
    }

    // ---- structure ----

    public Backend backend() {
        return backend;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative counts from the end. */
    public int size(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public long numel() {
        return numel;
    }

    /** The backend buffer; for ops and backends only. */
    public Storage storage() {
        requireOpen();
        return buffer.storage;
    }

    /** Whether the data is gone: closed, or discarded by {@link #discardData()}. */
    public boolean isClosed() {
        return buffer == null;
    }

    /**
     * A tensor of another shape over the same storage (contiguous, so no copy). Not recorded by autograd:
     * for ops; users call {@code Layout.reshape}.
     */
    public Tensor view(int... newShape) {
        requireOpen();
        if (Shapes.numel(newShape) != numel) {
            throw new IllegalArgumentException("cannot view shape " + Shapes.str(shape) + " as "
                    + Shapes.str(newShape));
        }
        buffer.references++;
        return new Tensor(backend, newShape, buffer);
    }

    /** The same data, cut from the graph: no gradient flows through the result. Shares storage. */
    public Tensor detach() {
        return view(shape);
    }

    // ---- data ----

    public float[] toFloatArray() {
        return backend.download(storage());
    }

    public double[] toDoubleArray() {
        return backend.downloadDoubles(storage());
    }

    /** The value of a one-element tensor (a host round trip: call it only for what is logged). */
    public double item() {
        if (numel != 1) {
            throw new IllegalArgumentException("item() needs a one-element tensor, got shape " + Shapes.str(shape));
        }
        return backend.downloadDoubles(storage())[0];
    }

    /** Overwrites the contents from host values, in place (no autograd). */
    public void copyFrom(float[] values) {
        requireLength(values.length, shape);
        try (Storage s = backend.upload(values)) {
            backend.copy(s, 0, storage(), 0, numel);
        }
    }

    /** Overwrites the contents from host doubles, in place (no autograd); exact on the reference backend. */
    public void copyFromDoubles(double[] values) {
        requireLength(values.length, shape);
        try (Storage s = backend.uploadDoubles(values)) {
            backend.copy(s, 0, storage(), 0, numel);
        }
    }

    /** Overwrites the contents from a tensor of the same shape and backend, in place (no autograd). */
    public void copyFrom(Tensor source) {
        if (!Arrays.equals(shape, source.shape) || source.backend != backend) {
            throw new IllegalArgumentException("copyFrom: shape " + Shapes.str(source.shape) + " on "
                    + source.backend.name() + " into " + Shapes.str(shape) + " on " + backend.name());
        }
        backend.copy(source.storage(), 0, storage(), 0, numel);
    }

    // ---- autograd ----

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as wanting its gradient. Only leaves (tensors no op made) may be changed. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad can only be set on a leaf; this tensor was made by "
                    + gradFn.name());
        }
        requiresGrad = value;
        return this;
    }

    /** The accumulated gradient of a leaf, or null before the first backward. */
    public Tensor grad() {
        return grad;
    }

    /** The node that made this tensor, or null for a leaf. */
    public GradNode gradFn() {
        return gradFn;
    }

    /** Zeroes the accumulated gradient in place (keeps its buffer, so no allocation per step). */
    public void zeroGrad() {
        if (grad != null) backend.fill(grad.storage(), 0);
    }

    /** Frees the gradient buffer. */
    public void clearGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    /** The leaf gradient buffer, created zero-filled on first use; owned by this tensor, never by a scope. */
    Tensor gradBuffer() {
        if (grad == null) grad = unscopedZeros(backend, shape);
        return grad;
    }

    /** A zero tensor that no scope owns: its creator frees it. */
    static Tensor unscopedZeros(Backend backend, int[] shape) {
        return new Tensor(backend, shape, new Buffer(backend.allocate(Shapes.numel(shape))), true);
    }

    /** Constructor for tensors that no scope may own (leaf gradients). */
    private Tensor(Backend backend, int[] shape, Buffer buffer, boolean unscoped) {
        this.backend = backend;
        this.shape = shape.clone();
        this.numel = Shapes.numel(shape);
        this.buffer = buffer;
    }

    /** Back-propagates from this one-element tensor, seeded with 1. */
    public void backward() {
        if (numel != 1) {
            throw new IllegalStateException("backward() without a seed gradient needs a one-element tensor; "
                    + "this one has shape " + Shapes.str(shape) + " (pass a seed of the same shape)");
        }
        try (Tensor seed = Tensor.full(backend, 1.0, shape)) {
            backward(seed);
        }
    }

    /** Back-propagates from this tensor with the given seed gradient (same shape). */
    public void backward(Tensor seed) {
        if (!Arrays.equals(seed.shape, shape)) {
            throw new IllegalArgumentException("seed gradient shape " + Shapes.str(seed.shape)
                    + " does not match tensor shape " + Shapes.str(shape));
        }
        Autograd.backward(this, seed);
    }

    /** Attaches the node that made this tensor; for ops only. */
    void setGradFn(GradNode node) {
        this.gradFn = node;
        this.requiresGrad = true;
    }

    /**
     * Makes the output of an op: wraps {@code storage} and, when grad mode is on and an input requires a
     * gradient, records {@code backward} in the graph.
     */
    public static Tensor result(String opName, Storage storage, int[] shape, List<Tensor> inputs,
                                GradNode.Backward backward, AutoCloseable... saved) {
        Backend backend = storage.backend();
        Tensor out = wrap(backend, storage, shape);
        boolean needs = false;
        if (GradMode.isEnabled()) {
            for (Tensor t : inputs) needs |= t != null && t.requiresGrad;
        }
        if (needs) {
            out.setGradFn(new GradNode(opName, inputs, backward, saved));
        } else {
            for (AutoCloseable c : saved) GradNode.closeQuietly(c);
        }
        return out;
    }

    // ---- lifetime ----

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        dropBuffer();
        if (gradFn != null) gradFn.release();
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    /**
     * Frees this tensor's data now but keeps its place in the recorded graph: the backward pass still routes
     * gradients through it and runs the op that made it; only reading its values fails. For a module that knows
     * no backward will read an intermediate (the sum of a residual block: neither the sum's backward nor batch
     * norm's reads batch norm's output), so that it is not held until the step's scope closes, as PyTorch frees a
     * tensor no saved state refers to. Closing it later, as its scope does, is still needed and still frees its
     * op's saved state.
     */
    public void discardData() {
        dropBuffer();
        dataDiscarded = true;
    }

    private void dropBuffer() {
        if (buffer == null) return;
        if (--buffer.references == 0) buffer.storage.close();
        buffer = null;
    }

    private void requireOpen() {
        if (buffer == null) {
            throw new IllegalStateException("tensor " + Shapes.str(shape) + (dataDiscarded && !closed
                    ? " had its data discarded by the module that made it (see discardData)" : " was closed"));
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape) + (gradFn != null ? " <" + gradFn.name() + ">" : "")
                + (requiresGrad && gradFn == null ? " requiresGrad" : "") + " on " + backend.name();
    }
}
