package srgan.train;

import srgan.config.GeneratorSpec;
import srgan.config.LossSpec;
import srgan.config.VariantConfig;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Module;
import srgan.engine.optim.Adam;
import srgan.image.RgbImage;
import srgan.model.Discriminator;
import srgan.model.Generator;
import srgan.model.Vgg19Features;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Trains SRResNet (the MSE phase) or SRGAN (the GAN phase) as the paper does; see {@link TrainConfig} for the
 * settings and {@code ../shared/docs/SRGAN_REFERENCE.md} for the recipe.
 *
 * <p>Everything that can be checked is checked before the first update, each failure an
 * {@link IllegalArgumentException} with one clear message: the settings, that the output folder can be
 * written, the data and validation folders, and that every weight file fits its network. Then each update
 * runs inside its own {@link Scope}, so its intermediates are freed when it ends; the networks and optimisers
 * live outside. Batches come from {@link BatchLoader}'s background threads.
 *
 * <p>A run is deterministic given its seed: on the CPU, N + M updates in one session and N updates, a
 * checkpoint, a resume and M more give bit-identical weights. A loss that is not finite stops training before
 * it is applied, and no checkpoint is written after it. Ctrl-C (any orderly JVM shutdown) finishes the current
 * update, writes a checkpoint and then lets the JVM exit.
 */
public final class Trainer implements AutoCloseable {
    /** How long a shutdown hook waits for the update in progress and the checkpoint after it. */
    private static final long SHUTDOWN_WAIT_MINUTES = 10;
    private static final long VGG_SALT = 0x7697_1900L;
    private static final long DISCRIMINATOR_SALT = 0xD15C_0000L;
    private static final long VALIDATION_SALT = 0x7A1_1DA7EL;
    /** Built-in data: training and validation images. */
    static final int BUILT_IN_IMAGES = 48;
    static final int BUILT_IN_VAL_IMAGES = 4;
    static final int BUILT_IN_SIDE = 128;
    static final int BUILT_IN_VAL_SIDE = 96;
    /** Validation images below this side leave less than SSIM's 11x11 window after the border cut. */
    private static final int MIN_VAL_SIDE = 20;
    private static final int SAMPLE_IMAGES = 2;

    /** How a session ended. */
    public enum Outcome {
        /** All steps done. */
        COMPLETED,
        /** Stopped by Ctrl-C (a JVM shutdown) after writing a checkpoint. */
        INTERRUPTED,
        /** Stopped by a loss that was NaN or infinite; the last checkpoint is the last good state. */
        DIVERGED
    }

    /**
     * What a session did.
     *
     * @param step       updates done when it ended
     * @param checkpoint the latest checkpoint folder, or null if none was written
     * @param val        the last validation scores, or null
     * @param bicubic    the bicubic baseline on the validation images, or null
     */
    public record Result(Outcome outcome, long step, Path runDir, Path checkpoint, Scores val, Scores bicubic) {
    }

    private final TrainConfig config;
    private final Backend backend;
    private final Path runDir;
    private final PrintStream out;
    private final PrintStream err;
    private final long startStep;
    private final Generator generator;
    private final Adam generatorOptimizer;
    private final Discriminator discriminator;
    private final Adam discriminatorOptimizer;
    private final Vgg19Features vgg;
    private final ImageSource data;
    private final Validator validator;
    private volatile boolean stopRequested;
    private Path lastCheckpoint;
    private long lastCheckpointStep = -1;
    private Scores lastVal;

