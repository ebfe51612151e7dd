package srgan.engine.backend;

/** Element-wise binary operations with broadcasting, {@code out = a OP b}. */
public enum BinaryOp {
    ADD,
    SUB,
    MUL
}
