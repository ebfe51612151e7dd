package srgan.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import srgan.config.VariantConfig;
import srgan.config.VariantConfigs;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Backends;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.model.GeneratorFiles;
import srgan.train.Checkpoint;
import srgan.train.Phase;
import srgan.train.TrainConfig;
import srgan.train.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code srgan train}: the paper's two phases (SRResNet with pixel MSE, then SRGAN) on a folder of images, or,
 * without {@code --data}, a short demo on built-in procedural images. Options left out take the paper's values
 * with {@code --data} and small demo values without it; on {@code --resume} they take the checkpoint's.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the SRResNet generator (--phase mse) or SRGAN (--phase gan), as in Ledig et al. 2017.",
                "Without --data: a short demo (well under a minute on two cores) of a small model on built-in "
                        + "procedural images, which writes a checkpoint, a sample image and the curves."},
        footer = {"", "Exit codes: 0 done; 1 bad input; 2 a loss became NaN or infinite (the last good checkpoint "
                + "is kept); 130 stopped by Ctrl-C (after writing a checkpoint).",
                "Examples:",
                "  srgan train                                         # the built-in demo",
                "  srgan train --data DIV2K_train_HR --val Set5       # SRResNet, the paper's settings",
                "  srgan train --phase gan --init runs/A/generator.safetensors --vgg vgg19.safetensors --data DIR",
                "  srgan train --resume runs/A --steps 2000000         # continue a run exactly",
                "  srgan train --config srgan-fast --data BSD68 --val Set5 --time 30m --val-every 5m",
                "  srgan train --config my-variant.yaml --data DIR    # a layer variant (see README)"})
final class TrainCommand implements Callable<Integer> {
    static final int EXIT_DIVERGED = 2;
    static final int EXIT_INTERRUPTED = 130;

    /** Paper defaults, used with --data. */
    private static final long PAPER_MSE_STEPS = 1_000_000;
    private static final long PAPER_GAN_STEPS = 200_000;
    private static final int PAPER_BATCH = 16;
    private static final int PAPER_CROP = 96;
    /** The built-in demo: small enough to finish in well under a minute on two CPU cores. */
    static final long DEMO_STEPS = 250;
    static final int DEMO_BATCH = 4;
    static final int DEMO_CROP = 48;
    static final int DEMO_CHANNELS = 8;
    static final int DEMO_BLOCKS = 2;
    static final double DEMO_LR = 1e-3;
    static final int DEMO_VAL_EVERY = 50;
    /** A duration as users type it: 90s, 30m, 30min, 1.5h. */
    private static final Pattern DURATION = Pattern.compile("([0-9]*\\.?[0-9]+)\\s*(s|m|min|h)");

    @Mixin
    DeviceOption device;

    @Option(names = "--phase", paramLabel = "mse|gan", description = "mse: SRResNet pre-training with pixel MSE "
            + "(default). gan: SRGAN, starting from a --phase mse generator (--init).")
    String phase;

    @Option(names = "--config", paramLabel = "NAME|FILE", description = "The networks, losses and learning rate: "
            + "a preset (srgan-paper, srgan-fast, no-bn, seed-paddle, esrgan) or a YAML file. Default: the "
            + "--init file's, else srgan-paper (the paper's recipe, exactly). srgan-fast adds a global bicubic "
            + "skip, which reaches bicubic quality at once and converges much faster.")
    String config;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of training images (PNG/JPEG, searched "
            + "recursively), e.g. DIV2K's HR images. Without it: built-in procedural images and a small demo model.")
    Path data;

    @Option(names = "--val", paramLabel = "DIR", description = "Folder of validation images, scored (PSNR-Y/SSIM-Y, "
            + "as eval) every --val-every steps. The built-in demo brings its own.")
    Path val;

    @Option(names = "--steps", paramLabel = "N", description = "Total updates. Default: 1000000 (mse) or 200000 "
            + "(gan) with --data, " + DEMO_STEPS + " for the demo; on --resume, the checkpoint's.")
    Long steps;

    @Option(names = "--batch", paramLabel = "N", description = "HR crops per update. Default: 16 (the paper's); "
            + DEMO_BATCH + " for the demo.")
    Integer batch;

    @Option(names = "--crop", paramLabel = "PIXELS", description = "Side of the HR crops (LR is a quarter). "
            + "Default: 96 (the paper's); " + DEMO_CROP + " for the demo.")
    Integer crop;

    @Option(names = "--channels", paramLabel = "N", description = "Generator width. Default: the config's (64 in "
            + "the paper), or --init's; " + DEMO_CHANNELS + " for the demo.")
    Integer channels;

