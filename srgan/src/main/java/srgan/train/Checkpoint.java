package srgan.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.engine.nn.Module;
import srgan.engine.optim.Adam;
import srgan.model.Generator;
import srgan.model.GeneratorFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training checkpoint: one folder {@code <run>/checkpoints/step-NNNNNNNN} holding
 * <ul>
 *   <li>{@code generator.safetensors} and, in the GAN phase, {@code discriminator.safetensors}: the modules'
 *       state dicts (weights and batch-norm statistics), loadable by {@code upscale} and {@code --init};</li>
 *   <li>{@code optimizer.safetensors}: both Adam states (moments and step count) under the prefixes
 *       {@code generator.} and {@code discriminator.};</li>
 *   <li>{@code state.json}: the step, the phase, the run's settings and the state of the data generator.</li>
 * </ul>
 * Every file is written to a temporary name and renamed into place, and {@code state.json} comes last: a
 * folder without it is an interrupted write and is never resumed from. After a checkpoint is complete, the
 * run folder's {@code generator.safetensors} is replaced by its generator (the file to use for inference), and
 * older checkpoint folders are removed.
 *
 * <p>The data generator needs no saved stream: every batch is drawn from a generator seeded by (seed, step)
 * (see {@link BatchLoader}), so the seed and the step are its whole state.
 */
public final class Checkpoint {
    static final String FOLDER = "checkpoints";
    static final String STATE = "state.json";
    static final String GENERATOR = "generator.safetensors";
    static final String DISCRIMINATOR = "discriminator.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    /** Version 2: the run's layer-variant config replaces the channels/blocks/content settings. */
    private static final String FORMAT = "srgan-train-checkpoint/2";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * A complete checkpoint found on disk.
     *
     * @param dir    its folder
     * @param step   updates done when it was written
     * @param config the run's settings
     * @param state  everything in its state.json
     */
    public record Saved(Path dir, long step, TrainConfig config, Map<String, Object> state) {
    }

    private Checkpoint() {
    }

    /**
     * Writes the checkpoint of {@code step} under {@code runDir} and returns its folder.
     *
     * @param d     the discriminator, or null in the MSE phase (with {@code dOpt})
     * @param extra more entries for state.json (last validation figures)
     */
    static Path write(Path runDir, long step, TrainConfig config, Generator g, Adam gOpt, Module d, Adam dOpt,
                      Map<String, Object> extra) throws IOException {
        Path dir = runDir.resolve(FOLDER).resolve(String.format("step-%08d", step));
        if (Files.exists(dir.resolve(STATE))) return dir; // this step is already saved
        Files.createDirectories(dir);
        GeneratorFiles.save(dir.resolve(GENERATOR), g, config.variant());
        if (d != null) d.save(dir.resolve(DISCRIMINATOR));
        Map<String, HostTensor> optimizers = new LinkedHashMap<>();
        gOpt.stateDict().forEach((k, v) -> optimizers.put("generator." + k, v));
        if (dOpt != null) dOpt.stateDict().forEach((k, v) -> optimizers.put("discriminator." + k, v));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("step", Long.toString(step));
        SafeTensors.write(dir.resolve(OPTIMIZER), optimizers, metadata);

        Map<String, Object> state = new LinkedHashMap<>();
        state.put("format", FORMAT);
        state.put("step", step);
        state.put("phase", config.phase().id());
        state.put("written", Instant.now().toString());
        Map<String, Object> rng = new LinkedHashMap<>();
        rng.put("kind", "counter: each batch is drawn from Rng(seed, step), each epoch's order from Rng(seed, epoch)");
        rng.put("seed", config.seed());
        rng.put("next_step", step);
        state.put("data_rng", rng);
        Map<String, Object> files = new LinkedHashMap<>();
        files.put("generator", GENERATOR);
        if (d != null) files.put("discriminator", DISCRIMINATOR);
        files.put("optimizer", OPTIMIZER);
        state.put("files", files);
        state.putAll(extra);
        state.put("config", config.toJson());
        writeAtomically(dir.resolve(STATE), JSON.writeValueAsBytes(state));

        copyAtomically(dir.resolve(GENERATOR), runDir.resolve(GENERATOR));
        removeOlder(runDir.resolve(FOLDER), dir);
        return dir;
    }

