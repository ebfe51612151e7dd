package srgan.train;

/**
 * The inputs of one update: {@code size} LR crops in [0, 1] and their HR crops in [-1, 1], both NCHW (N =
 * {@code size}, C = 3, H = W = {@code lrSide} or {@code hrSide}).
 *
 * @param step the 0-based update the batch is for
 */
record Batch(long step, int size, int lrSide, int hrSide, float[] lr, float[] hr) {
}
