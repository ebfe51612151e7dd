package srgan.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed files are crafted byte by byte here, so each test shows exactly what is on disk. Every rejection
 * must be a {@link SafeTensorsException} whose message names the file and, where one is at fault, the tensor.
 */
class SafeTensorsTest {

    @TempDir
    Path dir;

    // ---- crafting files ----

    private static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static byte[] u16(int... patterns) {
        ByteBuffer b = ByteBuffer.allocate(patterns.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int p : patterns) {
            b.putShort((short) p);
        }
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private Path raw(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(dir, "crafted", ".safetensors"), bytes);
    }

    /** A file whose length prefix matches the header it carries. */
    private Path crafted(String headerJson, byte[] data) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return raw(concat(le64(header.length), header, data));
    }

    /** A file with one tensor entry "w" of the given JSON body. */
    private Path oneEntry(String entryJson, byte[] data) throws IOException {
        return crafted("{\"w\":" + entryJson + "}", data);
    }

    private static SafeTensorsException readFails(Path file, String tensor, String fragment) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(file));
        String message = e.getMessage();
        assertTrue(message.contains(file.toString()), message);
        assertTrue(message.contains(fragment), () -> "expected '" + fragment + "' in: " + message);
        if (tensor == null) {
            assertTrue(e.tensor().isEmpty(), message);
        } else {
            assertEquals(tensor, e.tensor().orElseThrow(), message);
            assertTrue(message.contains("tensor '" + tensor + "'"), message);
        }
        assertEquals(file, e.file());
        return e;
    }

    /** Header faults are caught by {@code metadata()} too, and alike. */
    private static void bothFail(Path file, String tensor, String fragment) {
        String fromRead = readFails(file, tensor, fragment).getMessage();
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.metadata(file));
        assertEquals(fromRead, e.getMessage());
    }

    // ---- length prefix and header ----

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7})
    void fileShorterThanEightBytes(int length) throws IOException {
        bothFail(raw(new byte[length]), null, "too short for the 8-byte header length");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        bothFail(raw(concat(le64(3), header)), null, "header length 3 runs past the end of the file (10 bytes)");
    }

    @Test
    void headerOverLimitIsRefusedBeforeTheFileSizeMatters() throws IOException {
        // Tiny files, so a reader that trusted the length would have to allocate before finding out.
        bothFail(raw(le64(100_000_001L)), null, "header length 100000001 exceeds the limit of 100000000 bytes");
        bothFail(raw(concat(le64(Long.MAX_VALUE), new byte[8])), null, "exceeds the limit");
        // 2^64 - 1 is a negative long; it must be read as unsigned, not wrap to something small.
        bothFail(raw(le64(-1L)), null, "header length 18446744073709551615 exceeds the limit");
    }

    @Test
    void emptyHeader() throws IOException {
        bothFail(raw(le64(0)), null, "header is empty, not a JSON object");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xFF, '"', ':', '{', '}', '}'};
        bothFail(raw(concat(le64(header.length), header)), null, "header is not valid UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"w\":", "{not json}", "{\"w\":{}} trailing", "{\"a\":1,}"})
    void headerNotJson(String header) throws IOException {
        bothFail(crafted(header, new byte[0]), null, "header is not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        bothFail(crafted("[1, 2]", new byte[0]), null, "header is an array of 2, not a JSON object");
        bothFail(crafted("\"w\"", new byte[0]), null, "header is the string \"w\", not a JSON object");
        bothFail(crafted("null", new byte[0]), null, "header is null, not a JSON object");
        bothFail(crafted("42", new byte[0]), null, "header is 42, not a JSON object");
    }

    @Test
    void deeplyNestedHeaderIsAnErrorNotAStackOverflow() throws IOException {
        bothFail(crafted("{\"w\":" + "[".repeat(100_000), new byte[0]), null, "header is not valid JSON");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        bothFail(crafted("{\"w\":" + entry + ",\"w\":" + entry + "}", f32(1)), null, "Duplicate field 'w'");
    }

    // ---- entries ----

    @Test
    void entryNotAnObject() throws IOException {
        bothFail(oneEntry("[0, 4]", f32(1)), "w", "entry is an array of 2, not an object");
    }

    @Test
    void entryMissingFields() throws IOException {
        bothFail(oneEntry("{\"shape\":[1],\"data_offsets\":[0,4]}", f32(1)), "w", "entry has no \"dtype\"");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"data_offsets\":[0,4]}", f32(1)), "w", "entry has no \"shape\"");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1]}", f32(1)), "w", "entry has no \"data_offsets\"");
    }

    @Test
    void entryFieldsOfWrongType() throws IOException {
        bothFail(oneEntry("{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}", f32(1)),
                "w", "\"dtype\" is 4, not a string");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}", f32(1)),
                "w", "\"shape\" is the string \"1\", not an array of integers");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}", f32(1)),
                "w", "\"shape\" entry 0 is 1.0, not a non-negative integer");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1,\"2\"],\"data_offsets\":[0,8]}", f32(1, 2)),
                "w", "\"shape\" entry 1 is the string \"2\", not a non-negative integer");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}", f32(1)),
                "w", "\"shape\" entry 0 is 99999999999999999999, not a non-negative integer");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}", f32(1)),
                "w", "\"data_offsets\" is an array of 1, not an array of two integers [begin, end]");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}", f32(1, 2)),
                "w", "\"data_offsets\" is an array of 3, not an array of two integers");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"begin\":0}}", f32(1)),
                "w", "\"data_offsets\" is an object, not an array of two integers");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,null]}", f32(1)),
                "w", "\"data_offsets\" end is null, not a non-negative integer");
    }

    @Test
    void unknownDtype() throws IOException {
        bothFail(oneEntry("{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}", f32(1)),
                "w", "unknown dtype \"F31\"; known: [BOOL,");
        // Names are case-sensitive in the format.
        bothFail(oneEntry("{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}", f32(1)),
                "w", "unknown dtype \"f32\"");
    }

    @Test
    void knownDtypeThatIsNotFloatFailsOnReadButNotOnMetadata() throws IOException {
        Path file = crafted("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"steps\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[4,12]}}", concat(f32(1), le64(5)));
        readFails(file, "steps", "dtype I64 cannot be read as float; supported: F32, F16, BF16");
        assertEquals(Map.of("format", "pt"), SafeTensors.metadata(file));
    }

    @Test
    void negativeDimension() throws IOException {
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}", new byte[0]),
                "w", "\"shape\" entry 1 is -1, not a non-negative integer");
    }

    @Test
    void shapeDisagreesWithByteLength() throws IOException {
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}", new byte[24]),
                "w", "shape [2, 3] of dtype F32 needs 24 bytes but data_offsets [0, 20] span 20");
        bothFail(oneEntry("{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,12]}", new byte[12]),
                "w", "shape [3] of dtype F16 needs 6 bytes but data_offsets [0, 12] span 12");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]}", new byte[0]),
                "w", "shape [] of dtype F32 needs 4 bytes but data_offsets [0, 0] span 0");
    }

    @Test
    void elementCountOverflow() throws IOException {
        long big = 1L << 40;
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[" + big + "," + big + "],\"data_offsets\":[0,4]}",
                f32(1)), "w", "has more elements than a file can hold");
        // The count fits a long but the byte length does not.
        bothFail(oneEntry("{\"dtype\":\"F64\",\"shape\":[" + (1L << 61) + "],\"data_offsets\":[0,8]}",
                new byte[8]), "w", "has more elements than a file can hold");
    }

    @Test
    void hugeDimensionOfAnEmptyTensorIsValidButTooBigForHostTensor() throws IOException {
        Path file = oneEntry("{\"dtype\":\"F32\",\"shape\":[0,3000000000],\"data_offsets\":[0,0]}", new byte[0]);
        readFails(file, "w", "dimension 3000000000 does not fit in an int");
        assertEquals(Map.of(), SafeTensors.metadata(file));
    }

    // ---- offsets ----

    @Test
    void negativeOffsets() throws IOException {
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}", f32(1)),
                "w", "\"data_offsets\" begin is -4, not a non-negative integer");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}", f32(1)),
                "w", "\"data_offsets\" end is -4, not a non-negative integer");
    }

    @Test
    void beginAfterEnd() throws IOException {
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}", f32(1, 2)),
                "w", "data_offsets [8, 4] begin after end");
    }

    @Test
    void offsetsPastTheData() throws IOException {
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}", f32(1, 2)),
                "w", "data_offsets [4, 12] run past the end of the data section (8 bytes)");
        bothFail(oneEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + (Long.MAX_VALUE - 4) + ","
                + Long.MAX_VALUE + "]}", f32(1)), "w", "run past the end of the data section");
    }

    @Test
    void truncatedData() throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("a", new HostTensor(new int[] {2}, new float[] {1, 2}));
        tensors.put("b", new HostTensor(new int[] {3}, new float[] {3, 4, 5}));
        Path file = dir.resolve("whole.safetensors");
        SafeTensors.write(file, tensors, null);
        byte[] whole = Files.readAllBytes(file);
        Path cut = raw(java.util.Arrays.copyOf(whole, whole.length - 1));
        bothFail(cut, "b", "data_offsets [8, 20] run past the end of the data section (19 bytes); "
                + "is the file truncated?");
    }

    @Test
    void overlappingTensors() throws IOException {
        bothFail(crafted("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", f32(1, 2, 3)),
                "b", "data_offsets [4, 12] overlap those of tensor 'a' [0, 8]");
        // Found whatever the header order, and also when the later tensor lies wholly inside an earlier one.
        bothFail(crafted("{\"inner\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"outer\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"last\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}", f32(1, 2, 3, 4, 5)),
                "inner", "overlap those of tensor 'outer' [0, 16]");
        bothFail(crafted("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)),
                "b", "overlap those of tensor 'a' [0, 4]");
    }

    @Test
    void emptyTensorsAtBoundariesAndGapsAreAccepted() throws IOException {
        Path file = crafted("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,7],\"data_offsets\":[0,0]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", f32(1, 99, 2, 98));
        Map<String, HostTensor> read = SafeTensors.read(file);
        assertEquals(List.of("a", "e", "z", "b"), List.copyOf(read.keySet()));
        assertArrayEquals(new float[] {1}, read.get("a").data());
        assertArrayEquals(new int[] {0, 7}, read.get("z").shape());
        assertArrayEquals(new float[] {2}, read.get("b").data());
    }

    // ---- metadata ----

    @Test
    void metadataOfWrongType() throws IOException {
        bothFail(crafted("{\"__metadata__\":[\"a\"]}", new byte[0]), null,
                "\"__metadata__\" is an array of 1, not an object of strings");
        bothFail(crafted("{\"__metadata__\":{\"epoch\":3}}", new byte[0]), null,
                "\"__metadata__\" value for key 'epoch' is 3, not a string");
    }

    @Test
    void nullOrAbsentMetadataIsEmpty() throws IOException {
        assertEquals(Map.of(), SafeTensors.metadata(crafted("{\"__metadata__\":null}", new byte[0])));
        assertEquals(Map.of(), SafeTensors.metadata(crafted("{}", new byte[0])));
        assertEquals(Map.of(), SafeTensors.read(crafted("{}", new byte[0])));
    }

    // ---- F16 and BF16 ----

    @Test
    void f16KnownPatterns() throws IOException {
        int[] bits = {0x3C00, 0xC000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0x3555, 0x0000, 0x8000,
            0x7C00, 0xFC00};
        float[] expected = {1.0f, -2.0f, 0x1p-24f, -0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, 65504f,
            0.333251953125f, 0.0f, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Path file = oneEntry("{\"dtype\":\"F16\",\"shape\":[3,4],\"data_offsets\":[0,24]}", u16(bits));
        HostTensor t = SafeTensors.read(file).get("w");
        assertArrayEquals(new int[] {3, 4}, t.shape());
        // assertArrayEquals on floats tells 0.0 from -0.0, so the signed zeros are checked too.
        assertArrayEquals(expected, t.data());
    }

    @Test
    void f16NaNsStayNaNAndKeepTheirPayload() throws IOException {
        Path file = oneEntry("{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]}", u16(0x7E00, 0xFE00, 0x7C01));
        float[] data = SafeTensors.read(file).get("w").data();
        assertEquals(0x7FC0_0000, Float.floatToRawIntBits(data[0]));
        assertEquals(0xFFC0_0000, Float.floatToRawIntBits(data[1]));
        assertTrue(Float.isNaN(data[2]));
    }

    @Test
    void f16EveryPatternMatchesTheDefinition() throws IOException {
        int[] all = new int[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Path file = oneEntry("{\"dtype\":\"F16\",\"shape\":[256,256],\"data_offsets\":[0,131072]}", u16(all));
        float[] data = SafeTensors.read(file).get("w").data();
        for (int h = 0; h < all.length; h++) {
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            int exponent = (h >>> 10) & 0x1F;
            int mantissa = h & 0x3FF;
            double expected;
            if (exponent == 0x1F) {
                expected = mantissa == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exponent == 0) {
                expected = sign * mantissa * Math.pow(2, -24);
            } else {
                expected = sign * (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
            }
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(data[h]), Integer.toHexString(h));
            } else {
                // Exact in double, so no rounding hides in the float; raw bits, so zeros keep their sign.
                assertEquals(expected, (double) data[h], 0.0, Integer.toHexString(h));
                assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(data[h]),
                        Integer.toHexString(h));
            }
        }
    }

    @Test
    void bf16KnownPatterns() throws IOException {
        int[] bits = {0x3F80, 0xC000, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7F7F, 0x3EAB};
        float[] expected = {1.0f, -2.0f, 0x1p-133f, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.intBitsToFloat(0x7F7F_0000), Float.intBitsToFloat(0x3EAB_0000)};
        Path file = oneEntry("{\"dtype\":\"BF16\",\"shape\":[8],\"data_offsets\":[0,16]}", u16(bits));
        assertArrayEquals(expected, SafeTensors.read(file).get("w").data());
        Path nan = oneEntry("{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,2]}", u16(0x7FC0));
        assertEquals(0x7FC0_0000, Float.floatToRawIntBits(SafeTensors.read(nan).get("w").data()[0]));
    }

    @Test
    void mixedDtypesInOneFile() throws IOException {
        Path file = crafted("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}",
                concat(u16(0x3C00, 0x4000, 0xBF80, 0), f32(3.5f)));
        Map<String, HostTensor> read = SafeTensors.read(file);
        assertEquals(List.of("h", "b", "f"), List.copyOf(read.keySet()));
        assertArrayEquals(new float[] {1, 2}, read.get("h").data());
        assertArrayEquals(new float[] {-1}, read.get("b").data());
        assertArrayEquals(new float[] {3.5f}, read.get("f").data());
    }

    // ---- round trips ----

    @Test
    void f32RoundTripKeepsOrderAndEveryBit() throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("zeta.weight", new HostTensor(new int[] {2, 3}, new float[] {1, -2, 0.1f, Float.MIN_VALUE,
            Float.MAX_VALUE, Float.NEGATIVE_INFINITY}));
        tensors.put("alpha", new HostTensor(new int[] {4}, new float[] {-0.0f, Float.NaN, Float.intBitsToFloat(0x7FA0_0001),
            Float.MIN_NORMAL}));
        tensors.put("mid.bias", new HostTensor(new int[] {1, 1, 1}, new float[] {42}));
        tensors.put("ünïcode ✓", new HostTensor(new int[] {1}, new float[] {7}));
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, tensors, null);
        Map<String, HostTensor> read = SafeTensors.read(file);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(read.keySet()));
        assertEquals(tensors, read);
        float[] alpha = read.get("alpha").data();
        assertEquals(0x7FA0_0001, Float.floatToRawIntBits(alpha[2]), "NaN payload");
        assertThrows(UnsupportedOperationException.class, () -> read.remove("alpha"));
    }

    @Test
    void scalarAndZeroSizeRoundTrip() throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("empty", new HostTensor(new int[] {0}, new float[0]));
        tensors.put("scalar", new HostTensor(new int[] {}, new float[] {2.5f}));
        tensors.put("hollow", new HostTensor(new int[] {2, 0, 3}, new float[0]));
        tensors.put("after", new HostTensor(new int[] {2}, new float[] {8, 9}));
        Path file = dir.resolve("shapes.safetensors");
        SafeTensors.write(file, tensors, Map.of());
        Map<String, HostTensor> read = SafeTensors.read(file);
        assertEquals(tensors, read);
        assertArrayEquals(new int[] {}, read.get("scalar").shape());
        assertArrayEquals(new int[] {2, 0, 3}, read.get("hollow").shape());
        assertFalse(header(file).contains("__metadata__"), "empty metadata is not written");
    }

    @Test
    void metadataRoundTripKeepsOrder() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("epoch", "12");
        metadata.put("note", "quotes \" and \\ and\nnewline, ünïcode");
        metadata.put("", "");
        Path file = dir.resolve("meta.safetensors");
        SafeTensors.write(file, Map.of("w", new HostTensor(new int[] {1}, new float[] {1})), metadata);
        Map<String, String> read = SafeTensors.metadata(file);
        assertEquals(metadata, read);
        assertEquals(List.copyOf(metadata.keySet()), List.copyOf(read.keySet()));
        assertEquals(Map.of("w", new HostTensor(new int[] {1}, new float[] {1})), SafeTensors.read(file));
    }

    @Test
    void writesByteForByteWhatTheReferenceWriterWrites() throws IOException {
        // Header produced by huggingface safetensors 0.8.0: safetensors.numpy.save_file({"a": [[1,2,3],[4,5,6]],
        // "b": 7 (shape []), "c": zeros((2, 0))}, ..., metadata={"format": "pt"}), all float32; 200 bytes with
        // its padding, 236 bytes in all.
        String referenceHeader = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[28,28]}} ";
        byte[] expected = concat(le64(200), referenceHeader.getBytes(StandardCharsets.UTF_8),
                f32(1, 2, 3, 4, 5, 6, 7));
        assertEquals(236, expected.length);

        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("a", new HostTensor(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        tensors.put("b", new HostTensor(new int[] {}, new float[] {7}));
        tensors.put("c", new HostTensor(new int[] {2, 0}, new float[0]));
        Path file = dir.resolve("ref.safetensors");
        SafeTensors.write(file, tensors, Map.of("format", "pt"));
        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    @Test
    void headerIsPaddedWithSpacesToAMultipleOfEight() throws IOException {
        for (String name : List.of("a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh")) {
            Path file = dir.resolve(name + ".safetensors");
            SafeTensors.write(file, Map.of(name, new HostTensor(new int[] {1}, new float[] {1})), null);
            byte[] bytes = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLength % 8, name);
            assertEquals(8 + headerLength + 4, bytes.length, name);
            String header = header(file);
            assertTrue(header.matches("\\{.*\\} *"), header);
            assertTrue(header.length() - header.stripTrailing().length() < 8, header);
        }
    }

    @Test
    void largeTensorsCrossReadChunkBoundaries() throws IOException {
        // Above the 1 MiB read chunk, with odd element counts so the last chunk is partial.
        int n = 700_001;
        float[] big = new float[n];
        for (int i = 0; i < n; i++) {
            big[i] = i * 0.5f - 1000;
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("head", new HostTensor(new int[] {3}, new float[] {1, 2, 3}));
        tensors.put("big", new HostTensor(new int[] {n}, big));
        tensors.put("tail", new HostTensor(new int[] {1}, new float[] {-1}));
        Path file = dir.resolve("big.safetensors");
        SafeTensors.write(file, tensors, null);
        assertEquals(tensors, SafeTensors.read(file));

        int halves = 600_001;
        int[] bits = new int[halves];
        float[] expected = new float[halves];
        for (int i = 0; i < halves; i++) {
            bits[i] = 0x3C00 + (i % 1024);
            expected[i] = 1 + (i % 1024) / 1024f;
        }
        Path f16 = oneEntry("{\"dtype\":\"F16\",\"shape\":[" + halves + "],\"data_offsets\":[0," + 2 * halves + "]}",
                u16(bits));
        assertArrayEquals(expected, SafeTensors.read(f16).get("w").data());
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Files.writeString(file, "old contents");
        Map<String, HostTensor> tensors = Map.of("w", new HostTensor(new int[] {2}, new float[] {1, 2}));
        SafeTensors.write(file, tensors, Map.of("step", "1"));
        SafeTensors.write(file, tensors, Map.of("step", "2"));
        assertEquals(Map.of("step", "2"), SafeTensors.metadata(file));
        assertEquals(tensors, SafeTensors.read(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void writeWithRelativePathLandsWhereAsked() throws IOException {
        Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("rel.safetensors"));
        SafeTensors.write(relative, Map.of("w", new HostTensor(new int[] {}, new float[] {3})), null);
        assertTrue(Files.exists(dir.resolve("rel.safetensors")));
    }

    @Test
    void writeRejectsTheReservedNameAndNullsWithoutTouchingTheFile() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        HostTensor t = new HostTensor(new int[] {1}, new float[] {1});
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of("__metadata__", t), null));
        Map<String, HostTensor> nullValue = new LinkedHashMap<>();
        nullValue.put("w", null);
        assertThrows(NullPointerException.class, () -> SafeTensors.write(file, nullValue, null));
        Map<String, String> nullMeta = new LinkedHashMap<>();
        nullMeta.put("k", null);
        assertThrows(NullPointerException.class, () -> SafeTensors.write(file, Map.of("w", t), nullMeta));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void writeIntoAMissingFolderFailsCleanly() {
        Path file = dir.resolve("no/such/folder/x.safetensors");
        assertThrows(IOException.class,
                () -> SafeTensors.write(file, Map.of("w", new HostTensor(new int[] {}, new float[] {1})), null));
    }

    @Test
    void missingFileIsAPlainIoError() {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(dir.resolve("absent.safetensors")));
        assertFalse(e instanceof SafeTensorsException);
    }

    private static String header(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int length = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(bytes, 8, length, StandardCharsets.UTF_8);
    }
}
