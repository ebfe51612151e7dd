package srgan.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The optimiser settings a variant recommends; the command line's {@code --lr} and {@code --warmup} override
 * them.
 *
 * @param lr          Adam learning rate (the paper's 1e-4)
 * @param warmupSteps the learning rate rises linearly from lr/warmup to lr over this many first updates
 */
public record TrainingSpec(@JsonProperty("lr") double lr, @JsonProperty("warmup_steps") long warmupSteps) {

    public static TrainingSpec paper() {
        return new TrainingSpec(1e-4, 0);
    }

    void check(List<String> problems) {
        if (!(lr > 0) || Double.isInfinite(lr)) problems.add("train.lr must be positive and finite, got " + lr);
        if (warmupSteps < 0) problems.add("train.warmup_steps must be >= 0, got " + warmupSteps);
    }
}