    @Option(names = "--blocks", paramLabel = "N", description = "Generator blocks. Default: the config's (16 in the "
            + "paper), or --init's; " + DEMO_BLOCKS + " for the demo.")
    Integer blocks;

    @Option(names = "--init", paramLabel = "G.safetensors", description = "Generator weights to start from "
            + "(required by --phase gan: the generator.safetensors of a --phase mse run).")
    Path init;

    @Option(names = "--content", paramLabel = "vgg54|vgg22|mse", description = "GAN phase content loss, over the "
            + "config's. Default: the config's (vgg54 in the paper: VGG19 relu5_4 features / 12.75).")
    String content;

    @Option(names = "--vgg", paramLabel = "FILE|random", description = "VGG19 weights for the content loss, in "
            + "torchvision's layout (features.N.weight), as safetensors. 'random' uses random weights: smoke "
            + "tests only.")
    String vgg;

    @Option(names = "--lr", paramLabel = "RATE", description = "Adam learning rate. Default: the config's (1e-4 in "
            + "the paper); " + DEMO_LR + " for the demo.")
    Double lr;

    @Option(names = "--warmup", paramLabel = "STEPS", description = "Raise the learning rate linearly over this "
            + "many first updates. Default: the config's (0 in the paper).")
    Long warmup;

    @Option(names = "--beta1", paramLabel = "B", description = "Adam beta1. Default: 0.9.")
    Double beta1;

    @Option(names = "--beta2", paramLabel = "B", description = "Adam beta2. Default: 0.999.")
    Double beta2;

    @Option(names = "--lr-decay-step", paramLabel = "STEP", description = "From this step the learning rate is "
            + "divided by 10 (-1: never). Default: half of --steps for gan (the paper's 1e-4 then 1e-5), never "
            + "for mse.")
    Long lrDecayStep;

