package srgan.engine.nn;

import srgan.engine.Tensor;
import srgan.engine.ops.Layout;

/** {@code [N, C*r*r, H, W]} to {@code [N, C, H*r, W*r]}, as {@code torch.nn.PixelShuffle}. */
public final class PixelShuffle extends Module {
    private final int upscaleFactor;

    public PixelShuffle(int upscaleFactor) {
        if (upscaleFactor < 1) throw new IllegalArgumentException("upscale factor must be positive, got "
                + upscaleFactor);
        this.upscaleFactor = upscaleFactor;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Layout.pixelShuffle(x, upscaleFactor);
    }

    public int upscaleFactor() {
        return upscaleFactor;
    }

    @Override
    protected String extraRepr() {
        return "upscale_factor=" + upscaleFactor;
    }

    /** {@inheritDoc} The shuffle's backward is the inverse permutation of the gradient: it reads no activation. */
    @Override
    public boolean backwardReadsInput() {
        return false;
    }

    /** {@inheritDoc} The shuffle's backward is the inverse permutation of the gradient: it reads no activation. */
    @Override
    public boolean backwardReadsOutput() {
        return false;
    }
}
