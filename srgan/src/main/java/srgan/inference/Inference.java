package srgan.inference;

import srgan.engine.GradMode;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.Module;
import srgan.engine.nn.PixelShuffle;
import srgan.engine.nn.Upsample;
import srgan.image.RgbImage;

import java.util.List;

/**
 * Runs a super-resolution generator (LR in [0, 1] in, SR in [-1, 1] out, as {@link srgan.model.Generator})
 * over an image of any size, tile by tile, so device memory is bounded by the tile size rather than the image.
 *
 * <p>Why the tiled output equals the whole-image output. In eval mode every layer of the generator is either
 * pointwise (batch norm with running statistics, activations, tanh) or a stride-1 "same" convolution, with
 * pixel shuffles or nearest upsamplings in between (and, with a global bicubic skip, a fixed 5x5 filter whose
 * radius of two LR pixels is far inside the main path's). An output pixel therefore depends only on the LR pixels within its receptive-field
 * radius R (in LR pixels), plus on where the image ends, because each convolution zero-pads at the image
 * border. Each tile is an LR core of {@code tile x tile} pixels read with {@code overlap} pixels of real
 * context on every side, the context clipped where the image ends: at an image border the tile sees the same
 * zero padding as the whole image does, and at an inner edge the padding the tile sees instead of real pixels
 * corrupts only a band R pixels deep. With {@code overlap >= R}, the core's output is thus exactly the
 * whole-image output (up to float summation order) and is copied out; the context's output is discarded, so no
 * blending is needed. For SRResNet with B residual blocks, R = 4 (9x9 head) + 2B (two 3x3 per block) + 1 (mid
 * 3x3) + 1 (3x3 before the first shuffle) + 1 (3x3 at 2x, half an LR pixel, rounded up) + 1 (9x9 tail at 4x)
 * = 8 + 2B: 40 for the paper's 16 blocks. {@link #receptiveFieldRadius} computes it from the layers.
 *
 * <p>A smaller overlap is allowed and is then an approximation whose error shrinks with the influence of
 * distant pixels; callers should say so.
 */
public final class Inference {
    private Inference() {
    }

    /**
     * The generator's output scale: the product of its pixel-shuffle and upsampling factors (4 for SRResNet).
     */
    public static int scale(Module generator) {
        int s = 1;
        for (Module m : leaves(generator)) s *= upscaling(m);
        return s;
    }

    /** How much a layer enlarges the image: its factor for a pixel shuffle or an upsampling, else 1. */
    private static int upscaling(Module m) {
        if (m instanceof PixelShuffle p) return p.upscaleFactor();
        if (m instanceof Upsample u) return u.scaleFactor();
        return 1;
    }

    /**
     * An upper bound, in LR pixels, on how far from an output pixel's own LR pixel the input can influence it:
     * the sum over convolutions of ceil(radius / scale at that layer), where the scale grows at each pixel
     * shuffle or upsampling. Layers are taken in registration order, which is the order in which the generator
     * applies them; modules other than {@link Conv2d}, {@link PixelShuffle} and {@link Upsample} are taken to be
     * pointwise. Skip connections and dense connections add nothing, since the sum over every conv covers any
     * path through a subset of them.
     *
     * @throws IllegalArgumentException if a convolution is strided or not "same" padded, so that tiles would not
     *                                  map onto output tiles
     */
    public static int receptiveFieldRadius(Module generator) {
        int radius = 0, scale = 1;
        for (Module m : leaves(generator)) {
            if (m instanceof Conv2d c) {
                if (c.stride() != 1 || 2 * c.padding() != c.kernelSize() - 1) {
                    throw new IllegalArgumentException("tiled inference needs stride-1 'same' convolutions, found "
                            + "kernel " + c.kernelSize() + " stride " + c.stride() + " padding " + c.padding());
                }
                // ceil(p / scale): a scale-s pixel p reaches floor((p + r) / s) <= floor(p / s) + ceil(r / s).
                radius += (c.padding() + scale - 1) / scale;
            } else {
                scale *= upscaling(m);
            }
        }
        return radius;
    }

    /** Every module without children, depth first in registration order. */
    private static List<Module> leaves(Module m) {
        if (m.namedChildren().isEmpty()) return List.of(m);
        return m.namedChildren().values().stream().flatMap(c -> leaves(c).stream()).toList();
    }

    /** The whole image in one pass: the reference {@link #upscale(Module, RgbImage, int, int)} must match. */
    public static RgbImage upscale(Module generator, RgbImage lr) {
        return upscale(generator, lr, Math.max(lr.width(), lr.height()), 0);
    }

    /**
     * Super-resolves {@code lr} (0..255) tile by tile on the generator's backend, in eval mode and without
     * autograd, each tile inside its own {@link Scope}. The generator's training/eval mode is restored after.
     *
     * @param tile    side of each tile's core, in LR pixels
     * @param overlap LR pixels of context read around each core (clipped at the image border); the result is
     *                exact when it is at least {@link #receptiveFieldRadius}
     * @return the SR image on 0..255, {@link #scale} times the size, neither rounded nor clamped
     */
    public static RgbImage upscale(Module generator, RgbImage lr, int tile, int overlap) {
        if (tile <= 0) throw new IllegalArgumentException("tile must be positive, got " + tile);
        if (overlap < 0) throw new IllegalArgumentException("overlap must be >= 0, got " + overlap);
        Backend backend = generator.parameters().get(0).backend();
        int s = scale(generator);
        int w = lr.width(), h = lr.height(), ow = w * s, oh = h * s;
        float[] out = new float[3 * ow * oh];
        boolean wasTraining = generator.isTraining();
        generator.eval();
        try (GradMode noGrad = GradMode.noGrad()) {
            for (int y0 = 0; y0 < h; y0 += tile) {
                for (int x0 = 0; x0 < w; x0 += tile) {
                    int cw = Math.min(tile, w - x0), ch = Math.min(tile, h - y0);
                    int ix0 = Math.max(0, x0 - overlap), iy0 = Math.max(0, y0 - overlap);
                    int ix1 = Math.min(w, x0 + cw + overlap), iy1 = Math.min(h, y0 + ch + overlap);
                    int iw = ix1 - ix0, ih = iy1 - iy0;
                    float[] sr;
                    try (Scope tileScope = Scope.open()) {
                        float[] in = lr.crop(ix0, iy0, iw, ih).toTensorData(0f, 1f);
                        Tensor y = generator.forward(Tensor.of(backend, in, 1, 3, ih, iw));
                        sr = y.toFloatArray();
                    }
                    // Copy the core's output, mapping [-1, 1] to 0..255.
                    int tw = iw * s, th = ih * s;
                    int ox = (x0 - ix0) * s, oy = (y0 - iy0) * s;
                    for (int c = 0; c < 3; c++) {
                        for (int r = 0; r < ch * s; r++) {
                            int src = (c * th + oy + r) * tw + ox;
                            int dst = (c * oh + y0 * s + r) * ow + x0 * s;
                            for (int k = 0; k < cw * s; k++) out[dst + k] = (sr[src + k] + 1f) * 127.5f;
                        }
                    }
                }
            }
        } finally {
            generator.train(wasTraining);
        }
        return new RgbImage(ow, oh, out);
    }
}
