package srgan.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.List;

/**
 * A layer variant: the generator, the discriminator, the losses and the optimiser settings it trains with.
 * Read from YAML by {@link VariantConfigs}, which also knows the named presets ({@code srgan-paper},
 * {@code srgan-fast}, {@code seed-paddle}, {@code esrgan}, ...).
 *
 * @param name          what tables and plots call it
 * @param description   one line for humans
 */
public record VariantConfig(
        @JsonProperty("name") String name,
        @JsonProperty("description") String description,
        @JsonProperty("generator") GeneratorSpec generator,
        @JsonProperty("discriminator") DiscriminatorSpec discriminator,
        @JsonProperty("loss") LossSpec loss,
        @JsonProperty("train") TrainingSpec train) {

    /** The paper's SRGAN, as built into the code (the {@code srgan-paper} preset file says the same). */
    public static VariantConfig paper() {
        return new VariantConfig("srgan-paper", "Ledig et al. 2017: SRResNet generator, the paper's discriminator, "
                + "VGG54 + 1e-3 adversarial",
                GeneratorSpec.paper(), DiscriminatorSpec.paper(), LossSpec.paper(), TrainingSpec.paper());
    }

    public VariantConfig withGenerator(GeneratorSpec g) {
        return new VariantConfig(name, description, g, discriminator, loss, train);
    }

    public VariantConfig withLoss(LossSpec l) {
        return new VariantConfig(name, description, generator, discriminator, l, train);
    }

    /**
     * Checks every field.
     *
     * @throws IllegalArgumentException listing every problem with the key that sets it
     */
    public VariantConfig validate() {
        List<String> problems = new ArrayList<>();
        if (name == null || name.isBlank()) problems.add("name is missing");
        if (generator == null) problems.add("generator is missing");
        else generator.check(problems);
        if (discriminator == null) problems.add("discriminator is missing");
        else discriminator.check(problems);
        if (loss == null) problems.add("loss is missing");
        else loss.check(problems);
        if (train == null) problems.add("train is missing");
        else train.check(problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("config '" + name + "': " + String.join("; ", problems));
        }
        return this;
    }
}
