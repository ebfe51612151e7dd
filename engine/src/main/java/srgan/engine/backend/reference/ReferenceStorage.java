package srgan.engine.backend.reference;

import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

/** A {@code double[]} owned by one {@link ReferenceBackend}. */
public final class ReferenceStorage implements Storage {
    private final ReferenceBackend backend;
    private final long size;
    private double[] data;

    ReferenceStorage(ReferenceBackend backend, double[] data) {
        this.backend = backend;
        this.size = data.length;
        this.data = data;
    }

    /** The live array, not a copy; only the owning backend writes it. */
    double[] data() {
        if (data == null) throw new IllegalStateException("reference backend: storage used after close()");
        return data;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public boolean isClosed() {
        return data == null;
    }

    /** Drops the array so the garbage collector can take it; a second call does nothing. */
    @Override
    public void close() {
        data = null;
    }

    @Override
    public String toString() {
        return "ReferenceStorage[" + size + (isClosed() ? ", closed]" : "]");
    }
}
