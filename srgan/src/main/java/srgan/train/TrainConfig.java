package srgan.train;

import srgan.config.VariantConfig;
import srgan.config.VariantConfigs;
import srgan.model.Blocks;
import srgan.model.Discriminator;
import srgan.model.Generator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that defines a training run. The settings that decide the numbers a run computes (phase, data,
 * model size, batch, crop, optimiser, schedule, seed) are saved with every checkpoint and fixed on resume;
 * the rest (how long to train, how often to report, where to validate) may change between sessions; the time
 * budget and validation interval belong to one session and are not saved.
 *
 * @param phase           MSE pre-training or the GAN phase
 * @param variant         the networks and losses ({@code --config}, with {@code --channels}, {@code --blocks}
 *                        and {@code --content} applied)
 * @param data            folder of training images, or null for the built-in procedural images
 * @param val             folder of validation images, or null (the built-in data brings its own)
 * @param init            generator weights to start from (required by the GAN phase), or null
 * @param vgg             VGG19 weights for a VGG content loss: a safetensors path, "random", or null
 * @param steps           total number of updates the run should reach
 * @param batch           HR crops per update
 * @param crop            side of the square HR crops, a multiple of {@link #SCALE} (of 16 in the GAN phase)
 * @param lr              Adam learning rate
 * @param warmupSteps     the learning rate rises linearly over this many first updates; 0 for none
 * @param beta1           Adam beta1
 * @param beta2           Adam beta2
 * @param lrDecayStep     from this update on the learning rate is {@code lr / 10}; -1 for never
 * @param seed            seeds the weights, the data order, the crops and their augmentation
 * @param workers         background threads that load and crop images
 * @param logEvery        updates between metrics-log lines (the losses are averaged over them)
 * @param valEvery        updates between validations and sample grids
 * @param checkpointEvery updates between checkpoints (one is also written at the end and on Ctrl-C)
 * @param timeBudget      stop (with a checkpoint) once this much training time is spent in this session, or
 *                        null; training time counts the updates, not validation or checkpoints
 * @param valInterval     validate every this much training time instead of every {@code valEvery} updates, or
 *                        null
 */
public record TrainConfig(Phase phase, VariantConfig variant, Path data, Path val, Path init, String vgg,
                          long steps, int batch, int crop,
                          double lr, long warmupSteps, double beta1, double beta2, long lrDecayStep, long seed,
                          int workers, int logEvery, int valEvery, int checkpointEvery, Duration timeBudget,
                          Duration valInterval) {

    /** The upscaling factor: the generator's two x2 stages. */
    public static final int SCALE = Generator.SCALE;
    /** The value of {@link #vgg} that asks for randomly initialised VGG weights (smoke tests only). */
    public static final String RANDOM_VGG = "random";
    /** The GAN phase divides the learning rate by this at {@link #lrDecayStep}: 1e-4 then 1e-5. */
    public static final double LR_DECAY_DIVISOR = 10;

    public TrainConfig {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(variant, "variant");
    }

    /** Whether the run trains on the built-in procedural images. */
    public boolean builtInData() {
        return data == null;
    }

    /**
     * The learning rate of update number {@code step} (0-based): {@code lr * (step + 1) / warmupSteps} during the
     * warm-up, then {@code lr}, divided by {@link #LR_DECAY_DIVISOR} from {@link #lrDecayStep} on.
     */
    public double learningRate(long step) {
        double rate = step < warmupSteps ? lr * (step + 1) / warmupSteps : lr;
        return lrDecayStep >= 0 && step >= lrDecayStep ? rate / LR_DECAY_DIVISOR : rate;
    }

    /** Whether the GAN phase's generator loss runs a VGG network. */
    public boolean usesVgg() {
        return phase == Phase.GAN && variant.loss().needsVgg();
    }

    /**
     * Checks every setting on its own and against the others.
     *
     * @throws IllegalArgumentException listing every problem, each with the option that sets it
     */
    public TrainConfig validate() {
        List<String> problems = new ArrayList<>();
        if (steps < 1) problems.add("--steps must be at least 1, got " + steps);
        if (batch < 1) problems.add("--batch must be at least 1, got " + batch);
        if (crop < SCALE || crop % SCALE != 0) {
            problems.add("--crop must be a positive multiple of " + SCALE + " (the scale), got " + crop);
        } else if (phase == Phase.GAN) {
            try {
                Discriminator.checkInput(variant.discriminator(), crop);
            } catch (IllegalArgumentException e) {
                problems.add("--crop: " + e.getMessage());
            }
        }
        try {
            variant.validate();
            Blocks.get(variant.generator().block());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage() + " (--channels/--blocks set generator.channels/blocks)");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) problems.add("--lr must be positive and finite, got " + lr);
        if (warmupSteps < 0) problems.add("--warmup must be at least 0, got " + warmupSteps);
        if (!(beta1 >= 0 && beta1 < 1)) problems.add("--beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) problems.add("--beta2 must be in [0, 1), got " + beta2);
        if (lrDecayStep < -1) problems.add("--lr-decay-step must be a step, or -1 for never, got " + lrDecayStep);
        if (workers < 1) problems.add("--workers must be at least 1, got " + workers);
        if (logEvery < 1) problems.add("--log-every must be at least 1, got " + logEvery);
        if (valEvery < 1) problems.add("--val-every must be at least 1, got " + valEvery);
        if (checkpointEvery < 1) problems.add("--checkpoint-every must be at least 1, got " + checkpointEvery);
        if (timeBudget != null && (timeBudget.isNegative() || timeBudget.isZero())) {
            problems.add("--time must be positive, got " + timeBudget);
        }
        if (valInterval != null && (valInterval.isNegative() || valInterval.isZero())) {
            problems.add("--val-every must be positive, got " + valInterval);
        }
        if (phase == Phase.GAN) {
            if (init == null) {
                problems.add("--phase gan starts from a pre-trained generator: pass --init with the "
                        + "generator.safetensors of a --phase mse run");
            }
            if (variant.loss().needsVgg() && vgg == null) {
                problems.add("the " + variant.loss().describeContent() + " content loss needs VGG19 weights: "
                        + "--vgg FILE.safetensors "
                        + "(torchvision's vgg19 converted, or timm's vgg19.tv_in1k), or --content mse, "
                        + "or --vgg random for a smoke test");
            }
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
        return this;
    }

    // ---- persistence (state.json) ----

    /** The settings as JSON-ready values, paths absolute so a run resumes from any directory. */
    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", phase.id());
        m.put("variant", VariantConfigs.toMap(variant));
        m.put("data", pathString(data));
        m.put("val", pathString(val));
        m.put("init", pathString(init));
        m.put("vgg", vgg == null || vgg.equals(RANDOM_VGG) ? vgg : Path.of(vgg).toAbsolutePath().toString());
        m.put("steps", steps);
        m.put("batch", batch);
        m.put("crop", crop);
        m.put("scale", SCALE);
        m.put("lr", lr);
        m.put("warmup_steps", warmupSteps);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("lr_decay_step", lrDecayStep);
        m.put("seed", seed);
        m.put("workers", workers);
        m.put("log_every", logEvery);
        m.put("val_every", valEvery);
        m.put("checkpoint_every", checkpointEvery);
        return m;
    }

    /** The inverse of {@link #toJson()}. */
    static TrainConfig fromJson(Map<String, Object> m) {
        Object variant = m.get("variant");
        if (!(variant instanceof Map<?, ?> v)) throw new IllegalArgumentException("state.json: 'variant' is missing");
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) v;
        return new TrainConfig(Phase.parse(str(m, "phase")), VariantConfigs.fromMap(tree),
                path(m, "data"), path(m, "val"), path(m, "init"), (String) m.get("vgg"),
                num(m, "steps").longValue(), num(m, "batch").intValue(), num(m, "crop").intValue(),
                num(m, "lr").doubleValue(), num(m, "warmup_steps").longValue(),
                num(m, "beta1").doubleValue(), num(m, "beta2").doubleValue(),
                num(m, "lr_decay_step").longValue(), num(m, "seed").longValue(), num(m, "workers").intValue(),
                num(m, "log_every").intValue(), num(m, "val_every").intValue(), num(m, "checkpoint_every").intValue(),
                null, null);
    }

    private static String pathString(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }

    private static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) throw new IllegalArgumentException("state.json: '" + key + "' is missing");
        return s;
    }

    private static Path path(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? null : Path.of((String) v);
    }

    private static Number num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("state.json: '" + key + "' is missing");
        return n;
    }
}
