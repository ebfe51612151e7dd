package srgan.engine.backend.cpu;

import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

/**
 * A host {@code float[]} owned by one {@link CpuBackend}. Closing drops the array rather than only setting a
 * flag, so a closed storage that something still references holds no memory; the null array is the closed
 * flag. A closed storage's array goes back to its backend's {@link ArrayPool}.
 *
 * <p>A storage made from a pooled array starts out <em>pending zero</em>: its contents are garbage that stands
 * for zeros. The backend clears the flag either by zero-filling before the first read or accumulation, or
 * without any work when a primitive overwrites every element, which is what forward outputs get; so most
 * allocations cost no memory traffic at all.
 */
final class CpuStorage implements Storage {
    private final CpuBackend owner;
    private final int size;
    // Volatile so a close() on one thread is seen by the next primitive started on another.
    private volatile float[] data;
    /** The contents stand for zeros that have not been written yet. Read and written on the caller's thread. */
    private boolean pendingZero;

    CpuStorage(CpuBackend owner, float[] data) {
        this(owner, data, false);
    }

    CpuStorage(CpuBackend owner, float[] data, boolean pendingZero) {
        this.owner = owner;
        this.size = data.length;
        this.data = data;
        this.pendingZero = pendingZero;
        owner.countLive(size);
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
        float[] d = data;
        if (d == null) return;
        owner.countLive(-size);
        data = null;
        owner.recycle(d);
    }

    /** The live array; an {@link IllegalStateException} once closed. Its contents may still be pending zero. */
    float[] data() {
        float[] d = data;
        if (d == null) throw new IllegalStateException("cpu storage of " + size + " elements used after close()");
        return d;
    }

    boolean pendingZero() {
        return pendingZero;
    }

    /** Marks the contents as real: after a zero fill, or because a primitive is about to overwrite them all. */
    void clearPendingZero() {
        pendingZero = false;
    }

    @Override
    public String toString() {
        return "CpuStorage[" + size + (isClosed() ? ", closed]" : "]");
    }
}
