package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Activations;

/** {@code 1 / (1 + exp(-x))}, as {@code torch.nn.Sigmoid}. */
public final class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Activations.sigmoid(x);
    }
}
