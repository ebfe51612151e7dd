package srgan.engine.testing;

import srgan.engine.Tensor;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Dense;
import srgan.engine.ops.Layout;
import srgan.engine.ops.Losses;
import srgan.engine.ops.Normalization;
import srgan.engine.ops.Pooling;
import srgan.engine.ops.Reductions;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static srgan.engine.testing.InputSpec.Values.DISTINCT;
import static srgan.engine.testing.InputSpec.Values.POSITIVE;
import static srgan.engine.testing.InputSpec.Values.PROBABILITY;

/**
 * Every op of the engine, each over shapes that cover batch 1 and batch > 1, odd and non-square sizes,
 * stride 2, padding 0/1/4, 9x9 kernels and channel counts that are not multiples of 8. The gradient-check
 * suite and each backend's parity suite run this one list, so adding an op here tests it everywhere.
 *
 * <p>Parity tolerances (relative to the largest reference magnitude, see {@link OpCase}):
 * <ul>
 *   <li>{@link #EXACT}: pure data movement (reshape, pixel shuffle, concat, max selection) must match
 *       bit for bit, since inputs are exact float32 values.</li>
 *   <li>{@link #ELEMENTWISE}: one float32 rounding (2^-24 ~ 6e-8) or a few ulps of a float32 tanh/exp;
 *       1e-6 leaves a margin of ~10.</li>
 *   <li>{@link #REDUCTION}: sums of K products round with error growing like sqrt(K) * 2^-24 relative to the
 *       terms' magnitude; K here is at most 3*9*9*2 = 486 (the 9x9 weight gradient), ~1.3e-6, and batch-norm
 *       backward subtracts means of such sums; 2e-5 leaves a margin of ~10.</li>
 * </ul>
 */
public final class OpCases {
    public static final double EXACT = 0;
    public static final double ELEMENTWISE = 1e-6;
    public static final double REDUCTION = 2e-5;

    private OpCases() {
    }

    private static int[] s(int... dims) {
        return dims;
    }

    private static OpCase op(String name, List<InputSpec> inputs, Function<List<Tensor>, Tensor> f,
                             double forwardTol, double backwardTol) {
        return new OpCase(name, inputs, f, forwardTol, backwardTol);
    }

    public static List<OpCase> all() {
        List<OpCase> cases = new ArrayList<>();
        arithmetic(cases);
        activations(cases);
        convolutions(cases);
        batchNorms(cases);
        spectralNorms(cases);
        layouts(cases);
        pooling(cases);
        reductions(cases);
        dense(cases);
        losses(cases);
        return cases;
    }

