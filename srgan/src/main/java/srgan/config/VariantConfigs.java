package srgan.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads variant configs: a named preset shipped in the jar, or a YAML file. A file may start from another
 * config with {@code base: NAME-OR-PATH} (a path relative to the file) and give only what differs; without a
 * {@code base} it starts from {@code srgan-paper}. Nested sections merge key by key. Unknown keys are errors,
 * so a typo never silently trains the paper's network.
 */
public final class VariantConfigs {
    /** The presets shipped in the jar, in the order {@code --help} lists them. */
    public static final List<String> PRESETS = List.of("srgan-paper", "srgan-fast", "no-bn", "seed-paddle", "esrgan");
    /** The preset a config without {@code base} starts from. */
    public static final String DEFAULT_BASE = "srgan-paper";

    private static final String PRESET_DIR = "/srgan/config/presets/";
    private static final int MAX_BASE_DEPTH = 16;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private VariantConfigs() {
    }

    /**
     * A preset by name, or a YAML file by path (a name that is not a preset is taken as a path).
     *
     * @throws IllegalArgumentException for an unknown name, an unreadable file or a bad config, saying which key
     */
    public static VariantConfig load(String nameOrPath) {
        JsonNode tree = resolve(nameOrPath, null, 0);
        String where = nameOrPath;
        try {
            return YAML.treeToValue(tree, VariantConfig.class).validate();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config " + where + ": " + explain(e), e);
        }
    }

    /**
     * A config or one of its parts as JSON (checkpoints and weight files carry it, so a model rebuilds without
     * its YAML).
     */
    public static String toJson(Object configOrPart) {
        try {
            return JSON.writeValueAsString(configOrPart);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + configOrPart, e);
        }
    }

    /** The inverse of {@link #toJson} for a whole config, validated. */
    public static VariantConfig fromJson(String json) {
        return fromJson(json, VariantConfig.class).validate();
    }

    /** The inverse of {@link #toJson} for a part ({@link GeneratorSpec}, ...). */
    public static <T> T fromJson(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("stored config: " + explain(e), e);
        }
    }

    /** A JSON-ready tree of the config, for embedding in another JSON document. */
    public static Map<String, Object> toMap(VariantConfig config) {
        return JSON.convertValue(config, new TypeReference<Map<String, Object>>() { });
    }

    /** The inverse of {@link #toMap}. */
    public static VariantConfig fromMap(Map<String, Object> map) {
        try {
            return JSON.convertValue(map, VariantConfig.class).validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("stored config: " + e.getMessage(), e);
        }
    }

    /** The config tree of a preset or a file, with its bases merged in. */
    private static JsonNode resolve(String nameOrPath, Path relativeTo, int depth) {
        if (depth > MAX_BASE_DEPTH) {
            throw new IllegalArgumentException("config " + nameOrPath + ": 'base' chain deeper than " + MAX_BASE_DEPTH
                    + " (a cycle?)");
        }
        JsonNode own;
        Path file = null;
        if (PRESETS.contains(nameOrPath)) {
            own = readPreset(nameOrPath);
        } else {
            file = relativeTo == null ? Path.of(nameOrPath) : relativeTo.resolveSibling(nameOrPath);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("config '" + nameOrPath + "' is neither a preset (" + String.join(", ",
                        PRESETS) + ") nor a readable file" + (relativeTo == null ? "" : " (relative to " + relativeTo + ")"));
            }
            try {
                own = YAML.readTree(file.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException("config " + file + ": " + explain(e), e);
            }
        }
        if (own == null || !own.isObject()) {
            throw new IllegalArgumentException("config " + nameOrPath + ": expected a YAML mapping (key: value lines)");
        }
        ObjectNode mine = ((ObjectNode) own).deepCopy();
        JsonNode baseNode = mine.remove("base");
        String base = baseNode != null ? baseNode.asText() : nameOrPath.equals(DEFAULT_BASE) ? null : DEFAULT_BASE;
        if (base == null) return mine;
        ObjectNode merged = ((ObjectNode) resolve(base, baseNode != null ? file : null, depth + 1)).deepCopy();
        if (!mine.has("name")) merged.remove("name");
        if (!mine.has("description")) merged.remove("description");
        merge(merged, mine);
        if (!merged.has("name")) {
            merged.put("name", file == null ? nameOrPath : file.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
        }
        return merged;
    }

    private static JsonNode readPreset(String name) {
        try (InputStream in = VariantConfigs.class.getResourceAsStream(PRESET_DIR + name + ".yaml")) {
            if (in == null) throw new IllegalStateException("preset " + name + " is missing from the jar");
            return YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read preset " + name, e);
        }
    }

    /** Overlays {@code top} on {@code base}: mappings merge key by key, anything else replaces. */
    private static void merge(ObjectNode base, JsonNode top) {
        Iterator<Map.Entry<String, JsonNode>> fields = top.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            JsonNode old = base.get(f.getKey());
            if (old instanceof ObjectNode o && f.getValue().isObject()) merge(o, f.getValue());
            else base.set(f.getKey(), f.getValue());
        }
    }

    /** Jackson's message without its source dump, with the key path in front. */
    private static String explain(Exception e) {
        if (e instanceof JsonMappingException m) {
            List<String> path = new ArrayList<>();
            for (JsonMappingException.Reference r : m.getPath()) {
                path.add(r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]");
            }
            String msg = m.getOriginalMessage();
            if (m instanceof UnrecognizedPropertyException u) {
                // The path ends at the unknown key itself: name the section it sits in instead.
                if (!path.isEmpty()) path.remove(path.size() - 1);
                List<String> known = new ArrayList<>();
                for (Object k : u.getKnownPropertyIds()) known.add(String.valueOf(k));
                Collections.sort(known);
                msg = "unknown key '" + u.getPropertyName() + "' (known: " + String.join(", ", known) + ")";
            } else if (m instanceof InvalidFormatException f) {
                msg = "bad value '" + f.getValue() + "'" + (f.getTargetType() != null && f.getTargetType().isEnum()
                        ? " (expected one of " + enumNames(f.getTargetType()) + ")" : "");
            }
            int nl = msg.indexOf('\n');
            if (nl >= 0) msg = msg.substring(0, nl);
            return (path.isEmpty() ? "" : String.join(".", path) + ": ") + msg;
        }
        return e.getMessage();
    }

    private static List<String> enumNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (Object c : type.getEnumConstants()) {
            try {
                JsonProperty p = type.getField(((Enum<?>) c).name()).getAnnotation(JsonProperty.class);
                names.add(p != null ? p.value() : c.toString());
            } catch (NoSuchFieldException impossible) {
                names.add(c.toString());
            }
        }
        return names;
    }
}
