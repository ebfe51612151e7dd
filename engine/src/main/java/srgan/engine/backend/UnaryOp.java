package srgan.engine.backend;

/**
 * Element-wise functions {@code y = f(x; param)}. The backward rule of each lives in the backends as
 * {@code gx += f'(x, y) * gy}; RELU and LEAKY_RELU read x, TANH and SIGMOID read y (cheaper and exact).
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
    ADD_SCALAR
}
