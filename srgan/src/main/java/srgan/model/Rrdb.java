package srgan.model;

import srgan.config.Activation;
import srgan.engine.Rng;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Module;
import srgan.engine.ops.Arithmetic;

/** ESRGAN's residual-in-residual dense block: three {@link ResidualDenseBlock}s, their result scaled and added. */
public final class Rrdb extends Module {
    private final ResidualDenseBlock rdb1;
    private final ResidualDenseBlock rdb2;
    private final ResidualDenseBlock rdb3;
    private final double scale;

    public Rrdb(Backend backend, Rng rng, int channels, int growth, Activation activation, double scale) {
        rdb1 = registerModule("rdb1", new ResidualDenseBlock(backend, rng, channels, growth, activation, scale));
        rdb2 = registerModule("rdb2", new ResidualDenseBlock(backend, rng, channels, growth, activation, scale));
        rdb3 = registerModule("rdb3", new ResidualDenseBlock(backend, rng, channels, growth, activation, scale));
        this.scale = scale;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Arithmetic.add(x, Arithmetic.scale(rdb3.forward(rdb2.forward(rdb1.forward(x))), scale));
    }
}
