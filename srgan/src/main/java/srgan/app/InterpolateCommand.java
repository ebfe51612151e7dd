package srgan.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import srgan.engine.io.HostTensor;
import srgan.model.NetworkInterpolation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code srgan interpolate A B --alpha X -o OUT}: ESRGAN's network interpolation of two generators,
 * {@code (1 - alpha) * A + alpha * B}, tensor by tensor ({@link NetworkInterpolation}).
 */
@Command(name = "interpolate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Interpolate the weights of two networks of one architecture: OUT = (1 - alpha) * A "
                + "+ alpha * B, tensor by tensor (ESRGAN's network interpolation).",
                "Typically A is the MSE-trained generator and B its GAN fine-tuning: alpha trades PSNR for "
                        + "perceptual detail. OUT keeps A's metadata; BatchNorm batch counters are taken from A."})
final class InterpolateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A.safetensors", description = "The weights at alpha = 0.")
    Path a;

    @Parameters(index = "1", paramLabel = "B.safetensors", description = "The weights at alpha = 1.")
    Path b;

    @Option(names = "--alpha", required = true, paramLabel = "X", description = "Weight of B, in [0, 1].")
    double alpha;

    @Option(names = "--extrapolate", description = "Allow --alpha outside [0, 1].")
    boolean extrapolate;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.safetensors",
            description = "The file to write (replaced atomically; may be A or B).")
    Path output;

    @Override
    public Integer call() throws IOException {
        Map<String, HostTensor> result = NetworkInterpolation.interpolateFiles(a, b, alpha, extrapolate, output);
        long values = 0;
        for (HostTensor t : result.values()) values += t.size();
        System.out.printf("%s = (1 - %s) * %s + %s * %s: %d tensors, %d values%n", output, alpha, a, alpha, b,
                result.size(), values);
        return 0;
    }
}
