package srgan.model;

import srgan.config.Activation;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Layout;

import java.util.ArrayList;
import java.util.List;

/**
 * ESRGAN's residual dense block: five 3x3 convs, each reading the block input concatenated with every earlier
 * conv's output; the first four add {@code growth} channels and pass through the activation, the fifth maps
 * back to C channels without one. The result, times {@code scale}, is added to the input.
 */
public final class ResidualDenseBlock extends Module {
    private static final int CONVS = 5;
    private final List<Conv2d> convs = new ArrayList<>();
    private final Module act;
    private final double scale;

    public ResidualDenseBlock(Backend backend, Rng rng, int channels, int growth, Activation activation,
                              double scale) {
        for (int i = 0; i < CONVS; i++) {
            int out = i == CONVS - 1 ? channels : growth;
            convs.add(registerModule("conv" + (i + 1), Generator.conv(backend, rng, channels + i * growth, out, 3)));
        }
        // One module serves every conv: a PReLU here would share one slope across the block.
        act = registerModule("act", activation.create(backend));
        this.scale = scale;
    }

    @Override
    public Tensor forward(Tensor x) {
        List<Tensor> features = new ArrayList<>();
        features.add(x);
        Tensor y = null;
        for (int i = 0; i < CONVS; i++) {
            Tensor in = features.size() == 1 ? x : Layout.concatChannels(features);
            y = convs.get(i).forward(in);
            if (i < CONVS - 1) {
                y = act.forward(y);
                features.add(y);
            }
        }
        return Arithmetic.add(x, Arithmetic.scale(y, scale));
    }
}
