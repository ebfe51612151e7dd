package srgan.model;

import srgan.config.GeneratorSpec;
import srgan.engine.Rng;
import srgan.engine.backend.Backend;
import srgan.engine.nn.Module;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The generator's block types, by the name a config's {@code generator.block} gives. A new block is a module
 * class (C channels in, C out, same size) plus one {@link #register} line here; see the README's "Adding a
 * block".
 */
public final class Blocks {
    /** Builds one block of a generator from its spec (channels, activation, BN, residual scale, ...). */
    @FunctionalInterface
    public interface Factory {
        Module create(Backend backend, Rng rng, GeneratorSpec spec);
    }

    private static final Map<String, Factory> FACTORIES = new LinkedHashMap<>();

    static {
        register("residual", ResidualBlock::new);
        register("rrdb", (backend, rng, spec) -> new Rrdb(backend, rng, spec.channels(), spec.growth(),
                spec.activationFunction(), spec.residualScale()));
        register("dense", (backend, rng, spec) -> new ResidualDenseBlock(backend, rng, spec.channels(), spec.growth(),
                spec.activationFunction(), spec.residualScale()));
        register("rcab", ChannelAttentionBlock::new);
    }

    private Blocks() {
    }

    /** Makes {@code name} usable as {@code generator.block}; a name may be registered once. */
    public static synchronized void register(String name, Factory factory) {
        if (FACTORIES.putIfAbsent(name, factory) != null) {
            throw new IllegalArgumentException("block type '" + name + "' is already registered");
        }
    }

    /**
     * The factory of a block type.
     *
     * @throws IllegalArgumentException naming the known types
     */
    public static synchronized Factory get(String name) {
        Factory f = FACTORIES.get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown generator.block '" + name + "'; known: "
                    + String.join(", ", FACTORIES.keySet()));
        }
        return f;
    }

    /** The registered names, in registration order. */
    public static synchronized Set<String> names() {
        return Set.copyOf(FACTORIES.keySet());
    }
}
