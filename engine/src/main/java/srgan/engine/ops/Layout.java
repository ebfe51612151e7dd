package srgan.engine.ops;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.Storage;

import java.util.Arrays;
import java.util.List;

/**
 * Ops that move data without arithmetic: reshape, flatten, pixel shuffle, nearest-neighbour upsampling, concat
 * along channels. Shape letters: N batch, C channels, H height, W width.
 */
public final class Layout {
    private Layout() {
    }

    /** The same elements in another shape; one dimension may be -1 (inferred). Shares storage. */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] target = resolve(x, shape);
        Tensor view = x.view(target);
        if (!x.requiresGrad() || !srgan.engine.GradMode.isEnabled()) return view;
        // A recorded reshape: the output owns a fresh reference to the storage, its gradient flows back
        // unchanged in flat order.
        Backend backend = x.backend();
        int[] flat = {(int) x.numel()};
        Storage out = backend.allocate(x.numel());
        backend.copy(view.storage(), 0, out, 0, x.numel());
        view.close();
        return Tensor.result("reshape", out, target, List.of(x), (gy, g) ->
                backend.binary(BinaryOp.ADD, g[0].storage(), flat, gy.storage(), flat, g[0].storage(), flat));
    }

    /** [N, ...] to [N, rest]. */
    public static Tensor flatten(Tensor x) {
        Checks.require(x.rank() >= 1, "flatten", "needs at least one dimension");
        return reshape(x, x.size(0), -1);
    }

    private static int[] resolve(Tensor x, int[] shape) {
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                Checks.require(inferred < 0, "reshape", "only one dimension may be -1 in " + Shapes.str(shape));
                inferred = i;
            } else {
                Checks.require(shape[i] >= 0, "reshape", "negative dimension in " + Shapes.str(shape));
                known *= shape[i];
            }
        }
        int[] out = shape.clone();
        if (inferred >= 0) {
            Checks.require(known > 0 && x.numel() % known == 0, "reshape", "cannot reshape "
                    + Shapes.str(x.shape()) + " to " + Shapes.str(shape));
            out[inferred] = (int) (x.numel() / known);
        }
        Checks.require(Shapes.numel(out) == x.numel(), "reshape", "cannot reshape " + Shapes.str(x.shape())
                + " to " + Shapes.str(shape));
        return out;
    }

    /** PyTorch's {@code pixel_shuffle}: [N, C*r*r, H, W] to [N, C, H*r, W*r]. */
    public static Tensor pixelShuffle(Tensor x, int r) {
        Checks.rank("pixelShuffle", "input", x, 4);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Checks.require(r >= 1 && c % (r * r) == 0, "pixelShuffle", "channels of " + Shapes.str(x.shape())
                + " are not divisible by upscale factor squared " + r * r);
        Backend backend = x.backend();
        int[] outShape = {n, c / (r * r), h * r, w * r};
        Storage y = backend.allocate(x.numel());
        backend.pixelShuffle(x.storage(), y, n, c, h, w, r);
        return Tensor.result("pixelShuffle", y, outShape, List.of(x),
                (gy, g) -> backend.pixelShuffleBackward(gy.storage(), g[0].storage(), n, c, h, w, r));
    }

    /**
     * Nearest-neighbour upsampling by an integer factor r, as PyTorch's
     * {@code F.interpolate(x, scale_factor=r, mode='nearest')}: [N, C, H, W] to [N, C, H*r, W*r] with
     * {@code y[n][c][h*r+i][w*r+j] = x[n][c][h][w]}; the backward sums each r x r block of the gradient.
     *
     * <p>Composed from two primitives: broadcasting x, viewed as [N, C, 1, H*W], against zeros [1, 1, r*r, 1]
     * repeats every pixel r*r times as channels [N, C*r*r, H, W], and pixel shuffle places copy i*r+j of
     * pixel (h, w) at (h*r+i, w*r+j). The backward is the adjoint of each, in reverse: pixel shuffle's inverse
     * permutation, then the sum over the broadcast copies.
     */
    public static Tensor upsampleNearest(Tensor x, int factor) {
        Checks.rank("upsampleNearest", "input", x, 4);
        Checks.require(factor >= 1, "upsampleNearest", "scale factor must be positive, got " + factor);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int copies = factor * factor;
        Backend backend = x.backend();
        int[] xShape = {n, c, 1, h * w};
        int[] copiesShape = {n, c, copies, h * w};
        long size = (long) copies * x.numel();
        Storage y = backend.allocate(size);
        try (Storage zeros = backend.allocate(copies); Storage repeated = backend.allocate(size)) {
            backend.binary(BinaryOp.ADD, x.storage(), xShape, zeros, new int[]{1, 1, copies, 1}, repeated,
                    copiesShape);
            backend.pixelShuffle(repeated, y, n, c * copies, h, w, factor);
        }
        return Tensor.result("upsampleNearest", y, new int[]{n, c, h * factor, w * factor}, List.of(x), (gy, g) -> {
            try (Storage gRepeated = backend.allocate(size)) {
                backend.pixelShuffleBackward(gy.storage(), gRepeated, n, c * copies, h, w, factor);
                backend.sumTo(gRepeated, copiesShape, g[0].storage(), xShape, 1);
            }
        });
    }

    /** Concatenates [N, C_i, ...] tensors along dimension 1 (channels); the other dimensions must agree. */
    public static Tensor concatChannels(List<Tensor> parts) {
        Checks.require(!parts.isEmpty(), "concatChannels", "needs at least one tensor");
        Backend backend = Checks.sameBackend("concatChannels", parts.toArray(new Tensor[0]));
        int[] first = parts.get(0).shape();
        Checks.require(first.length >= 2, "concatChannels", "tensors need a channel dimension, got "
                + Shapes.str(first));
        int total = 0;
        for (Tensor t : parts) {
            int[] s = t.shape();
            boolean compatible = s.length == first.length && s[0] == first[0]
                    && Arrays.equals(Arrays.copyOfRange(s, 2, s.length), Arrays.copyOfRange(first, 2, first.length));
            if (!compatible) {
                throw new IllegalArgumentException("concatChannels: shapes " + Shapes.str(first) + " and "
                        + Shapes.str(s) + " differ outside dimension 1");
            }
            total += s[1];
        }
        int n = first[0];
        int hw = (int) (Shapes.numel(first) / ((long) n * first[1]));
        int[] outShape = first.clone();
        outShape[1] = total;
        Storage y = backend.allocate(Shapes.numel(outShape));
        int[] offsets = new int[parts.size()];
        int offset = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor t = parts.get(i);
            offsets[i] = offset;
            backend.copyChannels(t.storage(), t.size(1), 0, y, total, offset, t.size(1), n, hw, false);
            offset += t.size(1);
        }
        int outChannels = total;
        return Tensor.result("concatChannels", y, outShape, parts, (gy, g) -> {
            for (int i = 0; i < g.length; i++) {
                if (g[i] == null) continue;
                int ci = parts.get(i).size(1);
                backend.copyChannels(gy.storage(), outChannels, offsets[i], g[i].storage(), ci, 0, ci, n, hw, true);
            }
        });
    }
}