    private Trainer(TrainConfig config, Checkpoint.Saved resume, Path runDir, Backend backend, PrintStream out,
                    PrintStream err) {
        this.config = config.validate();
        this.backend = backend;
        this.runDir = runDir;
        this.out = out;
        this.err = err;
        this.startStep = resume == null ? 0 : resume.step();
        if (startStep > config.steps()) {
            throw new IllegalArgumentException("the checkpoint is at step " + startStep + ", past --steps "
                    + config.steps() + ": pass a larger --steps to train on");
        }
        boolean runDirExisted = Files.exists(runDir);
        List<AutoCloseable> built = new ArrayList<>();
        try {
            prepareRunDir(resume);
            if (config.builtInData()) {
                data = ProceduralImages.generate(BUILT_IN_IMAGES, BUILT_IN_SIDE, config.seed());
            } else {
                data = ImageFolder.open("--data", config.data(), config.crop(), Runtime.getRuntime().maxMemory() / 4,
                        this::warn);
            }
            validator = makeValidator();

            generator = add(built, new Generator(backend, new Rng(config.seed()), config.variant().generator()));
            generatorOptimizer = add(built, new Adam(generator, config.lr(), config.beta1(), config.beta2()));
            if (config.phase() == Phase.GAN) {
                discriminator = add(built, new Discriminator(backend, new Rng(config.seed() ^ DISCRIMINATOR_SALT),
                        config.variant().discriminator(), config.crop()));
                discriminatorOptimizer = add(built,
                        new Adam(discriminator, config.lr(), config.beta1(), config.beta2()));
            } else {
                discriminator = null;
                discriminatorOptimizer = null;
            }
            vgg = config.usesVgg() ? add(built, loadVgg()) : null;
            if (resume != null) {
                Checkpoint.load(resume, generator, describeGenerator(), generatorOptimizer, discriminator,
                        "the discriminator", discriminatorOptimizer);
                lastCheckpoint = resume.dir();
                lastCheckpointStep = resume.step();
            } else if (config.init() != null) {
                WeightFiles.load("--init", config.init(), generator, describeGenerator());
            }
        } catch (RuntimeException e) {
            for (AutoCloseable c : built) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            // Leave no empty run folder behind for a run that never started.
            if (!runDirExisted) {
                try {
                    Files.deleteIfExists(runDir);
                } catch (IOException notEmpty) {
                    // Something was written there after all: keep it.
                }
            }
            throw e;
        }
    }

    /**
     * Checks everything and builds the networks, so that a bad input fails here, before any training.
     *
     * @param resume the checkpoint to continue from, or null for a new run
     * @param runDir where checkpoints, samples, curves and the metrics log go; created if needed
     * @throws IllegalArgumentException for any bad setting, folder or weight file, with what is wrong
     */
    public static Trainer prepare(TrainConfig config, Checkpoint.Saved resume, Path runDir, Backend backend,
                                  PrintStream out, PrintStream err) {
        return new Trainer(config, resume, runDir, backend, out, err);
    }

    private static <T extends AutoCloseable> T add(List<AutoCloseable> built, T m) {
        built.add(m);
        return m;
    }

    private String describeGenerator() {
        return "the generator (" + config.variant().name() + ", " + config.variant().generator().channels()
                + " channels, " + config.variant().generator().blocks() + " blocks)";
    }

    /** Creates the run folder and proves it writable; refuses to start a new run over an existing one. */
    private void prepareRunDir(Checkpoint.Saved resume) {
        try {
            Files.createDirectories(runDir);
            Path probe = Files.createTempFile(runDir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("cannot write to the output folder " + runDir + ": " + describe(e), e);
        }
        if (resume == null || !runDir.toAbsolutePath().normalize().equals(Checkpoint.runDirOf(resume.dir()))) {
            Checkpoint.Saved existing;
            try {
                existing = Checkpoint.find(runDir);
            } catch (IllegalArgumentException none) {
                return;
            }
            throw new IllegalArgumentException("the output folder " + runDir + " already holds a run (checkpoint at "
                    + "step " + existing.step() + "): continue it with --resume " + runDir
                    + ", or choose another --out");
        }
    }

    private static String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "a part of the path does not exist";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return f.getFile() + " exists and is not a folder";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        return e.toString();
    }

    private Validator makeValidator() {
        List<PackedImage> images = new ArrayList<>();
        if (config.val() != null) {
            ImageFolder folder = ImageFolder.open("--val", config.val(), MIN_VAL_SIDE, Long.MAX_VALUE, this::warn);
            for (int i = 0; i < folder.size(); i++) images.add(folder.image(i));
        } else if (config.builtInData()) {
            ProceduralImages val = ProceduralImages.generate(BUILT_IN_VAL_IMAGES, BUILT_IN_VAL_SIDE,
                    config.seed() ^ VALIDATION_SALT);
            for (int i = 0; i < val.size(); i++) images.add(val.image(i));
        }
        List<PackedImage> samples = new ArrayList<>(images.subList(0, Math.min(SAMPLE_IMAGES, images.size())));
        if (samples.isEmpty()) {
            for (int i = 0; i < Math.min(SAMPLE_IMAGES, data.size()); i++) samples.add(data.image(i));
        }
        return new Validator(images, samples, TrainConfig.SCALE);
    }

