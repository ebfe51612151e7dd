package srgan.image;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An RGB image held as planar floats: {@code pixels} is CHW (C = 3 planes R, G, B; H = {@code height} rows;
 * W = {@code width} columns), on the 0..255 scale. Values are not rounded or clamped unless a method says so,
 * so an image can carry the unrounded output of a resize or a network.
 *
 * <p>Images are values: every method returns a new image and never changes this one. The record does not
 * copy {@code pixels} on construction, so the caller that builds one should not change the array afterwards.
 * As with any record holding an array, {@code equals} compares the array by identity.
 *
 * <p>{@link #read} accepts what {@code javax.imageio} reads (PNG, JPEG, BMP, GIF) and always yields 8-bit RGB,
 * as PIL's {@code Image.convert("RGB")} does, so the numbers agree with the Python reference harness:
 * grayscale is copied into the three planes (no gamma conversion), palette images are looked up, an alpha
 * channel is dropped (the stored colour is kept, not blended over a background), and 16-bit samples are
 * scaled to 8 bits by {@code round(v * 255 / 65535)}.
 */
public record RgbImage(int width, int height, float[] pixels) {

    /** @throws IllegalArgumentException if a size is not positive or {@code pixels} is not 3 x H x W long */
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels == null || (long) pixels.length != 3L * width * height) {
            throw new IllegalArgumentException("an RGB " + width + "x" + height + " image needs " + 3L * width * height
                    + " floats, got " + (pixels == null ? "null" : pixels.length));
        }
    }

    /** A black image. */
    public static RgbImage zeros(int width, int height) {
        return new RgbImage(width, height, new float[3 * width * height]);
    }

    /** Number of pixels per plane, H x W. */
    public int planeSize() {
        return width * height;
    }

    /** The value of plane {@code c} (0 = R, 1 = G, 2 = B) at column {@code x}, row {@code y}. */
    public float get(int c, int x, int y) {
        return pixels[(c * height + y) * width + x];
    }

    // ---- files ----

    /**
     * Reads a PNG, JPEG, BMP or GIF file as 8-bit RGB (see the class comment for the conversions).
     *
     * @throws IOException naming the file if it cannot be read or is not an image ImageIO can decode
     */
    public static RgbImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("cannot read image " + file + (Files.exists(file) ? ": not a file" : ": no such file"));
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            // ImageIO's messages ("Error reading PNG metadata") do not say which file was at fault.
            throw new IOException("cannot read image " + file + ": " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IOException("cannot read image " + file + ": not a PNG, JPEG, BMP or GIF image");
        }
        return fromBufferedImage(img);
    }

    /**
     * Converts a decoded image to 8-bit RGB, as {@link #read} documents. An image whose colour model is
     * premultiplied by alpha is converted to straight alpha in place first.
     */
    public static RgbImage fromBufferedImage(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight(), n = w * h;
        float[] px = new float[3 * n];
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm.isAlphaPremultiplied()) {
            // Dropping alpha must give the stored colour, so undo a premultiplication first (ImageIO's readers
            // never premultiply; this guards images built in code).
            img.coerceData(false);
            raster = img.getRaster();
        }
        boolean rawSamples = !(cm instanceof IndexColorModel)
                && (cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
                || cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_RGB);
        if (rawSamples) {
            // Samples straight from the raster: BufferedImage.getRGB would gamma-convert linear-gray images
            // (ImageIO decodes grayscale PNGs into the linear CS_GRAY space), which PIL does not do.
            int colours = cm.getNumColorComponents();
            int[] row = new int[w];
            for (int c = 0; c < 3; c++) {
                int band = colours == 1 ? 0 : c;
                double max = (1L << cm.getComponentSize(band)) - 1;
                for (int y = 0; y < h; y++) {
                    raster.getSamples(0, y, w, 1, band, row);
                    int base = c * n + y * w;
                    if (max == 255) {
                        for (int x = 0; x < w; x++) px[base + x] = row[x];
                    } else {
                        for (int x = 0; x < w; x++) px[base + x] = (float) Math.rint(row[x] * 255.0 / max);
                    }
                }
            }
        } else {
            // Palette and other colour spaces: let the colour model convert to 8-bit sRGB, alpha ignored.
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < n; i++) {
                px[i] = (argb[i] >> 16) & 0xFF;
                px[n + i] = (argb[i] >> 8) & 0xFF;
                px[2 * n + i] = argb[i] & 0xFF;
            }
        }
        return new RgbImage(w, h, px);
    }

    /** This image as an 8-bit {@code TYPE_INT_RGB} BufferedImage, values rounded and clamped to 0..255. */
    public BufferedImage toBufferedImage() {
        int n = planeSize();
        int[] rgb = new int[n];
        for (int i = 0; i < n; i++) {
            rgb[i] = (toByte(pixels[i]) << 16) | (toByte(pixels[n + i]) << 8) | toByte(pixels[2 * n + i]);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, width, height, rgb, 0, width);
        return img;
    }

    /** Writes an 8-bit RGB PNG, values rounded and clamped to 0..255. */
    public void writePng(Path file) throws IOException {
        if (!ImageIO.write(toBufferedImage(), "png", file.toFile())) {
            throw new IOException("cannot write " + file + ": no PNG writer available");
        }
    }

    /**
     * Rounds to the nearest integer, half away from zero as MATLAB's uint8 conversion does, after clamping to
     * 0..255 (so NaN becomes 0).
     */
    public static float toUint8(double v) {
        if (!(v > 0)) return 0;
        if (v >= 255) return 255;
        return (float) Math.floor(v + 0.5);
    }

    private static int toByte(float v) {
        return (int) toUint8(v);
    }

    /** A copy with every value rounded and clamped to 0..255, as an 8-bit image would hold it. */
    public RgbImage quantized() {
        float[] out = new float[pixels.length];
        for (int i = 0; i < out.length; i++) out[i] = toUint8(pixels[i]);
        return new RgbImage(width, height, out);
    }

    // ---- geometry ----

    /**
     * The {@code w} x {@code h} window whose top-left pixel is ({@code x}, {@code y}).
     *
     * @throws IllegalArgumentException if the window is empty or leaves the image
     */
    public RgbImage crop(int x, int y, int w, int h) {
        if (w <= 0 || h <= 0 || x < 0 || y < 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + " at (" + x + ", " + y + ") does not fit in a "
                    + width + "x" + height + " image");
        }
        float[] out = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int r = 0; r < h; r++) {
                System.arraycopy(pixels, (c * height + y + r) * width + x, out, (c * h + r) * w, w);
            }
        }
        return new RgbImage(w, h, out);
    }

    /**
     * The top-left part whose sides are multiples of {@code scale} (the SR evaluation convention, which drops
     * the last {@code width % scale} columns and {@code height % scale} rows). Returns this image when nothing
     * is dropped.
     *
     * @throws IllegalArgumentException if the image is smaller than {@code scale}
     */
    public RgbImage modCrop(int scale) {
        if (scale <= 0) throw new IllegalArgumentException("scale must be positive, got " + scale);
        int w = width - width % scale, h = height - height % scale;
        if (w == 0 || h == 0) {
            throw new IllegalArgumentException("a " + width + "x" + height + " image is smaller than scale " + scale);
        }
        return w == width && h == height ? this : crop(0, 0, w, h);
    }

    /** The mirror image, left and right swapped. */
    public RgbImage flipHorizontal() {
        float[] out = new float[pixels.length];
        for (int row = 0; row < 3 * height; row++) {
            int base = row * width;
            for (int x = 0; x < width; x++) out[base + x] = pixels[base + width - 1 - x];
        }
        return new RgbImage(width, height, out);
    }

    /**
     * The image turned 90 degrees counter-clockwise, as {@code numpy.rot90}: the result is {@code height} wide
     * and {@code width} high, and its pixel (x, y) is this image's (width - 1 - y, x).
     */
    public RgbImage rotate90() {
        int ow = height, oh = width;
        float[] out = new float[pixels.length];
        for (int c = 0; c < 3; c++) {
            int src = c * width * height, dst = c * ow * oh;
            for (int y = 0; y < oh; y++) {
                int sx = width - 1 - y;
                for (int x = 0; x < ow; x++) out[dst + y * ow + x] = pixels[src + x * width + sx];
            }
        }
        return new RgbImage(ow, oh, out);
    }

    // ---- tensors ----

    /**
     * The CHW values mapped linearly from 0..255 to [{@code lo}, {@code hi}]: (0, 1) for the generator's LR
     * input, (-1, 1) for HR targets. A new array, ready for {@code Tensor.of(backend, data, 1, 3, H, W)}.
     */
    public float[] toTensorData(float lo, float hi) {
        float[] out = new float[pixels.length];
        double k = (hi - lo) / 255.0;
        for (int i = 0; i < out.length; i++) out[i] = (float) (lo + pixels[i] * k);
        return out;
    }

    /**
     * The inverse of {@link #toTensorData}: CHW values on [{@code lo}, {@code hi}] mapped to 0..255, neither
     * rounded nor clamped. The array is copied.
     *
     * @throws IllegalArgumentException if {@code chw} is not 3 x h x w long or {@code lo == hi}
     */
    public static RgbImage fromTensorData(float[] chw, int w, int h, float lo, float hi) {
        if (!(hi != lo)) throw new IllegalArgumentException("empty range [" + lo + ", " + hi + "]");
        if ((long) chw.length != 3L * w * h) {
            throw new IllegalArgumentException("a 3x" + h + "x" + w + " tensor has " + 3L * w * h + " values, got "
                    + chw.length);
        }
        float[] out = new float[chw.length];
        double k = 255.0 / (hi - lo);
        for (int i = 0; i < out.length; i++) out[i] = (float) ((chw[i] - lo) * k);
        return new RgbImage(w, h, out);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
