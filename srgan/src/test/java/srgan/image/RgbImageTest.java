package srgan.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RgbImageTest {
    @TempDir
    Path dir;

    private static RgbImage ramp(int w, int h) {
        float[] px = new float[3 * w * h];
        for (int i = 0; i < px.length; i++) px[i] = i;
        return new RgbImage(w, h, px);
    }

    private static void assertPixel(RgbImage img, int x, int y, int r, int g, int b) {
        assertArrayEquals(new float[]{r, g, b}, new float[]{img.get(0, x, y), img.get(1, x, y), img.get(2, x, y)},
                "pixel (" + x + ", " + y + ")");
    }

    private Path write(BufferedImage img, String name) throws IOException {
        Path f = dir.resolve(name);
        assertTrue(ImageIO.write(img, name.substring(name.lastIndexOf('.') + 1), f.toFile()), "writer for " + name);
        return f;
    }

    @Test
    void grayscaleIsCopiedIntoThreePlanesWithoutGamma() throws IOException {
        BufferedImage g = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 6; i++) g.getRaster().setSample(i % 3, i / 3, 0, 30 * i + 7);
        RgbImage img = RgbImage.read(write(g, "gray.png"));
        // BufferedImage.getRGB would turn 37 into 106 (linear gray to sRGB); PIL and we keep the stored value.
        for (int i = 0; i < 6; i++) assertPixel(img, i % 3, i / 3, 30 * i + 7, 30 * i + 7, 30 * i + 7);
    }

    @Test
    void sixteenBitSamplesAreScaledToEightBits() throws IOException {
        BufferedImage g = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        g.getRaster().setSample(0, 0, 0, 9129);
        g.getRaster().setSample(1, 0, 0, 65535);
        RgbImage gray = RgbImage.read(write(g, "gray16.png"));
        assertPixel(gray, 0, 0, 36, 36, 36); // round(9129 * 255 / 65535) = round(35.52)
        assertPixel(gray, 1, 0, 255, 255, 255);

        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                new int[]{16, 16, 16}, false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        BufferedImage rgb = new BufferedImage(cm, cm.createCompatibleWritableRaster(1, 1), false, null);
        rgb.getRaster().setPixel(0, 0, new int[]{128, 32896, 65407});
        // 128/257 = 0.498 -> 0; 32896/257 = 128 exactly; 65407/257 = 254.5 -> 255
        assertPixel(RgbImage.read(write(rgb, "rgb16.png")), 0, 0, 0, 128, 255);
    }

    @Test
    void alphaIsDroppedNotBlended() throws IOException {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00_C8_64_32); // fully transparent, colour (200, 100, 50)
        argb.setRGB(1, 0, 0x80_0A_DC_1E); // half transparent, colour (10, 220, 30)
        RgbImage img = RgbImage.read(write(argb, "alpha.png"));
        assertPixel(img, 0, 0, 200, 100, 50);
        assertPixel(img, 1, 0, 10, 220, 30);
    }

    @Test
    void paletteImagesAreLookedUp() throws IOException {
        byte[] r = {0, (byte) 200, 10, (byte) 255}, g = {0, 100, (byte) 220, (byte) 255}, b = {0, 50, 30, (byte) 255};
        BufferedImage pal = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(2, 4, r, g, b));
        for (int i = 0; i < 4; i++) pal.getRaster().setSample(i, 0, 0, 3 - i);
        RgbImage img = RgbImage.read(write(pal, "palette.png"));
        assertPixel(img, 0, 0, 255, 255, 255);
        assertPixel(img, 1, 0, 10, 220, 30);
        assertPixel(img, 2, 0, 200, 100, 50);
        assertPixel(img, 3, 0, 0, 0, 0);
    }

    @Test
    void jpegIsReadAsRgb() throws IOException {
        BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) rgb.setRGB(x, y, 0x3C_96_D2);
        RgbImage img = RgbImage.read(write(rgb, "flat.jpg"));
        assertEquals(16, img.width());
        // JPEG is lossy; a flat colour comes back within the chroma rounding of the codec.
        assertEquals(0x3C, img.get(0, 5, 5), 3);
        assertEquals(0x96, img.get(1, 5, 5), 3);
        assertEquals(0xD2, img.get(2, 5, 5), 3);
    }

    @Test
    void aFileThatIsNotAnImageIsAnIOExceptionNamingIt() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.png"), "not a picture");
        IOException e = assertThrows(IOException.class, () -> RgbImage.read(text));
        assertTrue(e.getMessage().contains(text.toString()), e.getMessage());
        Path missing = dir.resolve("missing.png");
        IOException m = assertThrows(IOException.class, () -> RgbImage.read(missing));
        assertTrue(m.getMessage().contains(missing.toString()), m.getMessage());
    }

    @Test
    void writePngRoundsAndClamps() throws IOException {
        RgbImage img = new RgbImage(2, 1, new float[]{-3.2f, 254.6f, 100.5f, 99.49f, 300f, 0.5f});
        Path f = dir.resolve("out.png");
        img.writePng(f);
        RgbImage back = RgbImage.read(f);
        assertArrayEquals(new float[]{0, 255, 101, 99, 255, 1}, back.pixels());
        assertArrayEquals(back.pixels(), img.quantized().pixels());
    }

    @Test
    void sharedGrayscaleImageReadsAsPilReadsIt() throws IOException {
        // Set14/bridge.png is an 8-bit grayscale PNG. Expected values from the harness (run in ../shared/bench):
        //   env PATH=$(getconf PATH) python3 -c "import sys; sys.path.insert(0,'.'); from sr_metrics import *;
        //     a = load_rgb('../data/Set14/bridge.png'); print(a.shape, a.sum(), a[0,0], a[100,37], a[511,511])"
        //   -> (512, 512, 3) 89497146.0 [93 93 93] [158 158 158] [0 0 0]
        RgbImage img = RgbImage.read(SharedData.dataset("Set14").resolve("bridge.png"));
        assertEquals(512, img.width());
        assertEquals(512, img.height());
        double sum = 0;
        for (float v : img.pixels()) sum += v;
        assertEquals(89497146.0, sum);
        assertPixel(img, 0, 0, 93, 93, 93);
        assertPixel(img, 37, 100, 158, 158, 158);
        assertPixel(img, 511, 511, 0, 0, 0);
    }

    @Test
    void sharedColourImageReadsAsPilReadsIt() throws IOException {
        // Same command on '../data/Set5/butterfly.png', b[0,0], b[100,37], b[255,255]:
        //   -> (256, 256, 3) 22612247.0 [42 30 22] [51 40 22] [148 103 74]
        RgbImage img = RgbImage.read(SharedData.dataset("Set5").resolve("butterfly.png"));
        double sum = 0;
        for (float v : img.pixels()) sum += v;
        assertEquals(22612247.0, sum);
        assertPixel(img, 0, 0, 42, 30, 22);
        assertPixel(img, 37, 100, 51, 40, 22);
        assertPixel(img, 255, 255, 148, 103, 74);
    }

    @Test
    void cropTakesTheWindowOfEveryPlane() {
        RgbImage img = ramp(5, 4);
        RgbImage c = img.crop(1, 2, 3, 2);
        assertEquals(3, c.width());
        assertEquals(2, c.height());
        for (int p = 0; p < 3; p++) {
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 3; x++) assertEquals(img.get(p, x + 1, y + 2), c.get(p, x, y));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> img.crop(3, 0, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> img.crop(0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> img.crop(-1, 0, 2, 2));
    }

    @Test
    void modCropKeepsTheTopLeftMultipleOfTheScale() {
        RgbImage img = ramp(10, 7);
        RgbImage m = img.modCrop(4);
        assertEquals(8, m.width());
        assertEquals(4, m.height());
        assertArrayEquals(img.crop(0, 0, 8, 4).pixels(), m.pixels());
        RgbImage exact = ramp(8, 4);
        assertTrue(exact.modCrop(4) == exact, "nothing to drop: same image");
        assertThrows(IllegalArgumentException.class, () -> ramp(3, 9).modCrop(4));
    }

    @Test
    void flipHorizontalMirrorsColumns() {
        RgbImage img = ramp(4, 3);
        RgbImage f = img.flipHorizontal();
        for (int p = 0; p < 3; p++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 4; x++) assertEquals(img.get(p, 3 - x, y), f.get(p, x, y));
            }
        }
        assertArrayEquals(img.pixels(), f.flipHorizontal().pixels());
    }

    @Test
    void rotate90TurnsCounterClockwiseAndFourTurnsAreTheIdentity() {
        RgbImage img = ramp(4, 3);
        RgbImage r = img.rotate90();
        assertEquals(3, r.width());
        assertEquals(4, r.height());
        // numpy.rot90: the top-right corner goes to the top-left, the top-left to the bottom-left.
        for (int p = 0; p < 3; p++) {
            assertEquals(img.get(p, 3, 0), r.get(p, 0, 0));
            assertEquals(img.get(p, 0, 0), r.get(p, 0, 3));
            assertEquals(img.get(p, 0, 2), r.get(p, 2, 3));
            assertEquals(img.get(p, 3, 2), r.get(p, 2, 0));
        }
        assertArrayEquals(img.pixels(), r.rotate90().rotate90().rotate90().pixels());
    }

    @Test
    void tensorDataMapsTheRangeBothWays() {
        RgbImage img = new RgbImage(1, 1, new float[]{0, 127.5f, 255});
        assertArrayEquals(new float[]{0, 0.5f, 1}, img.toTensorData(0, 1), 1e-7f);
        assertArrayEquals(new float[]{-1, 0, 1}, img.toTensorData(-1, 1), 1e-7f);
        RgbImage back = RgbImage.fromTensorData(new float[]{-1, 0, 1.2f}, 1, 1, -1, 1);
        assertArrayEquals(new float[]{0, 127.5f, 280.5f}, back.pixels(), 1e-4f); // not clamped
        RgbImage r = ramp(3, 2);
        assertArrayEquals(r.pixels(), RgbImage.fromTensorData(r.toTensorData(-1, 1), 3, 2, -1, 1).pixels(), 1e-4f);
        assertThrows(IllegalArgumentException.class, () -> RgbImage.fromTensorData(new float[5], 1, 1, 0, 1));
    }

    @Test
    void constructorChecksTheArrayLength() {
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(2, 2, new float[11]));
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(0, 2, new float[0]));
    }
}
