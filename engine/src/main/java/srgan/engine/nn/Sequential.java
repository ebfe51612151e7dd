package srgan.engine.nn;

import srgan.engine.Tensor;

/**
 * Children applied in order, as {@code torch.nn.Sequential}; they are named "0", "1", ... so their state reads
 * {@code 0.weight}, {@code 1.running_mean}. Intermediate outputs belong to the caller's scope, like any op
 * result: run {@link #forward} inside a {@link srgan.engine.Scope}.
 */
public final class Sequential extends Module {
    private int size;

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends {@code module} under the next index and returns this, for chaining. */
    public Sequential add(Module module) {
        registerModule(Integer.toString(size), module);
        size++;
        return this;
    }

    /** The child at {@code index}. */
    public Module get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " in a Sequential of " + size);
        }
        return namedChildren().get(Integer.toString(index));
    }

    public int size() {
        return size;
    }

    /** Applies every child in order; the identity when empty (the input itself is returned). */
    @Override
    public Tensor forward(Tensor x) {
        Tensor out = x;
        for (Module m : namedChildren().values()) out = m.forward(out);
        return out;
    }
}
