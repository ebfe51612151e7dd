package srgan.engine.backend;

/**
 * Element-wise functions {@code y = f(x; param)}. The backward rule of each lives in the backends as
 * {@code gx += f'(x, y) * gy}; RELU and LEAKY_RELU read x, TANH, SIGMOID and RSQRT read y (cheaper and exact).
 */
public enum UnaryOp {
    /** max(x, 0); gradient 0 at x = 0 (PyTorch's convention). */
    RELU,
    /** x for x > 0, param * x otherwise; gradient param at x = 0 (PyTorch's convention). */
    LEAKY_RELU,
    TANH,
    SIGMOID,
    /** param * x. */
    SCALE,
    /** x + param. */
    ADD_SCALAR,
    /**
     * {@code 1 / sqrt(x + param)}, as {@code torch.rsqrt(x + param)}; param is an eps that keeps x = 0 finite.
     * Backends that compute in double add param in double, so an eps below x's float32 resolution still counts.
     * The derivative is {@code -y^3 / 2}. NaN for {@code x + param < 0}, infinite at 0.
     */
    RSQRT
}
