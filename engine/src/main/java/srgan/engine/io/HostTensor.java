package srgan.engine.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major float array in host memory with its shape: what {@link SafeTensors} reads and writes.
 *
 * <p>The shape is copied on the way in and out, so it always agrees with the data length. The data array is
 * shared, not copied, so that a multi-gigabyte checkpoint is not held twice while the tensor layer takes it
 * over; whoever builds a {@code HostTensor} hands the array over and should not change it afterwards.
 *
 * <p>{@link #equals}, {@link #hashCode} and {@link #toString} look at the contents. Equality compares floats
 * bit for bit in the manner of {@link Arrays#equals(float[], float[])}: {@code NaN} equals {@code NaN} and
 * {@code 0.0f} differs from {@code -0.0f}, which is what a round-trip test wants.
 *
 * @param shape dimensions, outermost first; empty for a scalar; every entry {@code >= 0}
 * @param data  the elements, whose count is the product of {@code shape} (1 for a scalar)
 */
public record HostTensor(int[] shape, float[] data) {

    /** Longest {@code toString} rendering of the data before it is elided. */
    private static final int TO_STRING_ELEMENTS = 16;

    /**
     * @throws NullPointerException     if {@code shape} or {@code data} is null
     * @throws IllegalArgumentException if a dimension is negative or the shape's element count is not
     *                                  {@code data.length}
     */
    public HostTensor {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long count = elementCount(shape);
        if (count != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count
                    + " elements but data has " + data.length);
        }
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    /** Number of elements, {@code data().length}. */
    public int size() {
        return data.length;
    }

    /**
     * The element count of {@code shape}: the product of its dimensions, 1 for an empty shape.
     *
     * @throws IllegalArgumentException if a dimension is negative or the product does not fit a long
     */
    static long elementCount(int[] shape) {
        long count = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("element count of shape " + Arrays.toString(shape)
                        + " overflows a long", e);
            }
        }
        return count;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    /** Shape and data; past {@value #TO_STRING_ELEMENTS} elements the data is cut short with a count. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("HostTensor").append(Arrays.toString(shape)).append('[');
        int shown = Math.min(data.length, TO_STRING_ELEMENTS);
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(data[i]);
        }
        if (shown < data.length) {
            sb.append(", ... (").append(data.length).append(" elements)");
        }
        return sb.append(']').toString();
    }
}
