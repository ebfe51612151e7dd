package srgan.engine.backend.cpu;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Arrays of closed storages kept for the next storage of the same size. A training step allocates the same
 * sizes in the same order every time, so after the first step every activation and gradient comes from here:
 * the garbage collector sees no large allocations in steady state, and no fresh memory has to be faulted in
 * and zeroed by the JVM. Small arrays are left to the garbage collector, which handles them cheaply.
 *
 * <p>The budget {@code capacity} covers the floats held here and those of the open storages together: both
 * are heap, and what matters is that their sum stays within what the heap can hold beside the garbage of
 * small objects. In steady state the sum is constant (an array leaving a storage comes here, one leaving here
 * goes to a storage), so a budget of at least the step's peak live floats means no drops. To make room the
 * pool drops the sizes least recently asked for, so a new workload's sizes (inference after training) replace
 * the old ones.
 */
final class ArrayPool {
    /** Arrays below this many floats (64 KiB) are not pooled. */
    static final int MIN_FLOATS = 1 << 14;

    private final long capacity;
    /** Free arrays by size, least recently used size first. */
    private final LinkedHashMap<Integer, ArrayDeque<float[]>> free = new LinkedHashMap<>(16, 0.75f, true);
    private long retained;

    ArrayPool(long capacityFloats) {
        this.capacity = capacityFloats;
    }

    /** A pooled array of exactly {@code size} floats with garbage contents, or null. */
    synchronized float[] take(int size) {
        if (size < MIN_FLOATS) return null;
        ArrayDeque<float[]> list = free.get(size);
        if (list == null || list.isEmpty()) return null;
        retained -= size;
        return list.pop();
    }

    /**
     * Keeps {@code array} for reuse if it is large enough, making room by dropping the least recent sizes;
     * {@code liveFloats} are those of the open storages, which count against the same budget.
     */
    synchronized void give(float[] array, long liveFloats) {
        if (array.length < MIN_FLOATS) return;
        long budget = capacity - Math.max(0, liveFloats);
        Iterator<Map.Entry<Integer, ArrayDeque<float[]>>> eldest = free.entrySet().iterator();
        while (retained + array.length > budget && eldest.hasNext()) {
            Map.Entry<Integer, ArrayDeque<float[]>> e = eldest.next();
            if (e.getKey() == array.length) continue;
            retained -= (long) e.getKey() * e.getValue().size();
            eldest.remove();
        }
        if (retained + array.length > budget) return;
        free.computeIfAbsent(array.length, k -> new ArrayDeque<>()).push(array);
        retained += array.length;
    }

    /** Floats held for reuse. */
    synchronized long retainedFloats() {
        return retained;
    }

    synchronized void clear() {
        free.clear();
        retained = 0;
    }
}
