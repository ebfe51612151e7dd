package srgan.model;

import srgan.config.GeneratorSpec;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.BatchNorm2d;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.ops.Arithmetic;

/**
 * SRResNet's residual block: conv3x3-BN-act-conv3x3-BN plus the identity skip; without BN when the spec says
 * so (EDSR), and with the residual scaled before the addition when {@code residual_scale} is not 1.
 */
public final class ResidualBlock extends Module {
    private final Conv2d conv1;
    private final Module bn1;
    private final Module act;
    private final Conv2d conv2;
    private final Module bn2;
    private final double residualScale;

    public ResidualBlock(Backend backend, Rng rng, GeneratorSpec spec) {
        int c = spec.channels();
        conv1 = registerModule("conv1", Generator.conv(backend, rng, c, c, 3));
        bn1 = spec.batchNorm() ? registerModule("bn1", Generator.batchNorm(backend, spec, c)) : null;
        act = registerModule("act", spec.activationFunction().create(backend));
        conv2 = registerModule("conv2", Generator.conv(backend, rng, c, c, 3));
        bn2 = spec.batchNorm() ? registerModule("bn2", Generator.batchNorm(backend, spec, c)) : null;
        residualScale = spec.residualScale();
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor r = conv1.forward(x);
        if (bn1 instanceof BatchNorm2d norm) {
            r = norm.forwardThen(act, r);   // one op where the backend fuses them
        } else {
            r = act.forward(bn1 != null ? bn1.forward(r) : r);
        }
        r = conv2.forward(r);
        if (bn2 != null) r = bn2.forward(r);
        if (residualScale != 1) return Arithmetic.add(x, Arithmetic.scale(r, residualScale));
        Tensor sum = Arithmetic.add(x, r);
        // The sum's backward reads neither input: the branch's output is freed now unless its maker's backward
        // reads it (neither batch norm's nor a convolution's does), instead of being held to the step's end.
        if (!(bn2 != null ? bn2 : conv2).backwardReadsOutput()) r.discardData();
        return sum;
    }
}
