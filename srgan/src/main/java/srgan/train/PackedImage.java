package srgan.train;

import srgan.image.RgbImage;

/**
 * An 8-bit RGB image kept compactly for the training cache: planar bytes (CHW, C = 3), a quarter of the memory
 * of an {@link RgbImage}'s floats. Lossless for anything {@link RgbImage#read} returns, whose values are whole
 * numbers in 0..255.
 */
record PackedImage(String name, int width, int height, byte[] planes) {

    /** Packs {@code image}, whose values must be whole numbers in 0..255 (they are rounded and clamped). */
    static PackedImage of(String name, RgbImage image) {
        float[] px = image.pixels();
        byte[] b = new byte[px.length];
        for (int i = 0; i < px.length; i++) b[i] = (byte) (int) RgbImage.toUint8(px[i]);
        return new PackedImage(name, image.width(), image.height(), b);
    }

    /** Bytes of memory the planes take. */
    long bytes() {
        return planes.length;
    }

    /** The {@code w} x {@code h} window at ({@code x}, {@code y}) as an {@link RgbImage}. */
    RgbImage crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + " at (" + x + ", " + y + ") does not fit in "
                    + name + " (" + width + "x" + height + ")");
        }
        float[] out = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int r = 0; r < h; r++) {
                int src = (c * height + y + r) * width + x;
                int dst = (c * h + r) * w;
                for (int i = 0; i < w; i++) out[dst + i] = planes[src + i] & 0xFF;
            }
        }
        return new RgbImage(w, h, out);
    }

    /** The whole image as an {@link RgbImage}. */
    RgbImage unpack() {
        return crop(0, 0, width, height);
    }
}
