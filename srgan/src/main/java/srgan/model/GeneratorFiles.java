package srgan.model;

import srgan.config.GeneratorSpec;
import srgan.config.VariantConfig;
import srgan.config.VariantConfigs;
import srgan.engine.Rng;
import srgan.engine.backend.Backend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generator weight files: safetensors whose {@code __metadata__} also carries the architecture
 * ({@value #GENERATOR_METADATA}, a {@link GeneratorSpec} as JSON) and the whole variant it was trained as
 * ({@value #VARIANT_METADATA}), so {@code upscale}, {@code eval} and {@code train --init} rebuild the right
 * network from the file alone.
 */
public final class GeneratorFiles {
    /** Metadata key of the generator's architecture. */
    public static final String GENERATOR_METADATA = "srgan.generator";
    /** Metadata key of the variant (networks, losses, learning rate) the weights were trained as. */
    public static final String VARIANT_METADATA = "srgan.variant";
    private static final Pattern BLOCK_KEY = Pattern.compile("body\\.(\\d+)\\..*");

    private GeneratorFiles() {
    }

    /** Writes the generator's state dict with its architecture and variant in the metadata. */
    public static void save(Path file, Generator generator, VariantConfig variant) throws IOException {
        SafeTensors.write(file, generator.stateDict(), metadata(generator.spec(), variant));
    }

    /** The metadata {@link #save} writes. */
    public static Map<String, String> metadata(GeneratorSpec spec, VariantConfig variant) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(GENERATOR_METADATA, VariantConfigs.toJson(spec));
        if (variant != null) m.put(VARIANT_METADATA, VariantConfigs.toJson(variant));
        return m;
    }

    /** The variant stored in a weight file, or null when the file has none (or cannot be read). */
    public static VariantConfig variant(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            String json = SafeTensors.metadata(file).get(VARIANT_METADATA);
            return json == null ? null : VariantConfigs.fromJson(json);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Builds the generator a weight file describes on {@code backend} and loads the weights, strictly, in eval
     * mode. A file without architecture metadata (e.g. converted from elsewhere) is taken as the paper's SRResNet
     * with the width from {@code head.0.weight} and the depth from the {@code body.N} keys.
     *
     * @throws IllegalArgumentException naming the file when it is missing, unreadable, or does not fit (every
     *                                  missing or unexpected tensor, every shape mismatch with both shapes)
     */
    public static Generator load(Backend backend, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        Map<String, HostTensor> state;
        Map<String, String> metadata;
        try {
            state = SafeTensors.read(file);
            metadata = SafeTensors.metadata(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model " + file + ": " + e.getMessage(), e);
        }
        GeneratorSpec spec;
        String json = metadata.get(GENERATOR_METADATA);
        if (json != null) {
            try {
                spec = VariantConfigs.fromJson(json, GeneratorSpec.class);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("model " + file + ": bad architecture metadata: " + e.getMessage(), e);
            }
        } else {
            spec = GeneratorSpec.paper().withSize(inferChannels(state), inferBlocks(state));
        }
        // The seed is irrelevant: every parameter is overwritten by the load.
        Generator generator = new Generator(backend, new Rng(0), spec);
        try {
            generator.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            generator.close();
            throw new IllegalArgumentException("model " + file + " does not fit the generator (" + describe(spec)
                    + "): " + e.getMessage(), e);
        }
        generator.eval();
        return generator;
    }

    /** "16 residual blocks, 64 channels", for messages. */
    public static String describe(GeneratorSpec spec) {
        return spec.blocks() + " " + spec.block() + " blocks, "
                + spec.channels() + " channels";
    }

    private static int inferChannels(Map<String, HostTensor> state) {
        HostTensor head = state.get("head.0.weight");
        return head != null && head.rank() == 4 ? head.shape()[0] : GeneratorSpec.paper().channels();
    }

    private static int inferBlocks(Map<String, HostTensor> state) {
        TreeSet<Integer> blocks = new TreeSet<>();
        for (String key : state.keySet()) {
            Matcher m = BLOCK_KEY.matcher(key);
            if (m.matches()) blocks.add(Integer.parseInt(m.group(1)));
        }
        return blocks.isEmpty() ? GeneratorSpec.paper().blocks() : blocks.last() + 1;
    }
}
