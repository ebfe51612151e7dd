package srgan.app;

import srgan.inference.Inference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.Rng;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.image.Bicubic;
import srgan.image.RgbImage;
import srgan.config.GeneratorSpec;
import srgan.model.Generator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpscaleCommandTest {
    private static CpuBackend backend;
    private static Generator generator;

    @TempDir
    Path dir;
    private Path model;

    @BeforeAll
    static void buildGenerator() {
        backend = new CpuBackend(2);
        generator = new Generator(backend, new Rng(9), GeneratorSpec.paper().withSize(8, 2));
    }

    @AfterAll
    static void close() {
        generator.close();
        backend.close();
    }

    private Path model() throws IOException {
        if (model == null) {
            model = dir.resolve("g.safetensors");
            generator.save(model);
        }
        return model;
    }

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void oneImageWithTheModelIsTheTiledGeneratorOutputRounded() throws IOException {
        RgbImage lr = UpscaleInferenceTest.randomImage(23, 17, 4);
        Path in = dir.resolve("small.png");
        lr.writePng(in);
        Path out = dir.resolve("big.png");
        CommandRun r = run("upscale", in.toString(), out.toString(), "--model", model().toString(),
                "--device", "cpu", "--tile", "8", "--overlap", "12");
        assertEquals(0, r.code(), r.err());
        RgbImage sr = RgbImage.read(out);
        assertEquals(92, sr.width());
        assertEquals(68, sr.height());
        assertArrayEquals(Inference.upscale(generator, lr).quantized().pixels(), sr.pixels());
        assertFalse(r.err().contains("warning"), r.err());
    }

    @Test
    void aFolderGoesToAFolderOfPngsNamedAfterTheInputs() throws IOException {
        Path in = Files.createDirectories(dir.resolve("in"));
        RgbImage a = UpscaleInferenceTest.randomImage(9, 7, 1);
        a.writePng(in.resolve("a.png"));
        UpscaleInferenceTest.randomImage(6, 11, 2).writePng(in.resolve("b.bmp"));
        Files.writeString(in.resolve("notes.txt"), "skipped");
        Path out = dir.resolve("out/nested"); // created on demand
        CommandRun r = run("upscale", in.toString(), out.toString(), "--model", model().toString(),
                "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("a.png", "b.png"), names(out));
        assertArrayEquals(Inference.upscale(generator, a).quantized().pixels(), RgbImage.read(out.resolve("a.png")).pixels());
        assertEquals(24, RgbImage.read(out.resolve("b.png")).width());
    }

    @Test
    void withoutAModelTheUpscaleIsMatlabBicubic() throws IOException {
        RgbImage lr = UpscaleInferenceTest.randomImage(10, 8, 6);
        Path in = dir.resolve("x.png");
        lr.writePng(in);
        Path outDir = dir.resolve("results");
        CommandRun r = run("upscale", in.toString(), outDir.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Bicubic.resizeToUint8(lr, 4).pixels(), RgbImage.read(outDir.resolve("x.png")).pixels());
    }

    @Test
    void anUnwritableOutputFolderFailsBeforeAnyWork() throws IOException {
        Path in = dir.resolve("in.png");
        UpscaleInferenceTest.randomImage(5, 5, 1).writePng(in);
        Path blocker = Files.writeString(dir.resolve("file"), "a file where a folder should be");
        // The model does not exist either: the output check must come first, before the model is read.
        CommandRun r = run("upscale", in.toString(), blocker.resolve("sub").toString(),
                "--model", dir.resolve("missing.safetensors").toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot write to output folder") && r.err().contains(blocker.toString()), r.err());
        assertFalse(r.err().contains("device:"), "no backend was opened: " + r.err());
    }

    @Test
    void inputErrorsAreReportedWithTheirPaths() throws IOException {
        CommandRun missing = run("upscale", dir.resolve("ghost.png").toString(), dir.resolve("o").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("ghost.png"), missing.err());

        Path in = Files.createDirectories(dir.resolve("dup"));
        UpscaleInferenceTest.randomImage(5, 5, 1).writePng(in.resolve("a.png"));
        UpscaleInferenceTest.randomImage(5, 5, 2).writePng(in.resolve("a.bmp"));
        Path out = dir.resolve("dup-out");
        CommandRun dup = run("upscale", in.toString(), out.toString());
        assertEquals(1, dup.code());
        assertTrue(dup.err().contains("a.bmp") && dup.err().contains("a.png"), dup.err());
        assertFalse(Files.exists(out), "nothing written");

        Path notImage = Files.writeString(dir.resolve("fake.png"), "text");
        CommandRun bad = run("upscale", notImage.toString(), dir.resolve("o2").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("fake.png"), bad.err());
    }

    @Test
    void tooLittleOverlapIsAllowedWithAWarning() throws IOException {
        Path in = dir.resolve("w.png");
        UpscaleInferenceTest.randomImage(12, 12, 3).writePng(in);
        CommandRun r = run("upscale", in.toString(), dir.resolve("w4.png").toString(), "--model",
                model().toString(), "--device", "cpu", "--tile", "6", "--overlap", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: --overlap 4") && r.err().contains("radius 12"), r.err());
    }
}
