package srgan.engine.nn;

import srgan.engine.Rng;
import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.ops.Normalization;

/**
 * The power-iteration state of a spectrally normalised weight, as {@code torch.nn.utils.spectral_norm} keeps it:
 * the left and right singular vector estimates u [out] and v [rest] of the weight viewed as an [out, rest]
 * matrix, registered by the owning layer as the buffers {@code weight_u} and {@code weight_v}.
 */
final class SpectralNormState {
    /** PyTorch's default. */
    static final double EPS = 1e-12;

    final Tensor u;
    final Tensor v;

    /** Draws u, then v, as normalised standard normal vectors (PyTorch's initialisation, in that order). */
    /**
     * Registers a layer's weight and bias under PyTorch's names: {@code weight} and {@code bias}, or, with
     * spectral normalisation, {@code bias}, {@code weight_orig} and the buffers {@code weight_u},
     * {@code weight_v} (spectral_norm re-registers the weight after the bias). Returns the state, or null without
     * spectral normalisation.
     *
     * @param bias the bias, or null when the layer has none
     * @param rng  draws u and v after the caller drew the weight and bias
     */
    static SpectralNormState register(Module layer, Backend backend, Rng rng, Tensor weight, Tensor bias,
                                      boolean spectral) {
        if (!spectral) {
            layer.registerParameter("weight", weight);
            if (bias != null) layer.registerParameter("bias", bias);
            return null;
        }
        if (bias != null) layer.registerParameter("bias", bias);
        layer.registerParameter("weight_orig", weight);
        SpectralNormState state = new SpectralNormState(backend, rng, weight.shape());
        layer.registerBuffer("weight_u", state.u);
        layer.registerBuffer("weight_v", state.v);
        return state;
    }

    SpectralNormState(Backend backend, Rng rng, int[] weightShape) {
        int out = weightShape[0];
        int rest = (int) (Shapes.numel(weightShape) / out);
        this.u = Tensor.ofDoubles(backend, normalizedNormal(rng, out), out);
        this.v = Tensor.ofDoubles(backend, normalizedNormal(rng, rest), rest);
    }

    /** {@code weightOrig / sigma}; in training mode u and v are refined first (see Normalization). */
    Tensor normalize(Tensor weightOrig, boolean training) {
        return Normalization.spectralNormalize(weightOrig, u, v, training, EPS);
    }

    private static double[] normalizedNormal(Rng rng, int n) {
        double[] x = new double[n];
        double squares = 0;
        for (int i = 0; i < n; i++) {
            x[i] = rng.nextGaussian();
            squares += x[i] * x[i];
        }
        double norm = Math.max(Math.sqrt(squares), EPS);
        for (int i = 0; i < n; i++) x[i] /= norm;
        return x;
    }
}
