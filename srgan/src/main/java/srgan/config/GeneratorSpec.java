package srgan.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The generator of a variant. The network is always: head conv (kernel {@code head_kernel}, 3 -> channels,
 * optional BN) + activation; {@code blocks} blocks of {@code block} type; a 3x3 conv (+ BN when
 * {@code batch_norm}) added to the head's output (the long skip); two x2 upsampling stages, each either
 * conv C -> 4C + PixelShuffle(2) or nearest x2 + conv C -> C, followed by the activation; optionally a 3x3
 * "HR" conv + activation (ESRGAN); the tail conv (kernel {@code tail_kernel}, C -> 3); then, when
 * {@code global_skip} is {@code bicubic}, the bicubic x4 upsampling of the input (mapped to [-1, 1]) is added,
 * so that the network learns only the residual; last the {@code output} function.
 *
 * @param block          a block type of {@link srgan.model.Blocks}: {@code residual} (SRResNet:
 *                       conv-BN-act-conv-BN + skip), {@code rrdb} (ESRGAN: three residual dense blocks in a
 *                       residual), {@code dense} (one residual dense block), {@code rcab} (RCAN's channel
 *                       attention), or one registered there
 * @param blocks         number of blocks
 * @param channels       feature width C
 * @param growth         channels each conv of a dense block adds ({@code rrdb} and {@code dense} only)
 * @param batchNorm      batch norm in the residual blocks and after the long-skip conv
 * @param headBatchNorm  batch norm after the head conv (the Paddle reproduction's)
 * @param bnMomentum     batch-norm running-average weight of the batch statistic (PyTorch's convention)
 * @param bnEps          batch-norm epsilon
 * @param activation     the nonlinearity of head, blocks and upsampling stages; see {@link Activation}
 * @param residualScale  each block's residual is multiplied by this before it is added (ESRGAN's 0.2)
 * @param initScale      the blocks' conv weights are multiplied by this after the default init, and their
 *                       biases zeroed when it is not 1 (ESRGAN's 0.1)
 * @param headKernel     odd kernel size of the head conv (9 in the paper, 3 in ESRGAN and the seed)
 * @param tailKernel     odd kernel size of the tail conv (9 in the paper, 3 in ESRGAN, 1 in the seed)
 * @param upsampler      {@code pixel_shuffle} or {@code nearest}
 * @param hrConv         an extra 3x3 conv + activation at full resolution before the tail (ESRGAN)
 * @param output         {@code tanh} or {@code linear}
 * @param globalSkip     {@code none} or {@code bicubic}
 */
public record GeneratorSpec(
        @JsonProperty("block") String block,
        @JsonProperty("blocks") int blocks,
        @JsonProperty("channels") int channels,
        @JsonProperty("growth") int growth,
        @JsonProperty("batch_norm") boolean batchNorm,
        @JsonProperty("head_batch_norm") boolean headBatchNorm,
        @JsonProperty("bn_momentum") double bnMomentum,
        @JsonProperty("bn_eps") double bnEps,
        @JsonProperty("activation") String activation,
        @JsonProperty("residual_scale") double residualScale,
        @JsonProperty("init_scale") double initScale,
        @JsonProperty("head_kernel") int headKernel,
        @JsonProperty("tail_kernel") int tailKernel,
        @JsonProperty("upsampler") Upsampler upsampler,
        @JsonProperty("hr_conv") boolean hrConv,
        @JsonProperty("output") Output output,
        @JsonProperty("global_skip") GlobalSkip globalSkip) {

    public enum Upsampler {
        @JsonProperty("pixel_shuffle") PIXEL_SHUFFLE,
        @JsonProperty("nearest") NEAREST
    }

    public enum Output {
        @JsonProperty("tanh") TANH,
        @JsonProperty("linear") LINEAR
    }

    public enum GlobalSkip {
        @JsonProperty("none") NONE,
        @JsonProperty("bicubic") BICUBIC
    }

    /** The block type of SRResNet, the only one with batch norm. */
    public static final String RESIDUAL = "residual";

    /** The paper's SRResNet: 16 residual blocks of 64 channels, BN, PReLU, 9x9 head and tail, tanh. */
    public static GeneratorSpec paper() {
        return new GeneratorSpec(RESIDUAL, 16, 64, 32, true, false, 0.1, 1e-5, "prelu", 1, 1, 9, 9,
                Upsampler.PIXEL_SHUFFLE, false, Output.TANH, GlobalSkip.NONE);
    }

    /** This spec with another width and depth. */
    public GeneratorSpec withSize(int newChannels, int newBlocks) {
        return new GeneratorSpec(block, newBlocks, newChannels, growth, batchNorm, headBatchNorm, bnMomentum, bnEps,
                activation, residualScale, initScale, headKernel, tailKernel, upsampler, hrConv, output, globalSkip);
    }

    /** The parsed {@link #activation}. */
    public Activation activationFunction() {
        return Activation.parse(activation);
    }

    /** Adds every problem of this spec to {@code problems}, each prefixed by the key that sets it. */
    void check(List<String> problems) {
        String p = "generator.";
        if (block == null || block.isBlank()) problems.add(p + "block is missing (residual, rrdb, dense, rcab, ...)");
        if (upsampler == null) problems.add(p + "upsampler is missing (pixel_shuffle or nearest)");
        if (output == null) problems.add(p + "output is missing (tanh or linear)");
        if (globalSkip == null) problems.add(p + "global_skip is missing (none or bicubic)");
        if (blocks < 0) problems.add(p + "blocks must be >= 0, got " + blocks);
        if (channels < 1) problems.add(p + "channels must be >= 1, got " + channels);
        if (growth < 1) problems.add(p + "growth must be >= 1, got " + growth);
        if (!RESIDUAL.equals(block) && batchNorm) {
            problems.add(p + "batch_norm applies to residual blocks only (ESRGAN's dense blocks have none)");
        }
        if (!(bnMomentum >= 0 && bnMomentum <= 1)) problems.add(p + "bn_momentum must be in [0, 1], got " + bnMomentum);
        if (!(bnEps > 0)) problems.add(p + "bn_eps must be > 0, got " + bnEps);
        if (!(residualScale > 0) || Double.isInfinite(residualScale)) {
            problems.add(p + "residual_scale must be positive, got " + residualScale);
        }
        if (!(initScale > 0) || Double.isInfinite(initScale)) problems.add(p + "init_scale must be positive, got " + initScale);
        if (headKernel < 1 || headKernel % 2 == 0) problems.add(p + "head_kernel must be odd, got " + headKernel);
        if (tailKernel < 1 || tailKernel % 2 == 0) problems.add(p + "tail_kernel must be odd, got " + tailKernel);
        try {
            Activation.parse(activation == null ? "" : activation);
        } catch (IllegalArgumentException e) {
            problems.add(p + "activation: " + e.getMessage());
        }
    }
}
