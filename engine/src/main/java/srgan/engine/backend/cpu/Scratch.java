package srgan.engine.backend.cpu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * Grow-only arrays that a thread's kernels reuse from call to call, so that steady-state training allocates
 * nothing, each with a start index on a 64-byte cache line.
 *
 * <p>Why the start index: an AVX-512 vector is a cache line, and one at an address off the line reads (or
 * writes) two lines. A Java array's elements begin 16 bytes past its 8-byte-aligned start, and the collector
 * moves arrays, so where index 0 falls differs from one JVM to the next and the Winograd layers, whose transforms
 * stream their buffers with whole-vector loads and stores, had a speed that depended on it. Measured on the
 * SRResNet step (4 JVMs each, alternating), with {@code -XX:ObjectAlignmentInBytes=64}, which puts every array's
 * data at 16 mod 64: 1.35x slower than without it (median step) before, the same after. (A vector copy within L1
 * ran 1.45x faster with its loads on lines than 32 bytes off.) So each array here has a line of slack, and
 * {@link #start} gives the first index on a line, computed from the array's address when it is handed out;
 * kernels index from there. If the collector moves the array later, only speed is lost, never correctness; where
 * the address cannot be read (no {@code sun.misc.Unsafe}), the start is 0.
 *
 * <p>Contents are garbage on entry. Not thread-safe: each thread keeps its own (a {@code ThreadLocal}).
 */
final class Scratch {
    /** Bytes of a cache line, and of an AVX-512 vector. */
    static final int LINE_BYTES = 64;

    private final float[][] floats;
    private final int[] floatStarts;
    private final double[][] doubles;
    private final int[] doubleStarts;
    private final int[][] ints;
    /** Where an array's reference is put for its address to be read (one per Scratch: no allocation). */
    private final Object[] holder = new Object[1];

    Scratch(int floatSlots, int doubleSlots, int intSlots) {
        floats = new float[floatSlots][];
        floatStarts = new int[floatSlots];
        doubles = new double[doubleSlots][];
        doubleStarts = new int[doubleSlots];
        ints = new int[intSlots][];
    }

    /** The float array of {@code slot}, with at least {@code size} elements from {@link #start start(slot)} on. */
    float[] floats(int slot, long size) {
        float[] f = floats[slot];
        long needed = size + LINE_BYTES / Float.BYTES - 1;
        if (f == null || f.length < needed) floats[slot] = f = new float[Math.toIntExact(needed)];
        floatStarts[slot] = Address.firstOnLine(holder, f, Float.BYTES);
        return f;
    }

    /** The first index on a cache line of the array that {@link #floats} last returned for {@code slot}. */
    int start(int slot) {
        return floatStarts[slot];
    }

    /** The double array of {@code slot}, with at least {@code size} elements from {@link #doubleStart} on. */
    double[] doubles(int slot, long size) {
        double[] d = doubles[slot];
        long needed = size + LINE_BYTES / Double.BYTES - 1;
        if (d == null || d.length < needed) doubles[slot] = d = new double[Math.toIntExact(needed)];
        doubleStarts[slot] = Address.firstOnLine(holder, d, Double.BYTES);
        return d;
    }

    /** The first index on a cache line of the array that {@link #doubles} last returned for {@code slot}. */
    int doubleStart(int slot) {
        return doubleStarts[slot];
    }

    /** The int array of {@code slot}, at least {@code size} long (index tables: read element by element). */
    int[] ints(int slot, int size) {
        int[] i = ints[slot];
        if (i == null || i.length < size) ints[slot] = i = new int[size];
        return i;
    }

    /**
     * An array's address, read through {@code sun.misc.Unsafe} from a reference stored in an {@code Object[]}.
     * With compressed references (the default below 32 GiB of heap) the stored value is the address shifted
     * right by log2 of the object alignment, or not shifted at all when the heap lies below 4 GiB; the heap's base
     * is aligned far beyond a cache line, so the value shifted back gives the address modulo 64.
     */
    private static final class Address {
        private static final MethodHandle GET_INT;
        private static final MethodHandle GET_LONG;
        private static final long SLOT_OFFSET;
        private static final boolean COMPRESSED;
        private static final int SHIFT;
        private static final long FLOAT_BASE;
        private static final long DOUBLE_BASE;

        static {
            MethodHandle getInt = null;
            MethodHandle getLong = null;
            long slot = 0;
            boolean compressed = false;
            int shift = -1;
            long floatBase = 0;
            long doubleBase = 0;
            try {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                Field field = unsafeClass.getDeclaredField("theUnsafe");
                field.setAccessible(true);
                Object unsafe = field.get(null);
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                getInt = lookup.findVirtual(unsafeClass, "getInt", MethodType.methodType(int.class, Object.class,
                        long.class)).bindTo(unsafe);
                getLong = lookup.findVirtual(unsafeClass, "getLong", MethodType.methodType(long.class,
                        Object.class, long.class)).bindTo(unsafe);
                MethodHandle baseOffset = lookup.findVirtual(unsafeClass, "arrayBaseOffset",
                        MethodType.methodType(int.class, Class.class)).bindTo(unsafe);
                MethodHandle indexScale = lookup.findVirtual(unsafeClass, "arrayIndexScale",
                        MethodType.methodType(int.class, Class.class)).bindTo(unsafe);
                slot = (int) baseOffset.invoke(Object[].class);
                floatBase = (int) baseOffset.invoke(float[].class);
                doubleBase = (int) baseOffset.invoke(double[].class);
                compressed = (int) indexScale.invoke(Object[].class) == 4;
                shift = compressed ? compressedShift(getInt, slot) : 0;
            } catch (Throwable unavailable) {
                shift = -1;
            }
            GET_INT = getInt;
            GET_LONG = getLong;
            SLOT_OFFSET = slot;
            COMPRESSED = compressed;
            SHIFT = shift;
            FLOAT_BASE = floatBase;
            DOUBLE_BASE = doubleBase;
        }

        private Address() {
        }

        /**
         * The shift of compressed references: 0 when they are plain addresses (a heap below 4 GiB), which are
         * then all multiples of the object alignment (at least 8); else log2 of the object alignment. Told apart
         * by 64 consecutive 16-byte objects: shifted, their references step by 1 or 2 and cannot all be
         * multiples of 8.
         */
        private static int compressedShift(MethodHandle getInt, long slot) throws Throwable {
            Object[] holder = new Object[1];
            Object[] objects = new Object[64];
            boolean allMultiplesOf8 = true;
            for (int i = 0; i < objects.length; i++) {
                objects[i] = new Object();
                holder[0] = objects[i];
                allMultiplesOf8 &= ((int) getInt.invokeExact((Object) holder, slot) & 7) == 0;
            }
            if (allMultiplesOf8) return 0;
            int alignment = 8;
            try {
                Class<?> beanClass = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
                @SuppressWarnings("unchecked")
                Object bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                        (Class<? extends java.lang.management.PlatformManagedObject>) beanClass);
                Object option = beanClass.getMethod("getVMOption", String.class).invoke(bean,
                        "ObjectAlignmentInBytes");
                alignment = Integer.parseInt((String) option.getClass().getMethod("getValue").invoke(option));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError noBean) {
                // the default object alignment
            }
            return Integer.numberOfTrailingZeros(alignment);
        }

        /**
         * The first index of {@code array} whose element starts a cache line, 0 when the address is unknown;
         * {@code holder} is a one-element array of the caller's, left empty.
         */
        static int firstOnLine(Object[] holder, Object array, int elementBytes) {
            if (SHIFT < 0) return 0;
            long address;
            holder[0] = array;
            try {
                address = COMPRESSED
                        ? ((int) GET_INT.invokeExact((Object) holder, SLOT_OFFSET) & 0xFFFF_FFFFL) << SHIFT
                        : (long) GET_LONG.invokeExact((Object) holder, SLOT_OFFSET);
            } catch (Throwable e) {
                return 0;
            } finally {
                holder[0] = null;
            }
            return Scratch.firstOnLine(address + (array instanceof double[] ? DOUBLE_BASE : FLOAT_BASE), elementBytes);
        }

        /** Whether addresses can be read here (else every start is 0). */
        static boolean known() {
            return SHIFT >= 0;
        }
    }

    /**
     * Elements of {@code elementBytes} from {@code dataAddress}, the address of element 0, to the first one on a
     * cache line (0 to {@code LINE_BYTES / elementBytes - 1}).
     */
    static int firstOnLine(long dataAddress, int elementBytes) {
        long past = Math.floorMod(dataAddress, (long) LINE_BYTES);
        return (int) (past == 0 ? 0 : (LINE_BYTES - past + elementBytes - 1) / elementBytes);
    }

    /** Whether this JVM's array addresses can be read, so that starts are on cache lines (else they are 0). */
    static boolean addressesKnown() {
        return Address.known();
    }
}
