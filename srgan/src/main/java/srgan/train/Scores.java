package srgan.train;

/**
 * Mean scores over a set of images, as {@code eval} reports them.
 *
 * @param psnr PSNR-Y in dB
 * @param ssim SSIM-Y
 */
public record Scores(double psnr, double ssim) {
}
