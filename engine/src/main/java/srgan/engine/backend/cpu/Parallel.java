package srgan.engine.backend.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A fixed pool of daemon threads and the one loop shape the CPU backend needs: run a body once for every item
 * of {@code [0, items)}. The calling thread works too, so {@code threads} threads means {@code threads - 1}
 * pool workers.
 *
 * <p>Items are handed out dynamically (whoever is free takes the next), so which thread runs an item is not
 * fixed. Callers therefore make every item write its own part of the output, and a reduction keep one
 * partial per item and combine the partials in item order; then results never depend on scheduling.
 */
final class Parallel implements AutoCloseable {
    /** A body over the half-open index range {@code [from, to)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    // Set on pool threads: a nested parallel loop started by an item runs inline instead of queueing behind
    // the items that are waiting for it (which could deadlock a fixed pool).
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final int threads;
    private final ExecutorService workers;
    private volatile boolean closed;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        this.threads = threads;
        if (threads == 1) {
            workers = null;
        } else {
            AtomicInteger counter = new AtomicInteger();
            workers = Executors.newFixedThreadPool(threads - 1, task -> {
                Thread t = new Thread(() -> {
                    IN_WORKER.set(Boolean.TRUE);
                    task.run();
                }, "srgan-cpu-" + counter.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i} in {@code [0, items)} and returns when all have finished.
     * The first exception an item throws is rethrown here (items not yet started are skipped).
     */
    void forEach(int items, IntConsumer body) {
        if (closed) throw new IllegalStateException("cpu backend used after close()");
        if (items <= 0) return;
        run(new Job(items, body, null, 0, 0));
    }

    private void run(Job job) {
        if (closed) throw new IllegalStateException("cpu backend used after close()");
        int items = job.items;
        if (items <= 0) return;
        if (workers == null || items == 1 || IN_WORKER.get()) {
            for (int i = 0; i < items; i++) job.item(i);
            return;
        }
        int helpers = Math.min(threads - 1, items - 1);
        for (int h = 0; h < helpers; h++) workers.execute(job);
        // The caller takes items too, so the job finishes even if every worker is busy with another caller's
        // job; workers that start late find nothing left and return at once.
        job.run();
        job.awaitAndRethrow();
    }

    /**
     * Splits {@code [0, n)} into contiguous chunks of at least {@code minChunk} indices (about four per thread
     * when n is large, for load balance) and runs them in parallel. The split depends on the thread count, so
     * use it only where each index's result does not depend on the split.
     */
    void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int chunk = (int) Math.max(Math.max(1, minChunk), ceilDiv(n, 4L * threads));
        int items = (int) ceilDiv(n, chunk);
        // The job calls the body itself, with no adapter in between: every call level counts against C2's
        // inlining depth, which the Vector API's own levels nearly fill (see MicroKernels).
        run(new Job(items, null, body, chunk, n));
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Stops the workers; queued helpers of a finished job just exit. Idempotent. */
    @Override
    public void close() {
        closed = true;
        if (workers != null) workers.shutdown();
    }

    private static final class Job implements Runnable {
        private final int items;
        /** The body, or null when the job runs ranges of {@code range}. */
        private final IntConsumer body;
        private final RangeBody range;
        private final int chunk;
        private final int n;
        private final AtomicInteger next = new AtomicInteger();
        private final CountDownLatch unfinished;
        private volatile Throwable failure;

        Job(int items, IntConsumer body, RangeBody range, int chunk, int n) {
            this.items = items;
            this.body = body;
            this.range = range;
            this.chunk = chunk;
            this.n = n;
            this.unfinished = new CountDownLatch(Math.max(0, items));
        }

        /** Item i: {@code body(i)}, or the i-th range of {@code chunk} indices of {@code [0, n)}. */
        void item(int i) {
            if (body != null) {
                body.accept(i);
            } else {
                int from = i * chunk;
                range.run(from, Math.min(n, from + chunk));
            }
        }

        @Override
        public void run() {
            int i;
            while ((i = next.getAndIncrement()) < items) {
                try {
                    if (failure == null) item(i);
                } catch (Throwable t) {
                    synchronized (this) {
                        if (failure == null) failure = t;
                    }
                } finally {
                    unfinished.countDown();
                }
            }
        }

        void awaitAndRethrow() {
            // Items write into the caller's buffers, so returning before they are done is never safe: wait
            // through interrupts and restore the flag afterwards.
            boolean interrupted = false;
            while (true) {
                try {
                    unfinished.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            Throwable t = failure;
            if (t instanceof RuntimeException) throw (RuntimeException) t;
            if (t instanceof Error) throw (Error) t;
            if (t != null) throw new IllegalStateException("parallel item failed", t);
        }
    }
}