    private Vgg19Features loadVgg() {
        int layers = config.variant().loss().vggLayers();
        Vgg19Features net = new Vgg19Features(backend, new Rng(config.seed() ^ VGG_SALT), layers);
        if (TrainConfig.RANDOM_VGG.equals(config.vgg())) {
            warn("");
            warn("*************************************************************************************");
            warn("*  --vgg random: the VGG19 content loss runs on RANDOM weights, not ImageNet's.     *");
            warn("*  This is for smoke tests only: the result is NOT SRGAN. For real training pass   *");
            warn("*  --vgg vgg19.safetensors (torchvision's vgg19 converted; see tools/).             *");
            warn("*************************************************************************************");
            warn("");
            return net;
        }
        try {
            WeightFiles.loadSubset("--vgg", Path.of(config.vgg()), net,
                    "VGG19 features[:" + layers + "] in torchvision's layout (features.N.weight, features.N.bias)");
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return net;
    }

    private void warn(String message) {
        err.println(message.isEmpty() ? "" : "warning: " + message);
    }

    /** Whether this JVM writes to a terminal, where a progress bar can redraw itself. */
    public static boolean terminalAttached() {
        return Progress.terminal();
    }

    /** Asks the loop to stop after the current update and write a checkpoint; safe from any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    // ---- the loop ----

    /**
     * Trains from the start (or checkpoint) step to {@code config.steps()}, reporting as it goes.
     *
     * @param progressBar draw a progress bar (a terminal) rather than log lines
     */
    public Result run(boolean progressBar) throws IOException {
        printBanner();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                finished.await(SHUTDOWN_WAIT_MINUTES, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "srgan-train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (MetricsLog log = MetricsLog.open(runDir, startStep);
             BatchLoader loader = new BatchLoader(data, config.batch(), config.crop(), TrainConfig.SCALE,
                     config.seed(), config.workers(), startStep, config.steps())) {
            return loop(log, loader, progressBar);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it is what stopped the loop.
            }
        }
    }

    private Result loop(MetricsLog log, BatchLoader loader, boolean progressBar) throws IOException {
        if (startStep == 0 && validator.hasImages()) validate(log, 0, null, 0);
        LossMeans means = new LossMeans();
        long step = startStep;
        long intervalStart = System.nanoTime();
        long intervalFirst = step;
        Outcome outcome = Outcome.COMPLETED;
        String divergence = null;
        double seconds;
        // Training time counts the updates and the waits for batches, not validation or checkpoints, so that a
        // --time budget buys the same number of updates however often the run reports.
        long trainNanos = 0;
        long budgetNanos = config.timeBudget() == null ? Long.MAX_VALUE : config.timeBudget().toNanos();
        long valIntervalNanos = config.valInterval() == null ? Long.MAX_VALUE : config.valInterval().toNanos();
        long nextValNanos = valIntervalNanos;
        // The bar is closed before the closing report is printed, so that it does not redraw over it.
        try (Progress progress = new Progress(err, startStep, config.steps(), config.timeBudget(), progressBar)) {
            while (step < config.steps()) {
                if (stopRequested) {
                    outcome = Outcome.INTERRUPTED;
                    break;
                }
                long t0 = System.nanoTime();
                Batch batch = loader.next();
                Map<String, Double> losses;
                try {
                    losses = config.phase() == Phase.MSE ? mseStep(batch, step) : ganStep(batch, step);
                } catch (Diverged d) {
                    outcome = Outcome.DIVERGED;
                    divergence = d.getMessage();
                    break;
                }
                trainNanos += System.nanoTime() - t0;
                step++;
                boolean last = step == config.steps() || trainNanos >= budgetNanos;
                means.add(losses);
                progress.update(step, trainNanos / 1e9, means.describeLast() + (lastVal == null ? ""
                        : String.format(Locale.ROOT, "  val %.2f dB", lastVal.psnr())));
                if (step % config.logEvery() == 0 || last) {
                    long now = System.nanoTime();
                    double rate = (step - intervalFirst) / ((now - intervalStart) / 1e9);
                    log.train(step, config.phase().id(), config.learningRate(step - 1), means.meanAndReset(), rate,
                            progress.elapsedSeconds(), trainNanos / 1e9);
                    intervalStart = now;
                    intervalFirst = step;
                }
                boolean valDue = config.valInterval() == null ? step % config.valEvery() == 0
                        : trainNanos >= nextValNanos;
                if (valDue || last) {
                    validate(log, step, progress, trainNanos / 1e9);
                    while (nextValNanos <= trainNanos) nextValNanos += valIntervalNanos;
                }
                if (step % config.checkpointEvery() == 0 || last) checkpoint(step);
                if (trainNanos >= budgetNanos) break;
            }
            seconds = progress.elapsedSeconds();
        }
        plot(log);
        return switch (outcome) {
            case COMPLETED -> finish(step, seconds, trainNanos / 1e9);
            case INTERRUPTED -> interrupted(step);
            case DIVERGED -> diverged(step, divergence);
        };
    }

