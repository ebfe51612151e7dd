package srgan.engine;

import org.junit.jupiter.api.Test;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Layout;
import srgan.engine.ops.Losses;
import srgan.engine.ops.Normalization;
import srgan.engine.testing.GradCheck;
import srgan.engine.testing.InputSpec;

import java.util.List;

import static srgan.engine.testing.InputSpec.Values.POSITIVE;

/**
 * A miniature SRResNet, end to end through the gradient check: 9x9 head + PReLU, one residual block
 * (conv-BN-PReLU-conv-BN + skip), the long skip, a conv + pixel-shuffle(2) + PReLU upsampler, a 9x9 tail,
 * tanh and an MSE loss. Every parameter and the input are checked at once, so the op backward rules must
 * also compose.
 */
class CompositeGradientCheckTest {

    private static int[] s(int... d) {
        return d;
    }

    @Test
    void tinySrResNetPassesGradientCheck() {
        int c = 3; // feature channels: small, and not a multiple of 8
        List<InputSpec> specs = List.of(
                InputSpec.of(s(2, 3, 5, 4)),                  // 0 low-resolution input, batch 2, non-square
                InputSpec.of(s(c, 3, 9, 9)), InputSpec.of(s(c)), // 1-2 head conv 9x9
                InputSpec.of(s(1), POSITIVE),                 // 3 head PReLU (shared alpha)
                InputSpec.of(s(c, c, 3, 3)), InputSpec.of(s(c)), // 4-5 block conv1
                InputSpec.of(s(c), POSITIVE), InputSpec.of(s(c)), // 6-7 block bn1 gamma, beta
                InputSpec.of(s(c), POSITIVE),                 // 8 block PReLU (per channel)
                InputSpec.of(s(c, c, 3, 3)), InputSpec.of(s(c)), // 9-10 block conv2
                InputSpec.of(s(c), POSITIVE), InputSpec.of(s(c)), // 11-12 block bn2
                InputSpec.of(s(4 * c, c, 3, 3)), InputSpec.of(s(4 * c)), // 13-14 upsampling conv
                InputSpec.of(s(1), POSITIVE),                 // 15 upsampler PReLU
                InputSpec.of(s(3, c, 9, 9)), InputSpec.of(s(3)), // 16-17 tail conv 9x9
                InputSpec.of(s(2, 3, 10, 8)),                 // 18 high-resolution target
                InputSpec.constant(s(c), POSITIVE), InputSpec.constant(s(c), POSITIVE), // 19-20 running stats (unused in training)
                InputSpec.constant(s(c), POSITIVE), InputSpec.constant(s(c), POSITIVE));
        try (ReferenceBackend reference = new ReferenceBackend()) {
            GradCheck.check("tiny SRResNet", reference, specs, t -> {
                Tensor head = Activations.prelu(Convolution.conv2d(t.get(0), t.get(1), t.get(2), 1, 4), t.get(3));
                Tensor r = Convolution.conv2d(head, t.get(4), t.get(5), 1, 1);
                r = Normalization.batchNorm2d(r, t.get(6), t.get(7), t.get(19), t.get(20), true, 0.1, 1e-5);
                r = Activations.prelu(r, t.get(8));
                r = Convolution.conv2d(r, t.get(9), t.get(10), 1, 1);
                r = Normalization.batchNorm2d(r, t.get(11), t.get(12), t.get(21), t.get(22), true, 0.1, 1e-5);
                Tensor body = Arithmetic.add(head, r);                     // residual skip
                Tensor up = Convolution.conv2d(Arithmetic.add(body, head), t.get(13), t.get(14), 1, 1); // long skip
                up = Activations.prelu(Layout.pixelShuffle(up, 2), t.get(15));
                Tensor sr = Activations.tanh(Convolution.conv2d(up, t.get(16), t.get(17), 1, 4));
                return Losses.mse(sr, t.get(18));
            }, 11);
        }
    }
}
