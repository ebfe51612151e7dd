package srgan.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The discriminator of a variant.
 *
 * @param type         {@code paper} (8 convs 3x3, dense 1024, dense 1) or {@code seed} (the Paddle
 *                     reproduction's eight 4x4 stride-2 convs up to 2048 channels, a residual 3x3 branch, dense
 *                     1; it needs HR crops of at least 256)
 * @param batchNorm    batch norm after every conv but the first
 * @param spectralNorm spectral normalisation of every conv and dense weight (Miyato et al. 2018)
 */
public record DiscriminatorSpec(
        @JsonProperty("type") Type type,
        @JsonProperty("batch_norm") boolean batchNorm,
        @JsonProperty("spectral_norm") boolean spectralNorm) {

    public enum Type {
        @JsonProperty("paper") PAPER,
        @JsonProperty("seed") SEED
    }

    /** The paper's discriminator, with BN and without spectral norm. */
    public static DiscriminatorSpec paper() {
        return new DiscriminatorSpec(Type.PAPER, true, false);
    }

    void check(List<String> problems) {
        if (type == null) problems.add("discriminator.type is missing (paper or seed)");
    }
}