    /** One MSE-phase update; returns its losses. */
    private Map<String, Double> mseStep(Batch b, long step) throws Diverged {
        generatorOptimizer.setLearningRate(config.learningRate(step));
        try (Scope s = Scope.open()) {
            return TrainingSteps.pretrain(generator, generatorOptimizer, config.variant().loss(), lrTensor(b),
                    hrTensor(b),
                    (what, loss) -> finite(step, what, loss.item()));
        }
    }

    /** One GAN-phase update ({@link TrainingSteps#gan}); returns its losses. */
    private Map<String, Double> ganStep(Batch b, long step) throws Diverged {
        double rate = config.learningRate(step);
        generatorOptimizer.setLearningRate(rate);
        discriminatorOptimizer.setLearningRate(rate);
        try (Scope s = Scope.open()) {
            return TrainingSteps.gan(generator, discriminator, vgg, config.variant().loss(), generatorOptimizer,
                    discriminatorOptimizer, lrTensor(b), hrTensor(b), (what, loss) -> finite(step, what, loss.item()));
        }
    }

    private Tensor lrTensor(Batch b) {
        return Tensor.of(backend, b.lr(), b.size(), 3, b.lrSide(), b.lrSide());
    }

    private Tensor hrTensor(Batch b) {
        return Tensor.of(backend, b.hr(), b.size(), 3, b.hrSide(), b.hrSide());
    }

    /** Thrown when a loss is not finite; the message says which, at which step. */
    private static final class Diverged extends Exception {
        private static final long serialVersionUID = 1L;

        Diverged(String message) {
            super(message, null, false, false);
        }
    }

    private static double finite(long step, String what, double value) throws Diverged {
        if (!Double.isFinite(value)) {
            throw new Diverged("the " + what + " became " + value + " at step " + (step + 1));
        }
        return value;
    }

    // ---- reporting and saving ----

    private void validate(MetricsLog log, long step, Progress progress, double trainSeconds) throws IOException {
        if (validator.hasImages()) {
            lastVal = validator.evaluate(generator);
            log.validation(step, lastVal, validator.bicubic(), trainSeconds);
            String line = String.format(Locale.ROOT, "step %d: validation PSNR-Y %.2f dB, SSIM-Y %.4f "
                            + "(bicubic %.2f dB, %.4f) on %d image%s", step, lastVal.psnr(), lastVal.ssim(),
                    validator.bicubic().psnr(), validator.bicubic().ssim(), validator.imageCount(),
                    validator.imageCount() == 1 ? "" : "s");
            if (progress == null) err.println(line);
            else progress.println(line);
        }
        if (step > 0) {
            writeSample(step);
            plot(log);
        }
    }

