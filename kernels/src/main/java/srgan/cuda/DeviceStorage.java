package srgan.cuda;

import jcuda.driver.CUdeviceptr;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * A float32 buffer in device memory, handed out by {@link DeviceAllocator}. {@link #close()} gives the block
 * back to the allocator's cache (work already queued on the stream that uses it still runs first, since the
 * next user queues behind it on the same stream). The garbage collector never frees device memory: a storage
 * that becomes unreachable without being closed is only reported as a leak.
 */
public final class DeviceStorage implements Storage {

    private final Backend backend;
    private final DeviceAllocator allocator;
    private final CUdeviceptr pointer;
    private final long size;
    private final long blockBytes;
    private final LeakState state;
    private final Cleaner.Cleanable cleanable;

    DeviceStorage(Backend backend, DeviceAllocator allocator, CUdeviceptr pointer, long size, long blockBytes,
                  Cleaner cleaner, LongConsumer onLeak) {
        this.backend = backend;
        this.allocator = allocator;
        this.pointer = pointer;
        this.size = size;
        this.blockBytes = blockBytes;
        this.state = new LeakState(size, onLeak);
        this.cleanable = cleaner == null ? null : cleaner.register(this, state);
    }

    /** The device address of element 0. */
    public CUdeviceptr pointer() {
        if (state.closed) throw new IllegalStateException("device storage of " + size + " floats used after close()");
        return pointer;
    }

    /** The device address of element {@code offset}. */
    public CUdeviceptr pointer(long offset) {
        return pointer().withByteOffset(offset * Float.BYTES);
    }

    @Override
    public long size() {
        return size;
    }

    /** Bytes of the cached block behind this storage (its size class), at least {@code 4 * size()}. */
    long blockBytes() {
        return blockBytes;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public boolean isClosed() {
        return state.closed;
    }

    @Override
    public void close() {
        synchronized (state) {
            if (state.closed) return;
            state.closed = true;
        }
        if (cleanable != null) cleanable.clean(); // deregisters; the action sees closed and reports nothing
        if (allocator != null) allocator.release(pointer, blockBytes);
    }

    @Override
    public String toString() {
        return "DeviceStorage[" + size + " floats" + (state.closed ? ", closed]" : "]");
    }

    /** What the cleaner may see: never the storage itself, or it would never become unreachable. */
    private static final class LeakState implements Runnable {
        final long size;
        final LongConsumer onLeak;
        volatile boolean closed;

        LeakState(long size, LongConsumer onLeak) {
            this.size = size;
            this.onLeak = onLeak;
        }

        @Override
        public void run() {
            if (!closed && onLeak != null) onLeak.accept(size);
        }
    }
}
