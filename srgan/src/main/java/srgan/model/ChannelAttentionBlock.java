package srgan.model;

import srgan.config.GeneratorSpec;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Reductions;

/**
 * RCAN's residual channel-attention block (Zhang et al. 2018): conv3x3-act-conv3x3, whose channels are then
 * reweighted by a squeeze-and-excitation gate (global average pool, 1x1 conv C -> C/16, ReLU, 1x1 conv back to
 * C, sigmoid), scaled and added to the input. Also the README's example of adding a block type.
 */
public final class ChannelAttentionBlock extends Module {
    private static final int REDUCTION = 16;
    private final Conv2d conv1;
    private final Module act;
    private final Conv2d conv2;
    private final Conv2d squeeze;
    private final Conv2d excite;
    private final double scale;

    public ChannelAttentionBlock(Backend backend, Rng rng, GeneratorSpec spec) {
        int c = spec.channels(), reduced = Math.max(1, c / REDUCTION);
        conv1 = registerModule("conv1", Generator.conv(backend, rng, c, c, 3));
        act = registerModule("act", spec.activationFunction().create(backend));
        conv2 = registerModule("conv2", Generator.conv(backend, rng, c, c, 3));
        squeeze = registerModule("squeeze", Generator.conv(backend, rng, c, reduced, 1));
        excite = registerModule("excite", Generator.conv(backend, rng, reduced, c, 1));
        scale = spec.residualScale();
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor r = conv2.forward(act.forward(conv1.forward(x)));
        int h = r.size(2), w = r.size(3);
        Tensor pooled = Arithmetic.scale(Reductions.sumTo(r, r.size(0), r.size(1), 1, 1), 1.0 / (h * w));
        Tensor gate = Activations.sigmoid(excite.forward(Activations.relu(squeeze.forward(pooled))));
        return Arithmetic.add(x, Arithmetic.scale(Arithmetic.mul(r, gate), scale));
    }
}
