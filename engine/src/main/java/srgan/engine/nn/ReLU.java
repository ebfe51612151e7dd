package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Activations;

/** {@code max(x, 0)}, as {@code torch.nn.ReLU}. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Activations.relu(x);
    }
}