    private void writeSample(long step) throws IOException {
        RgbImage grid = validator.grid(generator);
        Path dir = runDir.resolve("samples");
        Files.createDirectories(dir);
        Path file = dir.resolve(String.format("step-%08d.png", step));
        grid.writePng(file);
        Path latest = runDir.resolve("sample.png");
        Path tmp = runDir.resolve(".sample.png.tmp");
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, latest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private boolean plotFailed;

    /** Redraws the curves; a machine that cannot draw (no fonts) loses the plot, not the run. */
    private void plot(MetricsLog log) {
        if (plotFailed) return;
        try {
            CurvePlot.write(log, runDir.resolve(CurvePlot.FILE));
        } catch (IOException | RuntimeException | LinkageError e) {
            plotFailed = true;
            warn("cannot draw " + CurvePlot.FILE + " (" + e + "); the numbers are in " + MetricsLog.FILE);
        }
    }

    private void checkpoint(long step) throws IOException {
        if (step == lastCheckpointStep) return;
        Map<String, Object> extra = new LinkedHashMap<>();
        if (lastVal != null) {
            extra.put("val_psnr", lastVal.psnr());
            extra.put("val_ssim", lastVal.ssim());
        }
        lastCheckpoint = Checkpoint.write(runDir, step, config, generator, generatorOptimizer, discriminator,
                discriminatorOptimizer, extra);
        lastCheckpointStep = step;
    }

    private Result interrupted(long step) throws IOException {
        checkpoint(step);
        out.println("Interrupted at step " + step + " of " + config.steps() + "; checkpoint written to "
                + lastCheckpoint + ".");
        out.println("Continue with: java -jar srgan.jar train --resume " + runDir);
        return new Result(Outcome.INTERRUPTED, step, runDir, lastCheckpoint, lastVal, validator.bicubic());
    }

    private Result diverged(long step, String reason) {
        out.println("Training stopped: " + reason + "; that update was not applied.");
        if (lastCheckpoint != null) {
            out.println("The last good checkpoint is " + lastCheckpoint + " (step " + lastCheckpointStep
                    + "); nothing after it was saved. A lower --lr (now " + config.lr() + ") may help: start a "
                    + "new run with --init " + lastCheckpoint.resolve(Checkpoint.GENERATOR) + " --lr ...");
        } else {
            out.println("No checkpoint was written before it (the first was due at step "
                    + Math.min(config.checkpointEvery(), config.steps()) + "). A lower --lr (now " + config.lr()
                    + ") may help.");
        }
        return new Result(Outcome.DIVERGED, step, runDir, lastCheckpoint, lastVal, validator.bicubic());
    }

    private Result finish(long step, double seconds, double trainSeconds) {
        double rate = (step - startStep) / Math.max(trainSeconds, 1e-9);
        out.printf(Locale.ROOT, "Done: %d steps in %s (%s training, %.2f steps/s)%s.%n", step - startStep,
                Progress.duration(seconds), Progress.duration(trainSeconds), rate,
                step < config.steps() ? ", the --time budget" : "");
        if (lastVal != null) {
            out.printf(Locale.ROOT, "  validation:  PSNR-Y %.2f dB, SSIM-Y %.4f   (bicubic: %.2f dB, %.4f)%n",
                    lastVal.psnr(), lastVal.ssim(), validator.bicubic().psnr(), validator.bicubic().ssim());
        }
        out.println("  generator:   " + runDir.resolve(Checkpoint.GENERATOR));
        out.println("  checkpoint:  " + lastCheckpoint + "  (continue with --resume " + runDir + " --steps N)");
        out.println("  samples:     " + runDir.resolve("sample.png") + "  (each row: bicubic | SR | HR)");
        out.println("  curves:      " + runDir.resolve(CurvePlot.FILE) + "   log: " + runDir.resolve(MetricsLog.FILE));
        return new Result(Outcome.COMPLETED, step, runDir, lastCheckpoint, lastVal, validator.bicubic());
    }

    private void printBanner() {
        VariantConfig v = config.variant();
        LossSpec loss = v.loss();
        out.println("srgan train: " + (config.phase() == Phase.MSE
                ? "phase mse (generator pre-training: pixel " + loss.pixel().name().toLowerCase(Locale.ROOT)
                + " on [-1, 1])"
                : "phase gan (" + ganLossDescription(loss) + "; one D update per G update)"));
        out.println("  config:      " + v.name() + (v.description() == null ? "" : " (" + v.description() + ")"));
        out.println("  data:        " + data.describe() + (config.builtInData() ? ", since no --data was given" : ""));
        GeneratorSpec g = v.generator();
        out.printf(Locale.ROOT, "  generator:   %d %s block%s of %d channels, %s, %s BN, %s upsampling%s, "
                        + "%,d parameters%n", g.blocks(), g.block(),
                g.blocks() == 1 ? "" : "s", g.channels(), g.activation(), g.batchNorm() ? "with" : "no",
                g.upsampler().name().toLowerCase(Locale.ROOT),
                g.globalSkip() == GeneratorSpec.GlobalSkip.BICUBIC ? ", global bicubic skip" : "",
                generator.parameterCount());
        if (discriminator != null) {
            out.printf(Locale.ROOT, "  discriminator: %s%s, %,d parameters%n",
                    v.discriminator().type().name().toLowerCase(Locale.ROOT),
                    v.discriminator().spectralNorm() ? " with spectral norm" : "", discriminator.parameterCount());
        }
        out.printf(Locale.ROOT, "  batches:     %d crops of %dx%d HR (%dx%d LR), random flips and 90-degree turns%n",
                config.batch(), config.crop(), config.crop(), config.crop() / TrainConfig.SCALE,
                config.crop() / TrainConfig.SCALE);
        out.printf(Locale.ROOT, "  optimiser:   Adam, lr %s%s%s, betas (%s, %s); steps %d to %d; seed %d%n",
                config.lr(), config.warmupSteps() > 0 ? " (linear warm-up over " + config.warmupSteps() + " steps)"
                        : "", config.lrDecayStep() >= 0 ? " then " + config.lr() / TrainConfig.LR_DECAY_DIVISOR
                        + " from step " + config.lrDecayStep() : "", config.beta1(), config.beta2(),
                startStep, config.steps(), config.seed());
        if (validator.hasImages()) {
            out.printf(Locale.ROOT,
                    "  validation:  %d image%s every %s; bicubic baseline PSNR-Y %.2f dB, SSIM-Y %.4f%n",
                    validator.imageCount(), validator.imageCount() == 1 ? "" : "s", config.valInterval() != null
                            ? Progress.duration(config.valInterval().toMillis() / 1000.0) + " of training"
                            : config.valEvery() + " steps",
                    validator.bicubic().psnr(), validator.bicubic().ssim());
        } else {
            out.println("  validation:  none (pass --val DIR to score PSNR/SSIM as training goes)");
        }
        if (config.timeBudget() != null) {
            out.println("  time:        stops after " + Progress.duration(config.timeBudget().toMillis() / 1000.0)
                    + " of training (--time)");
        }
        out.println("  output:      " + runDir + (startStep > 0 ? " (resuming at step " + startStep + ")" : ""));
    }

    /** "1.0 x vgg54 + 0.001 x adversarial (standard)", the generator's GAN-phase loss. */
    private static String ganLossDescription(LossSpec loss) {
        List<String> terms = new ArrayList<>();
        if (loss.pixelWeight() != 0) {
            terms.add(loss.pixelWeight() + " x pixel " + loss.pixel().name().toLowerCase(Locale.ROOT));
        }
        if (loss.needsVgg()) terms.add(loss.contentWeight() + " x " + loss.describeContent());
        if (loss.tvWeight() != 0) terms.add(loss.tvWeight() + " x TV");
        terms.add(loss.adversarialWeight() + " x adversarial (" + loss.adversarial().name().toLowerCase(Locale.ROOT)
                + ")");
        return "G loss " + String.join(" + ", terms);
    }

    /** Frees the networks and optimisers (the backend belongs to the caller). */
    @Override
    public void close() {
        generatorOptimizer.close();
        if (discriminatorOptimizer != null) discriminatorOptimizer.close();
        generator.close();
        if (discriminator != null) discriminator.close();
        if (vgg != null) vgg.close();
    }

    /** Running means of the losses between log lines, and the latest values for the progress display. */
    private static final class LossMeans {
        private final Map<String, double[]> sums = new LinkedHashMap<>();
        private Map<String, Double> last = Map.of();

        void add(Map<String, Double> losses) {
            last = losses;
            losses.forEach((k, v) -> {
                double[] s = sums.computeIfAbsent(k, key -> new double[2]);
                s[0] += v;
                s[1]++;
            });
        }

        Map<String, Double> meanAndReset() {
            Map<String, Double> m = new LinkedHashMap<>();
            sums.forEach((k, s) -> m.put(k, s[0] / s[1]));
            sums.clear();
            return m;
        }

        /** "loss 0.01234" or "G 0.0523 (content 0.0101, adv 0.693) D 1.3863". */
        String describeLast() {
            Double g = last.get("loss_g");
            if (g == null) return "";
            if (!last.containsKey("loss_d")) return String.format(Locale.ROOT, "loss %.5f", g);
            List<String> terms = new ArrayList<>();
            last.forEach((k, v) -> {
                if (!k.equals("loss_g") && !k.equals("loss_d")) {
                    terms.add(String.format(Locale.ROOT, "%s %.4g", k.substring("loss_".length()), v));
                }
            });
            return String.format(Locale.ROOT, "G %.5f (%s) D %.4f", g, String.join(", ", terms), last.get("loss_d"));
        }
    }

}
