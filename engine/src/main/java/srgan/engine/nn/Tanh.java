package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Activations;

/** {@code tanh(x)}, as {@code torch.nn.Tanh}. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Activations.tanh(x);
    }
}
