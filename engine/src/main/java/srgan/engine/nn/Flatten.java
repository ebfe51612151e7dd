package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Layout;

/** {@code [N, ...]} to {@code [N, rest]}, as {@code torch.nn.Flatten} with its defaults. */
public final class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Layout.flatten(x);
    }

    /** {@inheritDoc} A view: its backward reshapes the gradient. */
    @Override
    public boolean backwardReadsInput() {
        return false;
    }

    /** {@inheritDoc} A view: its backward reshapes the gradient. */
    @Override
    public boolean backwardReadsOutput() {
        return false;
    }
}
