package srgan.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import srgan.config.VariantConfig;
import srgan.config.VariantConfigs;
import srgan.engine.backend.Backend;
import srgan.experiment.ExperimentReport;
import srgan.experiment.VariantResult;
import srgan.image.ImageFiles;
import srgan.image.RgbImage;
import srgan.inference.Evaluation;
import srgan.model.Blocks;
import srgan.model.Generator;
import srgan.model.GeneratorFiles;
import srgan.train.Scores;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code srgan experiment}: trains each layer variant (pre-training phase) under the same time budget, seed and
 * data, scores them on the validation sets, and writes a comparison: {@code results.md}, PSNR curves against
 * step and against training time, the losses, and a crop grid of the outputs. Each variant trains in a JVM of
 * its own, so its peak memory and speed are its own; a variant whose {@code result.json} exists is skipped, so
 * re-running an interrupted experiment finishes it.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train layer variants under one time budget and compare them (PSNR/SSIM, parameters, "
                + "ms/step, peak memory, curves, crops).",
                "Each CONFIG is a preset (" + "srgan-paper, srgan-fast, no-bn, seed-paddle, esrgan) or a YAML file; "
                        + "the generators are pre-trained with their pixel loss (the MSE phase)."},
        footer = {"", "Example:",
                "  srgan experiment srgan-paper no-bn esrgan seed-paddle --budget 20m \\",
                "       --data ../shared/data/BSD68 --val ../shared/data/Set5 --out runs/variants"})
final class ExperimentCommand implements Callable<Integer> {
    private static final int SCALE = Generator.SCALE;
    private static final int EVAL_TILE = 128;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    DeviceOption device;

    @Parameters(arity = "1..*", paramLabel = "CONFIG", description = "Variants: preset names or YAML files.")
    List<String> configs;

    @Option(names = "--budget", required = true, paramLabel = "DURATION",
            description = "Training time per variant, e.g. 20m (validation and checkpoints do not count).")
    String budget;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Training images (PNG/JPEG).")
    Path data;

    @Option(names = "--val", required = true, paramLabel = "DIR", description = "A validation set (repeatable); "
            + "the first is also scored during training for the curves.")
    List<Path> val;

    @Option(names = "--out", paramLabel = "DIR", description = "Experiment folder. Default: runs/experiment-<time>.")
    Path out;

