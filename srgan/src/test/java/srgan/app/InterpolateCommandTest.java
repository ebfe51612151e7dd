package srgan.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.model.NetworkInterpolation;
import srgan.model.NetworkInterpolationTest;

import java.io.IOException;
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

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
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
        CommandRun r = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "0.8", "-o", out.toString());
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
        CommandRun refused = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "1.2", "-o", out.toString());
        assertEquals(1, refused.code());
        assertEquals("srgan: alpha must lie in [0, 1], got 1.2 (extrapolation beyond the two networks must be asked "
                + "for explicitly)", refused.err().strip());
        assertFalse(Files.exists(out));
        CommandRun allowed = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "1.2", "--extrapolate",
                "-o", out.toString());
        assertEquals(0, allowed.code(), allowed.err());
        assertTrue(Files.exists(out));
        CommandRun nan = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "NaN", "--extrapolate",
                "-o", out.toString());
        assertEquals(1, nan.code());
        assertEquals("srgan: alpha must be finite, got NaN", nan.err().strip());
    }

    @Test
    void mismatchesAreOneLineErrors() throws IOException {
        Path[] ab = networks(Map.of(NetworkInterpolation.ARCHITECTURE_KEY, "SrResNet(8, 3)"));
        Path out = dir.resolve("g.safetensors");
        CommandRun arch = run("interpolate", ab[0].toString(), ab[1].toString(), "--alpha", "0.5", "-o", out.toString());
        assertEquals(1, arch.code());
        assertEquals("srgan: different architectures: " + ab[0] + " has srgan.generator SrResNet(8, 2) but " + ab[1]
                + " has SrResNet(8, 3)", arch.err().strip());

        Map<String, HostTensor> fewer = new LinkedHashMap<>(SafeTensors.read(ab[1]));
        fewer.remove("conv.bias");
        Path c = dir.resolve("c.safetensors");
        SafeTensors.write(c, fewer, null);
        CommandRun names = run("interpolate", ab[0].toString(), c.toString(), "--alpha", "0.5", "-o", out.toString());
        assertEquals(1, names.code());
        assertEquals("srgan: " + ab[0] + " and " + c + " hold different tensors; only in " + ab[0] + ": conv.bias",
                names.err().strip());

        Path text = Files.writeString(dir.resolve("text.safetensors"), "not a safetensors file");
        CommandRun unreadable = run("interpolate", ab[0].toString(), text.toString(), "--alpha", "0.5", "-o", out.toString());
        assertEquals(1, unreadable.code());
        assertTrue(unreadable.err().startsWith("srgan: ") && unreadable.err().contains(text.toString())
                && unreadable.err().strip().lines().count() == 1, unreadable.err());
        assertFalse(Files.exists(out));
    }
}
