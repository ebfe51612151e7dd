package srgan.engine.backend;

/** Losses reduced by the mean over all elements, as PyTorch's default {@code reduction='mean'}. */
public enum LossKind {
    /** mean((input - target)^2). */
    MSE,
    /** mean(|input - target|); the gradient of |0| is 0, as in PyTorch. */
    L1,
    /**
     * mean(max(x, 0) - x * t + log(1 + exp(-|x|))) with x the logits (input) and t the target: the
     * numerically stable form, which never evaluates exp of a large positive number.
     */
    BCE_WITH_LOGITS
}