    @Option(names = "--val-every", paramLabel = "DURATION", description = "Training time between validations "
            + "(the curves' points). Default: a tenth of the budget.")
    String valEvery;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed of every variant. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "HR crops per update. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--crop", defaultValue = "96", paramLabel = "PIXELS", description = "HR crop side. Default: ${DEFAULT-VALUE}.")
    int crop;

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads. Default: one per core.")
    Integer threads;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Duration time = TrainCommand.duration("--budget", budget);
        Duration every = valEvery != null ? TrainCommand.duration("--val-every", valEvery) : time.dividedBy(10);
        if (time.isZero() || time.isNegative()) throw new IllegalArgumentException("--budget must be positive");
        ImageFiles.list(data);
        List<List<Path>> valFiles = new ArrayList<>();
        for (Path v : val) valFiles.add(ImageFiles.list(v));
        // Every config is read before any training, so a typo in the last one costs nothing.
        Map<String, String> sources = new LinkedHashMap<>();
        Map<String, VariantConfig> variants = new LinkedHashMap<>();
        for (String c : configs) {
            VariantConfig v = VariantConfigs.load(c);
            Blocks.get(v.generator().block());
            if (variants.containsKey(v.name())) {
                throw new IllegalArgumentException("two configs are named '" + v.name() + "' (" + sources.get(v.name())
                        + " and " + c + "): give one a different 'name:'");
            }
            variants.put(v.name(), v);
            sources.put(v.name(), Files.isRegularFile(Path.of(c)) ? Path.of(c).toAbsolutePath().toString() : c);
        }
        Path dir = out != null ? out
                : Path.of("runs", "experiment-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir.resolve("variants"));
        PrintStream stdout = System.out;
        stdout.printf(Locale.ROOT, "experiment: %d variant%s, %s of training each, seed %d, batch %d x %dx%d crops%n",
                variants.size(), variants.size() == 1 ? "" : "s", budget, seed, batch, crop, crop);
        stdout.println("  folder: " + dir.toAbsolutePath());

        List<VariantResult> results = new ArrayList<>();
        Map<String, Scores> bicubic = new LinkedHashMap<>();
        for (int s = 0; s < val.size(); s++) {
            List<Evaluation.ImageScore> scores = new ArrayList<>();
            for (Path f : valFiles.get(s)) scores.add(Evaluation.score(f, null, SCALE, SCALE, EVAL_TILE));
            bicubic.put(setName(s), Evaluation.mean(scores, false));
        }
        Path cropImage = valFiles.get(0).get(0);
        Map<String, RgbImage> crops = new LinkedHashMap<>();
        RgbImage cropHr = null;
        int i = 0;
        try (Backend backend = device.open()) {
            for (Map.Entry<String, VariantConfig> e : variants.entrySet()) {
                String name = e.getKey();
                Path run = dir.resolve("variants").resolve(safeName(name));
                Path resultFile = run.resolve(VariantResult.FILE);
                stdout.printf(Locale.ROOT, "[%d/%d] %s: ", ++i, variants.size(), name);
                VariantResult result;
                if (Files.isRegularFile(resultFile)) {
                    result = VariantResult.read(resultFile);
                    stdout.println("finished earlier, skipped");
                } else {
                    if (Files.exists(run)) {
                        stdout.print("an unfinished run is there; starting it again. ");
                        deleteRecursively(run);
                    }
                    stdout.println("training for " + budget + " (log: " + run.resolve("train.log") + ")");
                    double peakMiB = train(sources.get(name), run, time, every);
                    result = score(name, run, peakMiB, backend, valFiles);
                    result.write(resultFile);
                }
                results.add(result);
                // The crop grid shows every variant, finished earlier or now, on the first validation image.
                try (Generator g = GeneratorFiles.load(backend, run.resolve("generator.safetensors"))) {
                    Evaluation.ImageScore shown = Evaluation.score(cropImage, g, SCALE, SCALE, EVAL_TILE);
                    crops.put(name, shown.sr());
                    cropHr = shown.hr();
                }
                stdout.printf(Locale.ROOT, "    %,d parameters, %d steps, %.0f ms/step, peak RSS %.0f MiB; %s%n",
                        result.parameters(), result.steps(), result.msPerStep(), result.peakRssMiB(),
                        describe(result.scores()));
            }
        }
        ExperimentReport.writeAll(dir, new ExperimentReport.Setup(budget, seed, data.toString(), commandLine()),
                results, bicubic);
        if (cropHr != null) ExperimentReport.writeCrops(dir.resolve(ExperimentReport.CROPS), cropHr, crops, SCALE);
        stdout.println("Wrote " + dir.resolve(ExperimentReport.RESULTS) + " and the plots beside it.");
        return 0;
    }

    /** Trains one variant in a JVM of its own; returns its peak RSS in MiB (NaN where it cannot be read). */
    private double train(String config, Path run, Duration time, Duration every) throws IOException, InterruptedException {
        Files.createDirectories(run);
        List<String> args = new ArrayList<>(List.of("train", "--config", config, "--data", data.toAbsolutePath().toString(),
                "--val", val.get(0).toAbsolutePath().toString(), "--time", seconds(time),
                "--val-every", seconds(every), "--steps", Long.toString(Long.MAX_VALUE / 2),
                "--checkpoint-every", Integer.toString(Integer.MAX_VALUE), "--seed", Long.toString(seed),
                "--batch", Integer.toString(batch), "--crop", Integer.toString(crop), "--progress", "lines",
                "--device", device.device, "--out", run.toAbsolutePath().toString()));
        if (threads != null) args.addAll(List.of("--threads", threads.toString()));
        Process child = new ProcessBuilder(childCommand(args)).redirectErrorStream(true)
                .redirectOutput(run.resolve("train.log").toFile()).start();
        AtomicLong peakKiB = new AtomicLong(-1);
        Thread watcher = new Thread(() -> {
            while (child.isAlive()) {
                peakKiB.accumulateAndGet(peakRssKiB(child.pid()), Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }, "srgan-experiment-rss");
        watcher.setDaemon(true);
        watcher.start();
        Thread stopChild = new Thread(child::destroy, "srgan-experiment-stop");
        Runtime.getRuntime().addShutdownHook(stopChild);
        int code = child.waitFor();
        Runtime.getRuntime().removeShutdownHook(stopChild);
        watcher.interrupt();
        if (code != 0) {
            List<String> log = Files.readAllLines(run.resolve("train.log"));
            throw new IllegalStateException("training " + run.getFileName() + " failed (exit " + code + "): "
                    + (log.isEmpty() ? "" : log.get(log.size() - 1)) + "; see " + run.resolve("train.log"));
        }
        return peakKiB.get() < 0 ? Double.NaN : peakKiB.get() / 1024.0;
    }

    private static String seconds(Duration d) {
        return d.toMillis() / 1000.0 + "s";
    }

    /** This JVM's java, options and class path running {@code Main} with {@code args}, with the Vector API on. */
    private static List<String> childCommand(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            command.add("--add-modules");
            command.add("jdk.incubator.vector");
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(args);
        return command;
    }

    /** VmHWM of a process in KiB, or -1 where /proc cannot tell. */
    private static long peakRssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException gone) {
            // the process has ended, or this is not Linux
        }
        return -1;
    }

    /** Scores a trained variant on every validation set and gathers its costs from its metrics log. */
    private VariantResult score(String name, Path run, double peakMiB, Backend backend, List<List<Path>> valFiles)
            throws IOException {
        Path metrics = run.resolve("metrics.jsonl");
        long steps = 0;
        double trainSeconds = Double.NaN;
        for (String line : Files.readAllLines(metrics)) {
            JsonNode node = JSON.readTree(line);
            if (node.has("loss_g")) {
                steps = node.get("step").asLong();
                trainSeconds = node.path("train_s").asDouble(Double.NaN);
            }
        }
        Map<String, Scores> scores = new LinkedHashMap<>();
        long parameters;
        try (Generator g = GeneratorFiles.load(backend, run.resolve("generator.safetensors"))) {
            parameters = g.parameterCount();
            for (int s = 0; s < valFiles.size(); s++) {
                List<Evaluation.ImageScore> per = new ArrayList<>();
                for (Path f : valFiles.get(s)) per.add(Evaluation.score(f, g, SCALE, SCALE, EVAL_TILE));
                scores.put(setName(s), Evaluation.mean(per, true));
            }
        }
        double msPerStep = steps > 0 ? 1000 * trainSeconds / steps : Double.NaN;
        return new VariantResult(name, parameters, steps, msPerStep, peakMiB, scores, metrics);
    }

    private String setName(int s) {
        Path name = val.get(s).toAbsolutePath().normalize().getFileName();
        return name == null ? "val" + (s + 1) : name.toString();
    }

    private static String describe(Map<String, Scores> scores) {
        List<String> parts = new ArrayList<>();
        scores.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.2f dB / %.4f", k, v.psnr(), v.ssim())));
        return String.join(", ", parts);
    }

    /** A folder name for a variant: its name with anything but letters, digits, '-', '_' and '.' replaced. */
    private static String safeName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private String commandLine() {
        List<String> parts = new ArrayList<>(List.of("java -jar srgan.jar experiment"));
        parts.addAll(configs);
        parts.add("--budget " + budget);
        parts.add("--data " + data);
        for (Path v : val) parts.add("--val " + v);
        if (valEvery != null) parts.add("--val-every " + valEvery);
        parts.add("--seed " + seed);
        parts.add("--batch " + batch);
        parts.add("--crop " + crop);
        if (threads != null) parts.add("--threads " + threads);
        return String.join(" ", parts);
    }
}
