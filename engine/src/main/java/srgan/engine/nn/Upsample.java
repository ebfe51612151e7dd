package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Layout;

/**
 * Nearest-neighbour upsampling of NCHW input by an integer factor r, {@code [N, C, H, W]} to
 * {@code [N, C, H*r, W*r]}, as {@code torch.nn.Upsample(scale_factor=r, mode='nearest')}. No parameters.
 */
public final class Upsample extends Module {
    private final int scaleFactor;

    /** @param scaleFactor r, at least 1 */
    public Upsample(int scaleFactor) {
        if (scaleFactor < 1) throw new IllegalArgumentException("scale factor must be positive, got " + scaleFactor);
        this.scaleFactor = scaleFactor;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Layout.upsampleNearest(x, scaleFactor);
    }

    public int scaleFactor() {
        return scaleFactor;
    }

    @Override
    protected String extraRepr() {
        return "scale_factor=" + (double) scaleFactor + ", mode='nearest'";
    }

    /** {@inheritDoc} Nearest upsampling's backward sums the gradient's blocks: it reads no activation. */
    @Override
    public boolean backwardReadsInput() {
        return false;
    }

    /** {@inheritDoc} Nearest upsampling's backward sums the gradient's blocks: it reads no activation. */
    @Override
    public boolean backwardReadsOutput() {
        return false;
    }
}
