package srgan.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.model.NetworkInterpolation;
import srgan.model.NetworkInterpolationTest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterpolateCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Two state dicts of one architecture, different weights, saved as A and B. */
    private Path[] networks(Map<String, String> metadataB) throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        SafeTensors.write(a, NetworkInterpolationTest.state(1, 10),
                Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(8, 2)"));
        SafeTensors.write(b, NetworkInterpolationTest.state(2, 20), metadataB);
        return new Path[]{a, b};
    }

    @Test
    void writesTheInterpolatedWeightsWithAsMetadata() throws IOException {
        Path[] ab = networks(Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(8, 2)"));
        Path out = dir.resolve("out/g.safetensors");
        Run r = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "0.8", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(out + " = (1 - 0.8) * "), r.out());
        Map<String, HostTensor> expected = NetworkInterpolation.interpolate(SafeTensors.read(ab[0]),
                SafeTensors.read(ab[1]), 0.8);
        assertEquals(expected, SafeTensors.read(out));
        assertEquals(Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(8, 2)"), SafeTensors.metadata(out));
    }

    @Test
    void alphaOutsideTheUnitIntervalNeedsExtrapolate() throws IOException {
        Path[] ab = networks(null);
        Path out = dir.resolve("g.safetensors");
        Run refused = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "1.2", "-o", out.toString());
        assertEquals(1, refused.code());
        assertEquals("srgan: alpha must lie in [0, 1], got 1.2 (extrapolation beyond the two networks must be asked "
                + "for explicitly)", refused.err().strip());
        assertFalse(Files.exists(out));
        Run allowed = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "1.2", "--extrapolate",
                "-o", out.toString());
        assertEquals(0, allowed.code(), allowed.err());
        assertTrue(Files.exists(out));
        Run nan = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "NaN", "--extrapolate",
                "-o", out.toString());
        assertEquals(1, nan.code());
        assertEquals("srgan: alpha must be finite, got NaN", nan.err().strip());
    }

    @Test
    void mismatchesAreOneLineErrors() throws IOException {
        Path[] ab = networks(Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(8, 3)"));
        Path out = dir.resolve("g.safetensors");
        Run arch = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "0.5", "-o", out.toString());
        assertEquals(1, arch.code());
        assertEquals("srgan: different architectures: " + ab[0] + " has srgan.generator SrResNet(8, 2) but " + ab[1]
                + " has SrResNet(8, 3)", arch.err().strip());

        Map<String, HostTensor> fewer = new LinkedHashMap<>(SafeTensors.read(ab[1]));
        fewer.remove("conv.bias");
        Path c = dir.resolve("c.safetensors");
        SafeTensors.write(c, fewer, null);
        Run names = run("interpolate", ab[0].toString(), c.toString(), "--alpha", "0.5", "-o", out.toString());
        assertEquals(1, names.code());
        assertEquals("srgan: " + ab[0] + " and " + c + " hold different tensors; only in " + ab[0] + ": conv.bias",
                names.err().strip());

        Path text = Files.writeString(dir.resolve("text.safetensors"), "not a safetensors file");
        Run unreadable = run("interpolate", ab[0].toString(), text.toString(), "--alpha", "0.5", "-o", out.toString());
        assertEquals(1, unreadable.code());
        assertTrue(unreadable.err().startsWith("srgan: ") && unreadable.err().contains(text.toString())
                && unreadable.err().strip().lines().count() == 1, unreadable.err());
        assertFalse(Files.exists(out));
    }
}
