package srgan.engine.backend;

/**
 * One Adam step's hyper-parameters, PyTorch's {@code torch.optim.Adam} (L2 weight decay added to the gradient,
 * not AdamW). {@code step} counts from 1; bias correction uses it when {@code biasCorrection} is on:
 * <pre>
 *   g  = grad + weightDecay * p
 *   m  = beta1 * m + (1 - beta1) * g
 *   v  = beta2 * v + (1 - beta2) * g^2
 *   mh = m / (1 - beta1^step),  vh = v / (1 - beta2^step)     (or m, v without bias correction)
 *   p -= lr * mh / (sqrt(vh) + eps)
 * </pre>
 * PyTorch evaluates the last line as {@code p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)}; that is
 * the same number up to rounding, and the backends use that form.
 */
public record AdamHyper(double lr, double beta1, double beta2, double eps, double weightDecay,
                        boolean biasCorrection, long step) {
    public AdamHyper {
        if (step < 1) throw new IllegalArgumentException("Adam step counts from 1, got " + step);
    }

    public double biasCorrection1() {
        return biasCorrection ? 1 - Math.pow(beta1, step) : 1;
    }

    public double biasCorrection2() {
        return biasCorrection ? 1 - Math.pow(beta2, step) : 1;
    }
}
