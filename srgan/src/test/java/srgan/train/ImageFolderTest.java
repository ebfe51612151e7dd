package srgan.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.image.RgbImage;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFolderTest {

    @TempDir
    Path tmp;

    @Test
    void findsImagesRecursivelyInPathOrderAndSkipsOthersWithOneWarningEach() throws IOException {
        TrainRuns.writeRamp(tmp.resolve("b.png"), 40, 30);
        TrainRuns.writeRamp(tmp.resolve("a/deeper/c.png"), 32, 32);
        TrainRuns.writeRamp(tmp.resolve("a/small.png"), 40, 20);
        Files.writeString(tmp.resolve("notes.txt"), "not an image");
        Files.write(tmp.resolve("a/broken.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G'});
        List<String> warnings = new ArrayList<>();
        ImageFolder folder = ImageFolder.open("--data", tmp, 24, Long.MAX_VALUE, warnings::add);

        assertEquals(2, folder.size());
        assertEquals("a/deeper/c.png".replace('/', java.io.File.separatorChar), folder.name(0));
        assertEquals("b.png", folder.name(1));
        assertEquals(40, folder.width(1));
        assertEquals(30, folder.height(1));
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("notes.txt") && w.contains("not an image")),
                warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("small.png")
                && w.contains("40x20 is smaller than 24x24")), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("broken.png")), warnings.toString());
        // Pixels are those RgbImage.read gives.
        RgbImage expected = RgbImage.read(tmp.resolve("b.png"));
        assertArrayEquals(expected.pixels(), folder.image(1).unpack().pixels());
    }

    @Test
    void decodesLazilyWithABoundedCacheWhenTheImagesDoNotFit() throws IOException {
        for (int i = 0; i < 4; i++) TrainRuns.writeRamp(tmp.resolve("img" + i + ".png"), 30 + i, 30);
        // Room for about one image: every access decodes again or hits the one cached.
        ImageFolder folder = ImageFolder.open("--data", tmp, 16, 3 * 31 * 30, w -> { });
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 4; i++) {
                PackedImage img = folder.image(i);
                assertEquals(30 + i, img.width());
                assertArrayEquals(RgbImage.read(tmp.resolve("img" + i + ".png")).pixels(), img.unpack().pixels());
            }
        }
    }

    @Test
    void aMissingFolderAFileAnEmptyFolderAndAFolderOfNothingUsableAreErrors() throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.open("--data", tmp.resolve("nope"), 16, 1 << 20, w -> { }));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

        Files.writeString(tmp.resolve("file.txt"), "x");
        IllegalArgumentException file = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.open("--data", tmp.resolve("file.txt"), 16, 1 << 20, w -> { }));
        assertTrue(file.getMessage().contains("is not a folder"), file.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty/sub"));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.open("--val", empty.getParent(), 16, 1 << 20, w -> { }));
        assertTrue(none.getMessage().startsWith("--val") && none.getMessage().contains("is empty"), none.getMessage());

        Path useless = tmp.resolve("useless");
        TrainRuns.writeRamp(useless.resolve("tiny.png"), 8, 8);
        Files.writeString(useless.resolve("readme.md"), "# no images here");
        List<String> warnings = new ArrayList<>();
        IllegalArgumentException nothing = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.open("--data", useless, 16, 1 << 20, warnings::add));
        assertTrue(nothing.getMessage().contains("no usable image") && nothing.getMessage().contains("16x16"),
                nothing.getMessage());
        assertEquals(2, warnings.size());
    }

    @Test
    void grayscaleSixteenBitAndAlphaImagesBecomeEightBitRgb() throws IOException {
        BufferedImage gray = new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(3, 4, 0, 200);
        TrainRuns.writePng(tmp.resolve("gray.png"), gray);
        BufferedImage deep = new BufferedImage(20, 20, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setSample(3, 4, 0, 65535);
        TrainRuns.writePng(tmp.resolve("deep.png"), deep);
        BufferedImage alpha = new BufferedImage(20, 20, BufferedImage.TYPE_INT_ARGB);
        alpha.setRGB(3, 4, 0x40102030); // mostly transparent: the stored colour is kept, alpha dropped
        TrainRuns.writePng(tmp.resolve("alpha.png"), alpha);
        ImageFolder folder = ImageFolder.open("--data", tmp, 16, Long.MAX_VALUE, w -> { });
        RgbImage alphaRgb = folder.image(0).unpack();
        RgbImage deepRgb = folder.image(1).unpack();
        RgbImage grayRgb = folder.image(2).unpack();
        for (int c = 0; c < 3; c++) {
            assertEquals(255f, deepRgb.get(c, 3, 4));
            assertEquals(200f, grayRgb.get(c, 3, 4));
            assertEquals(0f, grayRgb.get(c, 0, 0));
            assertEquals(0x10 + 0x10 * c, alphaRgb.get(c, 3, 4));
        }
    }
}
