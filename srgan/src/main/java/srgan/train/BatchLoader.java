package srgan.train;

import srgan.engine.Rng;
import srgan.image.Bicubic;
import srgan.image.RgbImage;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes training batches on background threads, a bounded number ahead of the update that will use them, and
 * hands them over in step order.
 *
 * <p>A batch is a pure function of (seed, step): the images come from a per-epoch shuffle of the source (each
 * image once per epoch; the shuffle is drawn from the seed and the epoch), and each crop's position, horizontal
 * flip and number of 90-degree turns from a generator seeded by the seed and the step. So the number of
 * threads and their timing never change what a step sees, and a resumed run needs only the step to carry on
 * with exactly the batches the uninterrupted run would have had.
 *
 * <p>LR crops are made from the HR crops on the fly with MATLAB's bicubic ({@link Bicubic#resizeToUint8}), as
 * an 8-bit image would be, then mapped to [0, 1]; HR crops are mapped to [-1, 1].
 */
final class BatchLoader implements AutoCloseable {
    private static final long ORDER_SALT = 0x5EED0A11D00DL;
    private static final long CROP_SALT = 0xC4090FF5E7L;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final ImageSource source;
    private final int batch;
    private final int crop;
    private final int scale;
    private final long seed;
    private final long endStep;
    private final int depth;
    private final ExecutorService pool;
    private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
    /** The last few epochs' shuffles; loader threads near an epoch boundary need two. Guarded by itself. */
    private final Map<Long, int[]> shuffles = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, int[]> eldest) {
            return size() > 4;
        }
    };
    private long nextToSubmit;

    /**
     * Starts loading the batches of steps {@code firstStep} (inclusive) to {@code endStep} (exclusive).
     *
     * @param workers background threads; up to twice as many batches are made ahead
     */
    BatchLoader(ImageSource source, int batch, int crop, int scale, long seed, int workers, long firstStep,
                long endStep) {
        this.source = source;
        this.batch = batch;
        this.crop = crop;
        this.scale = scale;
        this.seed = seed;
        this.endStep = endStep;
        this.depth = 2 * workers;
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "srgan-loader-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.nextToSubmit = firstStep;
        topUp();
    }

    private void topUp() {
        while (pending.size() < depth && nextToSubmit < endStep) {
            long step = nextToSubmit++;
            pending.add(pool.submit(() -> make(step)));
        }
    }

    /**
     * The batch of the next step, waiting for it if a loader thread is still at work.
     *
     * @throws IllegalStateException when there is no next step, or loading failed (the cause says why)
     */
    Batch next() {
        Future<Batch> f = pending.poll();
        if (f == null) {
            throw new IllegalStateException("no batch left: the loader was set up to stop at step " + endStep);
        }
        topUp();
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("loading a batch failed: " + e.getCause(), e.getCause());
        }
    }

    /** The batch of {@code step}; any thread may call it. */
    Batch make(long step) {
        Rng rng = new Rng(seed ^ CROP_SALT ^ (step + 1) * GOLDEN);
        int lrSide = crop / scale;
        int hrPlane = 3 * crop * crop;
        int lrPlane = 3 * lrSide * lrSide;
        float[] hr = new float[batch * hrPlane];
        float[] lr = new float[batch * lrPlane];
        int n = source.size();
        for (int i = 0; i < batch; i++) {
            long sample = step * batch + i;
            int index = shuffle(sample / n)[(int) (sample % n)];
            int x = rng.nextInt(source.width(index) - crop + 1);
            int y = rng.nextInt(source.height(index) - crop + 1);
            boolean flip = rng.nextInt(2) == 1;
            int turns = rng.nextInt(4);
            RgbImage patch = source.image(index).crop(x, y, crop, crop);
            if (flip) patch = patch.flipHorizontal();
            for (int t = 0; t < turns; t++) patch = patch.rotate90();
            RgbImage small = Bicubic.resizeToUint8(patch, 1.0 / scale);
            System.arraycopy(patch.toTensorData(-1, 1), 0, hr, i * hrPlane, hrPlane);
            System.arraycopy(small.toTensorData(0, 1), 0, lr, i * lrPlane, lrPlane);
        }
        return new Batch(step, batch, lrSide, crop, lr, hr);
    }

    /** The order of the source's images in {@code epoch}: a Fisher-Yates shuffle seeded by seed and epoch. */
    private int[] shuffle(long epoch) {
        synchronized (shuffles) {
            int[] order = shuffles.get(epoch);
            if (order != null) return order;
        }
        int n = source.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Rng rng = new Rng(seed ^ ORDER_SALT ^ (epoch + 1) * GOLDEN);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        synchronized (shuffles) {
            shuffles.put(epoch, order);
        }
        return order;
    }

    /** Stops the loader threads; batches still being made are dropped. */
    @Override
    public void close() {
        pool.shutdownNow();
    }
}