    /** Writes {@code bytes} to a temporary file beside {@code target}, forces it to disk and renames it over. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void copyAtomically(Path source, Path target) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Deletes every checkpoint folder but {@code keep}: older complete ones and interrupted writes. */
    private static void removeOlder(Path folder, Path keep) throws IOException {
        try (Stream<Path> dirs = Files.list(folder)) {
            for (Path p : dirs.toList()) {
                if (!p.equals(keep) && p.getFileName().toString().startsWith("step-")) deleteTree(p);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * The checkpoint to resume from: {@code path} itself when it holds a {@code state.json}, else the latest
     * complete checkpoint of the run folder {@code path}.
     *
     * @throws IllegalArgumentException if there is none, or its state cannot be read
     */
    public static Saved find(Path path) {
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException("--resume " + path
                    + (Files.exists(path) ? " is not a folder" : " does not exist"));
        }
        Path dir = path;
        if (!Files.isRegularFile(dir.resolve(STATE))) {
            List<Path> complete = new ArrayList<>();
            Path folder = path.resolve(FOLDER);
            if (Files.isDirectory(folder)) {
                try (Stream<Path> dirs = Files.list(folder)) {
                    dirs.filter(p -> p.getFileName().toString().startsWith("step-"))
                            .filter(p -> Files.isRegularFile(p.resolve(STATE)))
                            .forEach(complete::add);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot list " + folder + ": " + e.getMessage(), e);
                }
            }
            if (complete.isEmpty()) {
                throw new IllegalArgumentException("--resume " + path + " holds no checkpoint: expected "
                        + FOLDER + "/step-*/" + STATE + " (a run folder) or " + STATE + " (a checkpoint folder)");
            }
            complete.sort(Comparator.comparing(p -> p.getFileName().toString()));
            dir = complete.get(complete.size() - 1);
        }
        Map<String, Object> state;
        try {
            state = JSON.readValue(dir.resolve(STATE).toFile(), new TypeReference<Map<String, Object>>() {
            });
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + dir.resolve(STATE) + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(state.get("format"))) {
            throw new IllegalArgumentException(dir.resolve(STATE) + " is not a checkpoint of this program (format "
                    + state.get("format") + ", expected " + FORMAT + ")");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) state.get("config");
        if (config == null || !(state.get("step") instanceof Number step)) {
            throw new IllegalArgumentException(dir.resolve(STATE) + " lacks its step or settings");
        }
        return new Saved(dir, step.longValue(), TrainConfig.fromJson(config), state);
    }

    /**
     * The run folder a checkpoint folder belongs to ({@code <run>/checkpoints/step-N}); the folder itself when it
     * is not laid out so. Absolute and normalised.
     */
    public static Path runDirOf(Path checkpointDir) {
        Path dir = checkpointDir.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals(FOLDER)
                && parent.getParent() != null) {
            return parent.getParent();
        }
        return dir;
    }

    /** Loads a found checkpoint's weights and optimiser states, strictly; the discriminator's only if given. */
    static void load(Saved saved, Module g, String gName, Adam gOpt, Module d, String dName, Adam dOpt) {
        WeightFiles.load("checkpoint", saved.dir().resolve(GENERATOR), g, gName);
        if (d != null) WeightFiles.load("checkpoint", saved.dir().resolve(DISCRIMINATOR), d, dName);
        Map<String, HostTensor> all = WeightFiles.read("checkpoint", saved.dir().resolve(OPTIMIZER));
        loadOptimizer(saved, all, "generator.", gOpt);
        if (dOpt != null) loadOptimizer(saved, all, "discriminator.", dOpt);
    }

    private static void loadOptimizer(Saved saved, Map<String, HostTensor> all, String prefix, Adam opt) {
        Map<String, HostTensor> mine = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) mine.put(k.substring(prefix.length()), v);
        });
        try {
            opt.loadStateDict(mine);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + saved.dir().resolve(OPTIMIZER) + ": the " + prefix
                    .replace(".", "") + "'s " + e.getMessage(), e);
        }
    }
}
