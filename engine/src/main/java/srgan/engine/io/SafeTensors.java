package srgan.engine.io;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format, the one
 * PyTorch state dicts travel in, as {@link HostTensor}s.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of UTF-8 JSON mapping
 * each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the first
 * byte after the header), plus an optional {@code "__metadata__"} object of strings; then the little-endian
 * tensor data.
 *
 * <p>Reading decodes F32, F16 and BF16; F16 and BF16 widen to float exactly. The header is checked in full
 * before any data is read, and every malformation is a {@link SafeTensorsException} naming the file and,
 * where one is at fault, the tensor. Like the reference reader, headers over 100 MB are refused. Unlike it,
 * gaps between tensors' data and bytes after the last tensor are tolerated (only overlap is an error), since
 * neither makes the file ambiguous.
 *
 * <p>Data is read with positional reads through one small buffer, so reading needs memory for the resulting
 * float arrays and little more.
 */
public final class SafeTensors {

    /** The reference implementation's limit; a larger header is refused before anything is allocated. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    /** A multiple of every dtype size, so a chunk never splits an element. */
    private static final int CHUNK_BYTES = 1 << 20;

    /** Java arrays stop a little short of {@code Integer.MAX_VALUE} on common JVMs. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    // Jackson's default caps on string and name length sit below the header limit, and a
                    // legitimate header may hold one long metadata value: whatever fits the header is allowed.
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength((int) MAX_HEADER_BYTES)
                            .maxNameLength((int) MAX_HEADER_BYTES)
                            .build())
                    // Jackson would otherwise keep the last of two entries with one name, silently.
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeTensors() {
    }

    /** Element types of the format that occupy whole bytes, with their sizes. */
    private enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), F8_E8M0(1),
        I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4),
        I64(8), U64(8), F64(8), C64(8);

        final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        boolean decodesToFloat() {
            return this == F32 || this == F16 || this == BF16;
        }

        static Dtype parse(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** One validated header entry; offsets are relative to the start of the data section. */
    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
    }

    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {
    }

    /**
     * Reads every tensor of a safetensors file.
     *
     * @return the tensors in header order, as an unmodifiable map
     * @throws SafeTensorsException if the file is malformed, or holds a dtype other than F32, F16 or BF16, or a
     *                              tensor too large for a Java array
     * @throws IOException          if the file cannot be read
     */
    public static Map<String, HostTensor> read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(ch, file);
            // Refuse what cannot be decoded before reading anything, so a bad last entry fails fast.
            List<int[]> shapes = new ArrayList<>(header.entries().size());
            for (Entry e : header.entries()) {
                shapes.add(decodableShape(e, file));
            }
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            Map<String, HostTensor> out = new LinkedHashMap<>();
            for (int i = 0; i < shapes.size(); i++) {
                Entry e = header.entries().get(i);
                float[] data = readData(ch, file, header.dataStart(), e, chunk);
                out.put(e.name(), new HostTensor(shapes.get(i), data));
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /**
     * Reads the {@code "__metadata__"} map of a safetensors file, without reading any tensor data. The rest
     * of the header is validated as in {@link #read}, except that any dtype of the format is accepted.
     *
     * @return the metadata in header order, empty if the file has none, as an unmodifiable map
     * @throws SafeTensorsException if the header is malformed
     * @throws IOException          if the file cannot be read
     */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file).metadata();
        }
    }

    /**
     * Writes tensors as F32, in the map's iteration order, with an optional metadata map. The header is
     * padded with spaces to a multiple of 8 bytes, as the reference writer does, so the data is aligned.
     *
     * <p>The file is written to a temporary file in the same folder and renamed over {@code file} with
     * {@link StandardCopyOption#ATOMIC_MOVE}: a reader sees the old file or the complete new one, never a
     * partial write, and a failed write leaves any old file in place.
     *
     * @param metadata string pairs stored under {@code "__metadata__"}; null or empty writes none
     * @throws IllegalArgumentException if a tensor is named {@code "__metadata__"} or the header would exceed
     *                                  {@link #MAX_HEADER_BYTES}
     * @throws NullPointerException     if a name, tensor, metadata key or metadata value is null
     * @throws IOException              if writing or renaming fails (an
     *                                  {@link java.nio.file.AtomicMoveNotSupportedException} where the file
     *                                  system cannot rename atomically)
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        byte[] header = headerBytes(tensors, metadata);

        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            // CREATE_NEW rather than Files.createTempFile: the latter makes the file owner-only, and the
            // rename would carry that mode over to the checkpoint.
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                length.putLong(0, header.length);
                writeFully(ch, length);
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                int floatsPerChunk = CHUNK_BYTES / Float.BYTES;
                for (HostTensor t : tensors.values()) {
                    float[] data = t.data();
                    for (int from = 0; from < data.length; from += floatsPerChunk) {
                        int n = Math.min(floatsPerChunk, data.length - from);
                        chunk.clear();
                        chunk.asFloatBuffer().put(data, from, n);
                        chunk.limit(n * Float.BYTES);
                        writeFully(ch, chunk);
                    }
                }
                // Without this, a crash soon after the rename can leave the new name on an empty file.
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    // ---- reading ----

    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new SafeTensorsException(file, null, "file is " + fileSize
                    + " bytes long, too short for the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lengthBytes, 0, file, null);
        long headerLength = lengthBytes.getLong(0);
        // Negative here means an unsigned length of 2^63 or more.
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafeTensorsException(file, null, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength > fileSize - 8) {
            throw new SafeTensorsException(file, null, "header length " + headerLength
                    + " runs past the end of the file (" + fileSize + " bytes)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(ch, headerBytes, 8, file, null);
        headerBytes.flip();

        JsonNode root = parseJson(headerBytes, file);
        if (!root.isObject()) {
            throw new SafeTensorsException(file, null, "header is " + describe(root) + ", not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = fileSize - dataStart;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(field.getValue(), file);
            } else {
                entries.add(parseEntry(field.getKey(), field.getValue(), dataLength, file));
            }
        }
        checkNoOverlap(entries, file);
        return new Header(entries, metadata, dataStart);
    }

    private static JsonNode parseJson(ByteBuffer bytes, Path file) throws SafeTensorsException {
        String text;
        try {
            // Strict decoding: the default String constructor would quietly turn bad bytes into U+FFFD.
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(file, null, "header is not valid UTF-8", e);
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            throw new SafeTensorsException(file, null, "header is not valid JSON"
                    + (at < 0 ? "" : " at character " + at) + ": " + e.getOriginalMessage(), e);
        }
    }

    private static Map<String, String> parseMetadata(JsonNode node, Path file) throws SafeTensorsException {
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new SafeTensorsException(file, null, "\"" + METADATA_KEY + "\" is " + describe(node)
                    + ", not an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw new SafeTensorsException(file, null, "\"" + METADATA_KEY + "\" value for key '"
                        + field.getKey() + "' is " + describe(field.getValue()) + ", not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Entry parseEntry(String name, JsonNode node, long dataLength, Path file)
            throws SafeTensorsException {
        if (!node.isObject()) {
            throw new SafeTensorsException(file, name, "entry is " + describe(node) + ", not an object");
        }
        JsonNode dtypeNode = field(node, "dtype", name, file);
        if (!dtypeNode.isTextual()) {
            throw new SafeTensorsException(file, name, "\"dtype\" is " + describe(dtypeNode) + ", not a string");
        }
        Dtype dtype = Dtype.parse(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafeTensorsException(file, name, "unknown dtype " + abbreviate(dtypeNode.toString())
                    + "; known: " + Arrays.toString(Dtype.values()));
        }

        JsonNode shapeNode = field(node, "shape", name, file);
        if (!shapeNode.isArray()) {
            throw new SafeTensorsException(file, name, "\"shape\" is " + describe(shapeNode)
                    + ", not an array of integers");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(shapeNode.get(i), "\"shape\" entry " + i, name, file);
        }

        JsonNode offsetsNode = field(node, "data_offsets", name, file);
        if (!offsetsNode.isArray() || offsetsNode.size() != 2) {
            throw new SafeTensorsException(file, name, "\"data_offsets\" is " + describe(offsetsNode)
                    + ", not an array of two integers [begin, end]");
        }
        long begin = nonNegativeLong(offsetsNode.get(0), "\"data_offsets\" begin", name, file);
        long end = nonNegativeLong(offsetsNode.get(1), "\"data_offsets\" end", name, file);
        if (begin > end) {
            throw new SafeTensorsException(file, name, "data_offsets [" + begin + ", " + end
                    + "] begin after end");
        }

        long byteLength;
        try {
            long count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            byteLength = Math.multiplyExact(count, (long) dtype.bytes);
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(file, name, "shape " + Arrays.toString(shape)
                    + " has more elements than a file can hold");
        }
        if (byteLength != end - begin) {
            throw new SafeTensorsException(file, name, "shape " + Arrays.toString(shape) + " of dtype " + dtype
                    + " needs " + byteLength + " bytes but data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin));
        }
        if (end > dataLength) {
            throw new SafeTensorsException(file, name, "data_offsets [" + begin + ", " + end
                    + "] run past the end of the data section (" + dataLength + " bytes); is the file truncated?");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static JsonNode field(JsonNode entry, String key, String name, Path file) throws SafeTensorsException {
        JsonNode value = entry.get(key);
        if (value == null) {
            throw new SafeTensorsException(file, name, "entry has no \"" + key + "\"");
        }
        return value;
    }

    private static long nonNegativeLong(JsonNode node, String what, String name, Path file)
            throws SafeTensorsException {
        if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0) {
            return node.longValue();
        }
        throw new SafeTensorsException(file, name, what + " is " + describe(node)
                + ", not a non-negative integer");
    }

    private static void checkNoOverlap(List<Entry> entries, Path file) throws SafeTensorsException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry furthest = null;
        for (Entry e : sorted) {
            // Strict comparison: an empty tensor may sit exactly at another's boundary.
            if (furthest != null && e.begin() < furthest.end()) {
                throw new SafeTensorsException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap those of tensor '" + furthest.name() + "' [" + furthest.begin() + ", "
                        + furthest.end() + "]");
            }
            if (furthest == null || e.end() > furthest.end()) {
                furthest = e;
            }
        }
    }

    /** The entry's shape as a {@link HostTensor} can hold it, or why it cannot. */
    private static int[] decodableShape(Entry e, Path file) throws SafeTensorsException {
        if (!e.dtype().decodesToFloat()) {
            throw new SafeTensorsException(file, e.name(), "dtype " + e.dtype()
                    + " cannot be read as float; supported: F32, F16, BF16");
        }
        long count = (e.end() - e.begin()) / e.dtype().bytes;
        if (count > MAX_ARRAY_LENGTH) {
            throw new SafeTensorsException(file, e.name(), count + " elements do not fit in a Java array");
        }
        // Each dimension is at most the element count unless some dimension is 0, when others may be huge.
        int[] shape = new int[e.shape().length];
        for (int i = 0; i < shape.length; i++) {
            if (e.shape()[i] > Integer.MAX_VALUE) {
                throw new SafeTensorsException(file, e.name(), "dimension " + e.shape()[i]
                        + " does not fit in an int");
            }
            shape[i] = (int) e.shape()[i];
        }
        return shape;
    }

    private static float[] readData(FileChannel ch, Path file, long dataStart, Entry e, ByteBuffer chunk)
            throws IOException {
        float[] out = new float[(int) ((e.end() - e.begin()) / e.dtype().bytes)];
        long position = dataStart + e.begin();
        long remaining = e.end() - e.begin();
        int filled = 0;
        while (remaining > 0) {
            int n = (int) Math.min(CHUNK_BYTES, remaining);
            chunk.clear().limit(n);
            readFully(ch, chunk, position, file, e.name());
            chunk.flip();
            filled = decode(e.dtype(), chunk, out, filled);
            position += n;
            remaining -= n;
        }
        return out;
    }

    /** Decodes a whole chunk of little-endian elements into {@code out} from {@code at}; returns the new end. */
    private static int decode(Dtype dtype, ByteBuffer chunk, float[] out, int at) {
        switch (dtype) {
            case F32 -> {
                int n = chunk.remaining() / Float.BYTES;
                chunk.asFloatBuffer().get(out, at, n);
                return at + n;
            }
            case F16 -> {
                ShortBuffer halves = chunk.asShortBuffer();
                int n = halves.remaining();
                for (int i = 0; i < n; i++) {
                    out[at + i] = f16ToFloat(halves.get(i));
                }
                return at + n;
            }
            case BF16 -> {
                ShortBuffer halves = chunk.asShortBuffer();
                int n = halves.remaining();
                for (int i = 0; i < n; i++) {
                    out[at + i] = bf16ToFloat(halves.get(i));
                }
                return at + n;
            }
            default -> throw new AssertionError("checked by decodableShape: " + dtype);
        }
    }

    /**
     * Widens an IEEE 754 binary16 bit pattern to float, exactly: every half value, subnormals included, is a
     * float. NaN payloads and the quiet bit are kept in the top mantissa bits.
     */
    static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact since mantissa < 2^10.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    /** Widens a bfloat16 bit pattern, the top half of a float, to float. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    private static void readFully(FileChannel ch, ByteBuffer buffer, long position, Path file, String tensor)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, at);
            if (n < 0) {
                // Sizes were checked against the file's length, so this means it shrank while being read.
                throw new SafeTensorsException(file, tensor, "file ended at byte " + at
                        + " while reading; was it truncated during the read?");
            }
            at += n;
        }
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case MISSING -> "empty";
            case NULL -> "null";
            case OBJECT -> "an object";
            case ARRAY -> "an array of " + node.size();
            case STRING -> "the string " + abbreviate(node.toString());
            case NUMBER, BOOLEAN -> abbreviate(node.toString());
            default -> "a " + node.getNodeType().name().toLowerCase();
        };
    }

    /** Keeps messages readable when a hostile header puts megabytes where a word belongs. */
    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 60) + "...";
    }

    // ---- writing ----

    private static byte[] headerBytes(Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(bytes, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                // First, where the reference writer puts it.
                g.writeObjectFieldStart(METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    g.writeStringField(Objects.requireNonNull(m.getKey(), "metadata key"),
                            Objects.requireNonNull(m.getValue(), () -> "metadata value for key " + m.getKey()));
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Map.Entry<String, HostTensor> t : tensors.entrySet()) {
                String name = Objects.requireNonNull(t.getKey(), "tensor name");
                HostTensor tensor = Objects.requireNonNull(t.getValue(), () -> "tensor " + name);
                if (name.equals(METADATA_KEY)) {
                    throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
                }
                long end = offset + (long) tensor.data().length * Float.BYTES;
                g.writeObjectFieldStart(name);
                g.writeStringField("dtype", Dtype.F32.name());
                g.writeArrayFieldStart("shape");
                for (int d : tensor.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(end);
                g.writeEndArray();
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        }
        int padding = (8 - bytes.size() % 8) % 8;
        for (int i = 0; i < padding; i++) {
            bytes.write(' ');
        }
        if (bytes.size() > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header would be " + bytes.size() + " bytes, over the limit of "
                    + MAX_HEADER_BYTES + " that readers enforce");
        }
        return bytes.toByteArray();
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }
}
