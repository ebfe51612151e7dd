package srgan.engine.backend.cpu;

import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

/**
 * A host {@code float[]} owned by one {@link CpuBackend}. Closing drops the array rather than only setting a
 * flag, so a closed storage that something still references holds no memory; the null array is the closed
 * flag.
 */
final class CpuStorage implements Storage {
    private final CpuBackend owner;
    private final int size;
    // Volatile so a close() on one thread is seen by the next primitive started on another.
    private volatile float[] data;

    CpuStorage(CpuBackend owner, float[] data) {
        this.owner = owner;
        this.size = data.length;
        this.data = data;
        owner.liveFloats.add(size);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Backend backend() {
        return owner;
    }

    CpuBackend owner() {
        return owner;
    }

    @Override
    public boolean isClosed() {
        return data == null;
    }

    @Override
    public synchronized void close() {
        if (data != null) owner.liveFloats.add(-size);
        data = null;
    }

    /** The live array; an {@link IllegalStateException} once closed. */
    float[] data() {
        float[] d = data;
        if (d == null) throw new IllegalStateException("cpu storage of " + size + " elements used after close()");
        return d;
    }

    @Override
    public String toString() {
        return "CpuStorage[" + size + (isClosed() ? ", closed]" : "]");
    }
}