    private static void arithmetic(List<OpCase> cases) {
        int[][][] pairs = {
                {s(2, 3, 5, 4), s(2, 3, 5, 4)},      // same shape
                {s(2, 5, 3, 4), s(1, 5, 1, 1)},      // per-channel over NCHW
                {s(1, 5, 1, 1), s(1, 5, 3, 7)},      // broadcast on the left operand
                {s(3, 7), s(7)},                     // bias over rows, ranks differ
                {s(2, 3, 4, 1), s(1, 1, 1, 5)},      // both operands broadcast
        };
        for (int[][] p : pairs) {
            String shapes = java.util.Arrays.toString(p[0]) + "," + java.util.Arrays.toString(p[1]);
            List<InputSpec> in = List.of(InputSpec.of(p[0]), InputSpec.of(p[1]));
            cases.add(op("add" + shapes, in, t -> Arithmetic.add(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
            cases.add(op("sub" + shapes, in, t -> Arithmetic.sub(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
            cases.add(op("mul" + shapes, in, t -> Arithmetic.mul(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
        }
        cases.add(op("scale[2,3,4,5]", List.of(InputSpec.of(s(2, 3, 4, 5))), t -> Arithmetic.scale(t.get(0), -0.7),
                ELEMENTWISE, ELEMENTWISE));
        cases.add(op("addScalar[1,3,5,7]", List.of(InputSpec.of(s(1, 3, 5, 7))),
                t -> Arithmetic.addScalar(t.get(0), 0.3), ELEMENTWISE, ELEMENTWISE));
        // rsqrt is the RSQRT primitive; reciprocal composes it with products, a few roundings of float32.
        // Divisors are signed but at least 0.05 away from 0, so 1/x stays within 20.
        cases.add(op("reciprocal[2,3,4,5]", List.of(InputSpec.of(s(2, 3, 4, 5))),
                t -> Arithmetic.reciprocal(t.get(0)), ELEMENTWISE, ELEMENTWISE));
        cases.add(op("rsqrt[1,3,5,7]", List.of(InputSpec.of(s(1, 3, 5, 7), POSITIVE)),
                t -> Arithmetic.rsqrt(t.get(0)), ELEMENTWISE, ELEMENTWISE));
        cases.add(op("rsqrt[eps=0.25][3,7]", List.of(InputSpec.of(s(3, 7), PROBABILITY)),
                t -> Arithmetic.rsqrt(t.get(0), 0.25), ELEMENTWISE, ELEMENTWISE));
        int[][][] divisions = {
                {s(2, 3, 5, 4), s(2, 3, 5, 4)},      // same shape
                {s(2, 5, 3, 4), s(1, 5, 1, 1)},      // per-channel divisor
                {s(3, 2, 3, 3), s()},                // by a 0-d scalar, as spectral norm's sigma
        };
        for (int[][] p : divisions) {
            String shapes = java.util.Arrays.toString(p[0]) + "," + java.util.Arrays.toString(p[1]);
            cases.add(op("div" + shapes, List.of(InputSpec.of(p[0]), InputSpec.of(p[1])),
                    t -> Arithmetic.div(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
        }
    }

    private static void activations(List<OpCase> cases) {
        for (int[] shape : new int[][]{s(1, 3, 5, 7), s(3, 2, 4, 4)}) {
            String sh = java.util.Arrays.toString(shape);
            List<InputSpec> in = List.of(InputSpec.of(shape));
            cases.add(op("relu" + sh, in, t -> Activations.relu(t.get(0)), ELEMENTWISE, ELEMENTWISE));
            cases.add(op("leakyRelu0.2" + sh, in, t -> Activations.leakyRelu(t.get(0), 0.2), ELEMENTWISE, ELEMENTWISE));
            cases.add(op("tanh" + sh, in, t -> Activations.tanh(t.get(0)), ELEMENTWISE, ELEMENTWISE));
            cases.add(op("sigmoid" + sh, in, t -> Activations.sigmoid(t.get(0)), ELEMENTWISE, ELEMENTWISE));
        }
        cases.add(op("prelu[shared][2,5,3,4]", List.of(InputSpec.of(s(2, 5, 3, 4)), InputSpec.of(s(1), POSITIVE)),
                t -> Activations.prelu(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
        cases.add(op("prelu[perChannel][1,5,3,7]", List.of(InputSpec.of(s(1, 5, 3, 7)), InputSpec.of(s(5), POSITIVE)),
                t -> Activations.prelu(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
        cases.add(op("prelu[perChannel][3,3]", List.of(InputSpec.of(s(3, 3)), InputSpec.of(s(3), POSITIVE)),
                t -> Activations.prelu(t.get(0), t.get(1)), ELEMENTWISE, REDUCTION));
    }

    /** n, c, h, w, outChannels, kernel, stride, padding, bias (1/0). */
    private static final int[][] CONVS = {
            {1, 3, 7, 5, 4, 3, 1, 1, 1},   // batch 1, non-square, SRResNet's 3x3 "same"
            {2, 5, 8, 6, 3, 3, 2, 1, 1},   // stride 2 as in the discriminator
            {2, 3, 9, 9, 2, 9, 1, 4, 1},   // the 9x9 head/tail with padding 4
            {1, 2, 6, 7, 3, 1, 1, 0, 0},   // 1x1, no bias
            {3, 4, 5, 5, 6, 3, 1, 0, 1},   // padding 0, batch 3
            {2, 3, 11, 10, 5, 3, 2, 0, 0}, // stride 2, padding 0, odd size, no bias
            {1, 3, 12, 11, 2, 9, 1, 4, 0}, // 9x9 on a larger odd image
    };

    private static void convolutions(List<OpCase> cases) {
        for (int[] c : CONVS) {
            int n = c[0], ch = c[1], h = c[2], w = c[3], o = c[4], k = c[5], stride = c[6], pad = c[7];
            boolean bias = c[8] == 1;
            String name = "conv2d[x=" + n + "x" + ch + "x" + h + "x" + w + ",w=" + o + "x" + ch + "x" + k + "x" + k
                    + ",s=" + stride + ",p=" + pad + (bias ? ",bias" : "") + "]";
            List<InputSpec> in = bias
                    ? List.of(InputSpec.of(s(n, ch, h, w)), InputSpec.of(s(o, ch, k, k)), InputSpec.of(s(o)))
                    : List.of(InputSpec.of(s(n, ch, h, w)), InputSpec.of(s(o, ch, k, k)));
            cases.add(op(name, in, t -> Convolution.conv2d(t.get(0), t.get(1), bias ? t.get(2) : null, stride, pad),
                    REDUCTION, REDUCTION));
        }
    }

    private static void batchNorms(List<OpCase> cases) {
        for (int[] shape : new int[][]{s(2, 3, 4, 5), s(1, 5, 3, 3), s(4, 3, 1, 1)}) {
            int c = shape[1];
            List<InputSpec> in = List.of(InputSpec.of(shape), InputSpec.of(s(c), POSITIVE), InputSpec.of(s(c)),
                    InputSpec.constant(s(c), InputSpec.Values.SIGNED_AWAY_FROM_ZERO),
                    InputSpec.constant(s(c), POSITIVE));
            for (boolean training : new boolean[]{true, false}) {
                cases.add(op("batchNorm2d[" + (training ? "train" : "eval") + "]" + java.util.Arrays.toString(shape), in,
                        t -> Normalization.batchNorm2d(t.get(0), t.get(1), t.get(2), t.get(3), t.get(4), training,
                                0.1, 1e-5),
                        REDUCTION, REDUCTION));
            }
        }
        // Batch norm (training) and PReLU as one op, shared and per-channel slopes: fused on the CPU vector path
        // (whose chunking CpuBackendTest covers against the composed primitives), composed elsewhere.
        for (int[] shape : new int[][]{s(2, 3, 4, 5), s(1, 5, 3, 3)}) {
            int c = shape[1];
            for (int slopes : new int[]{1, c}) {
                List<InputSpec> in = List.of(InputSpec.of(shape), InputSpec.of(s(c), POSITIVE), InputSpec.of(s(c)),
                        InputSpec.constant(s(c), InputSpec.Values.SIGNED_AWAY_FROM_ZERO),
                        InputSpec.constant(s(c), POSITIVE), InputSpec.of(s(slopes), POSITIVE));
                cases.add(op("batchNormPrelu[" + (slopes == 1 ? "shared" : "perChannel") + "]"
                                + java.util.Arrays.toString(shape), in,
                        t -> Normalization.batchNormPrelu(t.get(0), t.get(1), t.get(2), t.get(3), t.get(4), 0.1, 1e-5,
                                t.get(5)),
                        REDUCTION, REDUCTION));
            }
        }
    }

    /**
     * Eval mode only: training mode rewrites u and v in place on every call, so finite differences would
     * compare different functions (SpectralNormalizeTest covers it). Positive values keep sigma = u . (W v) well
     * away from 0, where 1 / sigma would amplify every rounding.
     */
    private static void spectralNorms(List<OpCase> cases) {
        int[][] weights = {s(4, 3, 3, 3), s(5, 7)};
        for (int[] w : weights) {
            int out = w[0];
            int rest = (int) (srgan.engine.Shapes.numel(w) / out);
            cases.add(op("spectralNormalize[eval]" + java.util.Arrays.toString(w),
                    List.of(InputSpec.of(w, POSITIVE), InputSpec.constant(s(out), POSITIVE),
                            InputSpec.constant(s(rest), POSITIVE)),
                    t -> Normalization.spectralNormalize(t.get(0), t.get(1), t.get(2), false, 1e-12),
                    REDUCTION, REDUCTION));
        }
    }

    private static void layouts(List<OpCase> cases) {
        cases.add(op("pixelShuffle2[2,8,3,5]", List.of(InputSpec.of(s(2, 8, 3, 5))),
                t -> Layout.pixelShuffle(t.get(0), 2), EXACT, EXACT));
        cases.add(op("pixelShuffle3[1,9,2,3]", List.of(InputSpec.of(s(1, 9, 2, 3))),
                t -> Layout.pixelShuffle(t.get(0), 3), EXACT, EXACT));
        cases.add(op("reshape[2,3,4,5]->[6,-1]", List.of(InputSpec.of(s(2, 3, 4, 5))),
                t -> Layout.reshape(t.get(0), 6, -1), EXACT, EXACT));
        cases.add(op("flatten[3,2,3,3]", List.of(InputSpec.of(s(3, 2, 3, 3))), t -> Layout.flatten(t.get(0)),
                EXACT, EXACT));
        cases.add(op("concatChannels[2,3,4,5]+[2,5,4,5]+[2,1,4,5]",
                List.of(InputSpec.of(s(2, 3, 4, 5)), InputSpec.of(s(2, 5, 4, 5)), InputSpec.of(s(2, 1, 4, 5))),
                t -> Layout.concatChannels(t), EXACT, EXACT));
        // Forward copies values; the backward adds r*r gradients per input, rounded once.
        cases.add(op("upsampleNearest2[2,3,4,5]", List.of(InputSpec.of(s(2, 3, 4, 5))),
                t -> Layout.upsampleNearest(t.get(0), 2), EXACT, ELEMENTWISE));
        cases.add(op("upsampleNearest3[1,2,3,2]", List.of(InputSpec.of(s(1, 2, 3, 2))),
                t -> Layout.upsampleNearest(t.get(0), 3), EXACT, ELEMENTWISE));
        cases.add(op("upsampleNearest1[1,2,3,2]", List.of(InputSpec.of(s(1, 2, 3, 2))),
                t -> Layout.upsampleNearest(t.get(0), 1), EXACT, EXACT));
        cases.add(op("concatChannels[1,2,3]+[1,1,3]", List.of(InputSpec.of(s(1, 2, 3)), InputSpec.of(s(1, 1, 3))),
                t -> Layout.concatChannels(t), EXACT, EXACT));
    }

    private static void pooling(List<OpCase> cases) {
        // Overlapping windows (kernel 3, stride 2) send several gradients to one input: a float32 sum.
        cases.add(op("maxPool2d[k=2,s=2,p=0][2,3,6,8]", List.of(InputSpec.of(s(2, 3, 6, 8), DISTINCT)),
                t -> Pooling.maxPool2d(t.get(0), 2, 2, 0), EXACT, EXACT));
        cases.add(op("maxPool2d[k=3,s=2,p=1][1,2,7,7]", List.of(InputSpec.of(s(1, 2, 7, 7), DISTINCT)),
                t -> Pooling.maxPool2d(t.get(0), 3, 2, 1), EXACT, ELEMENTWISE));
        cases.add(op("maxPool2d[k=2,s=2,p=0][1,3,5,7]", List.of(InputSpec.of(s(1, 3, 5, 7), DISTINCT)),
                t -> Pooling.maxPool2d(t.get(0), 2, 2, 0), EXACT, EXACT));
    }

    private static void reductions(List<OpCase> cases) {
        cases.add(op("sum[2,3,4,5]", List.of(InputSpec.of(s(2, 3, 4, 5))), t -> Reductions.sum(t.get(0)),
                REDUCTION, ELEMENTWISE));
        cases.add(op("mean[1,3,5,7]", List.of(InputSpec.of(s(1, 3, 5, 7))), t -> Reductions.mean(t.get(0)),
                REDUCTION, ELEMENTWISE));
        cases.add(op("sumTo[2,3,4,5]->[1,3,1,1]", List.of(InputSpec.of(s(2, 3, 4, 5))),
                t -> Reductions.sumTo(t.get(0), 1, 3, 1, 1), REDUCTION, ELEMENTWISE));
        cases.add(op("sumTo[3,7]->[7]", List.of(InputSpec.of(s(3, 7))), t -> Reductions.sumTo(t.get(0), 7),
                REDUCTION, ELEMENTWISE));
    }

    private static void dense(List<OpCase> cases) {
        cases.add(op("linear[3,7]x[5,7]+bias", List.of(InputSpec.of(s(3, 7)), InputSpec.of(s(5, 7)), InputSpec.of(s(5))),
                t -> Dense.linear(t.get(0), t.get(1), t.get(2)), REDUCTION, REDUCTION));
        cases.add(op("linear[1,18]x[4,18]", List.of(InputSpec.of(s(1, 18)), InputSpec.of(s(4, 18))),
                t -> Dense.linear(t.get(0), t.get(1), null), REDUCTION, REDUCTION));
    }

    private static void losses(List<OpCase> cases) {
        for (int[] shape : new int[][]{s(2, 3, 4, 5), s(16, 1)}) {
            String sh = java.util.Arrays.toString(shape);
            cases.add(op("mseLoss" + sh, List.of(InputSpec.of(shape), InputSpec.of(shape)),
                    t -> Losses.mse(t.get(0), t.get(1)), REDUCTION, ELEMENTWISE));
            // Inputs and targets from different ranges keep |input - target| away from L1's kink at 0.
            cases.add(op("l1Loss" + sh, List.of(InputSpec.of(shape), InputSpec.of(shape, POSITIVE)),
                    t -> Losses.l1(Arithmetic.scale(t.get(0), 0.4), t.get(1)), REDUCTION, ELEMENTWISE));
            cases.add(op("bceWithLogits" + sh, List.of(InputSpec.of(shape), InputSpec.of(shape, PROBABILITY)),
                    t -> Losses.bceWithLogits(Arithmetic.scale(t.get(0), 4), t.get(1)), REDUCTION, ELEMENTWISE));
        }
    }
}
