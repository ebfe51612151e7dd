package srgan.cuda;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import srgan.engine.backend.Backend;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

/**
 * A caching allocator for device memory. Requests are rounded up to a size class; a closed storage's block
 * goes onto that class's free list and the next request of the class reuses it, so a training step, which
 * asks for the same sizes every time, stops calling {@code cuMemAlloc} (which is slow and synchronising) after
 * the first step. Reuse needs no events because every user of a block queues on the one stream: the new
 * owner's work runs after the old owner's.
 *
 * <p>On {@code CUDA_ERROR_OUT_OF_MEMORY} the cache is freed and the allocation retried once. The garbage
 * collector never frees device memory: a storage dropped without {@code close()} is counted and reported as a
 * leak, and its block stays in use.
 */
public final class DeviceAllocator {

    private static final long SMALL = 1L << 20;
    private static final long SMALL_GRANULE = 512;
    /** How many leaks are reported line by line before only the counter grows. */
    private static final int LEAK_LINES = 20;

    private final CudaContext ctx;
    private final Cleaner cleaner = Cleaner.create();
    private final Map<Long, ArrayDeque<CUdeviceptr>> free = new TreeMap<>();
    private long bytesInUse;
    private long bytesCached;
    private final AtomicLong leaks = new AtomicLong();

    public DeviceAllocator(CudaContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Size classes: multiples of 512 bytes below 1 MiB; above, four classes per power of two, so a block is
     * at most 25% larger than asked and a slightly different request still hits the cache.
     */
    static long sizeClass(long bytes) {
        if (bytes <= 0) return SMALL_GRANULE;
        if (bytes <= SMALL) return (bytes + SMALL_GRANULE - 1) / SMALL_GRANULE * SMALL_GRANULE;
        int log = 63 - Long.numberOfLeadingZeros(bytes - 1); // 2^log < bytes <= 2^(log+1)
        long step = 1L << (log - 2);
        return (bytes + step - 1) / step * step;
    }

    /** A storage of {@code floats} elements; its contents are undefined. */
    public DeviceStorage allocate(Backend owner, long floats) {
        if (floats < 0) throw new IllegalArgumentException("negative size " + floats);
        long cls = sizeClass(floats * Float.BYTES);
        CUdeviceptr p = take(cls);
        return new DeviceStorage(owner, this, p, floats, cls, cleaner, this::reportLeak);
    }

    /** Like {@link #allocate} but zero-filled (queued on the stream). */
    public DeviceStorage allocateZeroed(Backend owner, long floats) {
        DeviceStorage s = allocate(owner, floats);
        if (floats > 0) cuMemsetD32Async(s.pointer(), 0, floats, ctx.stream());
        return s;
    }

    private synchronized CUdeviceptr take(long cls) {
        ArrayDeque<CUdeviceptr> list = free.get(cls);
        if (list != null && !list.isEmpty()) {
            bytesCached -= cls;
            bytesInUse += cls;
            return list.pop();
        }
        ctx.makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, cls);
        } catch (CudaException e) {
            if (!isOutOfMemory(e)) throw e;
            emptyCache();
            try {
                cuMemAlloc(p, cls);
            } catch (CudaException again) {
                if (!isOutOfMemory(again)) throw again;
                throw new IllegalStateException(String.format(
                        "CUDA out of memory: asked for %d bytes with %d bytes in use and %d cached "
                                + "(the cache was freed and the allocation retried once); device %s has %d bytes",
                        cls, bytesInUse, bytesCached, ctx.deviceName(), ctx.totalMemory()), again);
            }
        }
        bytesInUse += cls;
        return p;
    }

    private static boolean isOutOfMemory(CudaException e) {
        String m = e.getMessage();
        return m != null && m.contains(CUresult.stringFor(CUresult.CUDA_ERROR_OUT_OF_MEMORY));
    }

    synchronized void release(CUdeviceptr p, long cls) {
        bytesInUse -= cls;
        bytesCached += cls;
        free.computeIfAbsent(cls, k -> new ArrayDeque<>()).push(p);
    }

    /** Bytes held by live storages (in size classes). */
    public synchronized long bytesInUse() {
        return bytesInUse;
    }

    /** Bytes held in free lists, ready for reuse. */
    public synchronized long bytesCached() {
        return bytesCached;
    }

    /** Storages that became unreachable without {@code close()}. */
    public long leakCount() {
        return leaks.get();
    }

    /**
     * Returns the cached blocks to the driver. Waits for the stream first, so no queued kernel still uses a
     * block that is freed.
     */
    public synchronized void emptyCache() {
        if (bytesCached == 0) return;
        ctx.synchronize();
        for (ArrayDeque<CUdeviceptr> list : free.values()) {
            while (!list.isEmpty()) cuMemFree(list.pop());
        }
        free.clear();
        bytesCached = 0;
    }

    private void reportLeak(long floats) {
        long n = leaks.incrementAndGet();
        if (n <= LEAK_LINES) {
            System.err.println("WARNING: srgan.cuda: a device storage of " + floats + " floats ("
                    + floats * Float.BYTES + " bytes) was garbage-collected without close(); its memory stays "
                    + "allocated (leak #" + n + (n == LEAK_LINES ? ", further leaks are only counted)" : ")"));
        }
    }
}