    @Option(names = "--seed", paramLabel = "N", description = "Seeds the weights, the data order and the crops. "
            + "Default: 0.")
    Long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder for checkpoints, samples, curves and "
            + "the metrics log. Default: runs/<date-time>; on --resume, the resumed run's folder.")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue a run exactly from its latest "
            + "checkpoint (a run folder, or one checkpoint folder). Its settings are kept; --steps, --data, --val, "
            + "--vgg and the reporting options may change.")
    Path resume;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads of the CPU backend. Default: "
            + "one per core.")
    Integer threads;

    @Option(names = "--workers", paramLabel = "N", description = "Background threads that load and crop images. "
            + "Default: 2.")
    Integer workers;

    @Option(names = "--log-every", paramLabel = "N", description = "Steps between metrics-log lines. Default: 10.")
    Integer logEvery;

    @Option(names = "--val-every", paramLabel = "N|DURATION", description = "Steps (e.g. 1000) or training time "
            + "(e.g. 5m) between validations and sample grids. Default: 1000; " + DEMO_VAL_EVERY + " for the demo.")
    String valEvery;

    @Option(names = "--time", paramLabel = "DURATION", description = "Stop (with a checkpoint) after this much "
            + "training time in this session, e.g. 30m, 90s, 2h; validation and checkpoints do not count. "
            + "Default: no limit.")
    String time;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints (one is "
            + "also written at the end and on Ctrl-C). Default: 1000.")
    Integer checkpointEvery;

    @Option(names = "--progress", paramLabel = "auto|bar|lines", defaultValue = "auto", description = "A progress "
            + "bar (terminals) or a line every few seconds (logs). Default: ${DEFAULT-VALUE}.")
    String progress;

    @Override
    public Integer call() {
        boolean bar = switch (progress) {
            case "auto" -> Trainer.terminalAttached();
            case "bar" -> true;
            case "lines" -> false;
            default -> throw new IllegalArgumentException("--progress must be auto, bar or lines, got '"
                    + progress + "'");
        };
        Checkpoint.Saved saved = resume == null ? null : Checkpoint.find(resume);
        TrainConfig config = (saved == null ? newConfig() : resumedConfig(saved.config())).validate();
        Path runDir = out != null ? out : saved != null ? Checkpoint.runDirOf(saved.dir())
                : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        PrintStream stdout = System.out;
        try (Backend backend = openBackend()) {
            if (config.builtInData() && saved == null) {
                stdout.printf("No --data given: a short demo on built-in generated images, with a small model and a "
                        + "short schedule (%d channels, %d blocks, batch %d of %dx%d crops, %d steps, lr %s). With "
                        + "--data DIR the defaults are the config's (the paper's unless --config says otherwise).%n", config.variant().generator().channels(),
                        config.variant().generator().blocks(),
                        config.batch(), config.crop(), config.crop(), config.steps(), config.lr());
            }
            return train(config, saved, runDir, backend, bar, stdout);
        }
    }

    private int train(TrainConfig config, Checkpoint.Saved saved, Path runDir, Backend backend, boolean bar,
                      PrintStream stdout) {
        try (Trainer trainer = Trainer.prepare(config, saved, runDir, backend, stdout, System.err)) {
            Trainer.Result result = trainer.run(bar);
            if (result.outcome() == Trainer.Outcome.COMPLETED && config.builtInData() && saved == null) {
                printNextSteps(stdout, runDir, config, result);
            }
            return switch (result.outcome()) {
                case COMPLETED -> 0;
                case INTERRUPTED -> EXIT_INTERRUPTED;
                case DIVERGED -> EXIT_DIVERGED;
            };
        } catch (IOException e) {
            throw new IllegalStateException("training stopped by an I/O error: " + e.getMessage(), e);
        }
    }

    /** The --device backend, with --threads applied to the CPU backend; says what runs, as every command does. */
    private Backend openBackend() {
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        Backend backend = Backends.create(device.device);
        if (threads != null) {
            if (!(backend instanceof CpuBackend cpu)) {
                System.err.println("warning: --threads applies to the cpu backend only; ignored on " + backend.name());
            } else if (cpu.threads() != threads) {
                backend.close();
                backend = new CpuBackend(threads);
            }
        }
        System.err.println("device: " + backend.describe());
        return backend;
    }

    /**
     * A new run: every option not given takes the config's value (the paper's by default), or the demo's without
     * --data.
     */
    private TrainConfig newConfig() {
        Phase p = phase == null ? Phase.MSE : Phase.parse(phase);
        boolean demo = data == null;
        VariantConfig v = config != null ? VariantConfigs.load(config) : init != null ? GeneratorFiles.variant(init) : null;
        if (v == null) v = VariantConfigs.load(VariantConfigs.DEFAULT_BASE);
        int[] initShape = init != null && (channels == null || blocks == null) ? generatorShape(init) : null;
        int c = or(channels, initShape != null ? initShape[0] : demo ? DEMO_CHANNELS : v.generator().channels());
        int b = or(blocks, initShape != null ? initShape[1] : demo ? DEMO_BLOCKS : v.generator().blocks());
        v = v.withGenerator(v.generator().withSize(c, b));
        if (content != null) v = v.withLoss(v.loss().withContent(content));
        long s = or(steps, demo ? DEMO_STEPS : p == Phase.MSE ? PAPER_MSE_STEPS : PAPER_GAN_STEPS);
        long decay = or(lrDecayStep, p == Phase.GAN ? s / 2 : -1L);
        Interval every = Interval.parse(valEvery, demo ? DEMO_VAL_EVERY : 1000);
        return new TrainConfig(p, v, data, val, init, vgg, s, or(batch, demo ? DEMO_BATCH : PAPER_BATCH),
                or(crop, demo ? DEMO_CROP : PAPER_CROP), or(lr, demo ? DEMO_LR : v.train().lr()),
                or(warmup, v.train().warmupSteps()), or(beta1, 0.9), or(beta2, 0.999), decay, or(seed, 0L),
                or(workers, 2), or(logEvery, 10), every.steps, or(checkpointEvery, 1000), duration("--time", time),
                every.time);
    }

    /**
     * The checkpoint's settings, with the options that may change applied. An option that would change the
     * numbers the run computes is an error, so a resumed run stays the run it was.
     */
    private TrainConfig resumedConfig(TrainConfig c) {
        List<String> conflicts = new ArrayList<>();
        fixed(conflicts, "--phase", phase == null ? null : Phase.parse(phase), c.phase());
        if (config != null && !VariantConfigs.load(config).equals(c.variant())) {
            conflicts.add("--config " + config + " differs from the checkpoint's (" + c.variant().name() + ")");
        }
        fixed(conflicts, "--content", content == null ? null : c.variant().loss().withContent(content),
                c.variant().loss());
        fixed(conflicts, "--batch", batch, c.batch());
        fixed(conflicts, "--crop", crop, c.crop());
        fixed(conflicts, "--channels", channels, c.variant().generator().channels());
        fixed(conflicts, "--blocks", blocks, c.variant().generator().blocks());
        fixed(conflicts, "--lr", lr, c.lr());
        fixed(conflicts, "--warmup", warmup, c.warmupSteps());
        fixed(conflicts, "--beta1", beta1, c.beta1());
        fixed(conflicts, "--beta2", beta2, c.beta2());
        fixed(conflicts, "--lr-decay-step", lrDecayStep, c.lrDecayStep());
        fixed(conflicts, "--seed", seed, c.seed());
        if (init != null) conflicts.add("--init has no effect on --resume (the checkpoint holds the generator)");
        if (!conflicts.isEmpty()) {
            throw new IllegalArgumentException("a resumed run keeps the settings it started with: "
                    + String.join("; ", conflicts));
        }
        Interval every = valEvery == null ? new Interval(c.valEvery(), null) : Interval.parse(valEvery, c.valEvery());
        return new TrainConfig(c.phase(), c.variant(), data != null ? data : c.data(), val != null ? val : c.val(),
                c.init(), vgg != null ? vgg : c.vgg(), or(steps, c.steps()), c.batch(), c.crop(), c.lr(),
                c.warmupSteps(), c.beta1(), c.beta2(), c.lrDecayStep(), c.seed(), or(workers, c.workers()),
                or(logEvery, c.logEvery()), every.steps, or(checkpointEvery, c.checkpointEvery()),
                duration("--time", time), every.time);
    }

    /** {@code --val-every}: a step count, or a training-time interval. */
    private record Interval(int steps, Duration time) {
        static Interval parse(String text, int defaultSteps) {
            if (text == null) return new Interval(defaultSteps, null);
            if (text.strip().matches("\\d+")) {
                try {
                    return new Interval(Integer.parseInt(text.strip()), null);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--val-every " + text + " is too large");
                }
            }
            return new Interval(defaultSteps, duration("--val-every", text));
        }
    }

    /** Parses 90s, 30m, 1.5h (or an ISO-8601 duration such as PT30M); null stays null. */
    static Duration duration(String option, String text) {
        if (text == null) return null;
        String t = text.strip().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(t);
        try {
            if (m.matches()) {
                double value = Double.parseDouble(m.group(1));
                double seconds = value * switch (m.group(2)) {
                    case "s" -> 1;
                    case "h" -> 3600;
                    default -> 60;
                };
                return Duration.ofMillis(Math.round(seconds * 1000));
            }
            return Duration.parse(text.strip().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(option + " expects a duration such as 90s, 30m or 2h, got '" + text + "'");
        }
    }

    private static void fixed(List<String> conflicts, String option, Object given, Object saved) {
        if (given != null && !Objects.equals(given, saved)) {
            conflicts.add(option + " " + given + " differs from the checkpoint's " + saved);
        }
    }

    private static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }

    /**
     * Channels and blocks of a generator weight file: the rows of {@code head.0.weight} and the number of
     * {@code body.N} entries. Null when the file cannot tell (the strict load will then say what is wrong).
     */
    private static int[] generatorShape(Path file) {
        if (!Files.isRegularFile(file)) return null;
        Map<String, HostTensor> state;
        try {
            state = SafeTensors.read(file);
        } catch (IOException e) {
            return null;
        }
        HostTensor head = state.get("head.0.weight");
        if (head == null || head.rank() != 4) return null;
        int blocks = 0;
        while (state.containsKey("body." + blocks + ".conv1.weight")) blocks++;
        return new int[]{head.shape()[0], blocks};
    }

    private static void printNextSteps(PrintStream out, Path runDir, TrainConfig c, Trainer.Result result) {
        out.println();
        out.println("That was a demo: a small generator (" + c.variant().generator().channels() + " channels, "
                + c.variant().generator().blocks()
                + " blocks; the paper's has 64 and 16) trained for " + c.steps() + " steps at lr " + c.lr()
                + " on generated images.");
        if (result.val() != null && result.val().psnr() < result.bicubic().psnr()) {
            out.println("So brief a run does not beat bicubic interpolation yet; the paper trains SRResNet for "
                    + "10^6 steps on 350k photos.");
        }
        out.println("To train on your own images (PNG/JPEG, any folder layout), e.g. DIV2K's 800 HR training images:");
        out.println("  java -jar srgan.jar train --data DIV2K_train_HR --val Set5        # SRResNet, the paper's "
                + "settings");
        out.println("  java -jar srgan.jar train --phase gan --init runs/RUN/generator.safetensors \\");
        out.println("       --vgg vgg19.safetensors --data DIV2K_train_HR --val Set5     # then SRGAN (VGG54 loss)");
        out.println("Upscale and score with what you trained:");
        out.println("  java -jar srgan.jar upscale --model " + runDir.resolve("generator.safetensors")
                + " IN.png OUT.png");
        out.println("  java -jar srgan.jar eval --model " + runDir.resolve("generator.safetensors") + " --data Set5");
    }
}
