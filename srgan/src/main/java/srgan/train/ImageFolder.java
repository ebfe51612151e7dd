package srgan.train;

import srgan.image.RgbImage;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A folder of images, searched recursively, in a fixed order (sorted by relative path, so every platform sees
 * the same indices). Opening it reads only each file's header: files that are not images, or whose images are
 * smaller than the crop, are skipped with one warning each, and a folder that leaves nothing is an error
 * before any training starts.
 *
 * <p>Pixels are decoded once and kept as 8-bit planes ({@link PackedImage}). When all of them fit in the cache
 * budget they are decoded up front, in parallel, and a file that fails to decode is skipped with its warning;
 * otherwise they are decoded on first use and kept in a least-recently-used cache of that many bytes, and a
 * file that passed the header check but fails to decode then stops training with its name.
 */
final class ImageFolder implements ImageSource {

    /** One usable image: its file, the name shown in messages (relative to the folder), and its size. */
    private record Entry(Path file, String name, int width, int height) {
        long bytes() {
            return 3L * width * height;
        }
    }

    private final Path root;
    private final List<Entry> entries;
    private final long cacheBudget;
    /** Access-ordered, so iteration starts at the least recently used image. Guarded by itself. */
    private final LinkedHashMap<Integer, PackedImage> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;

    private ImageFolder(Path root, List<Entry> entries, long cacheBudget) {
        this.root = root;
        this.entries = entries;
        this.cacheBudget = cacheBudget;
    }

    /**
     * Scans {@code dir}.
     *
     * @param option      the command-line option that named the folder, for messages ("--data")
     * @param minSide     images with a side shorter than this are skipped
     * @param cacheBudget bytes of decoded images to keep in memory
     * @param warn        receives one line per skipped file
     * @throws IllegalArgumentException if the folder is missing, is not a folder, or holds no usable image
     */
    static ImageFolder open(String option, Path dir, int minSide, long cacheBudget, Consumer<String> warn) {
        if (!Files.exists(dir)) throw new IllegalArgumentException(option + " " + dir + " does not exist");
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(option + " " + dir + " is not a folder");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            files = walk.filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(p -> dir.relativize(p).toString()))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot list " + option + " " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(option + " " + dir + " is empty: it holds no files (subfolders "
                    + "are searched too)");
        }
        List<Entry> entries = new ArrayList<>();
        for (Path f : files) {
            String name = dir.relativize(f).toString();
            int[] size;
            try {
                size = probe(f);
            } catch (IOException e) {
                warn.accept("skipping " + name + ": cannot read it (" + e.getMessage() + ")");
                continue;
            }
            if (size == null) {
                warn.accept("skipping " + name + ": not an image (PNG or JPEG expected)");
            } else if (Math.min(size[0], size[1]) < minSide) {
                warn.accept("skipping " + name + ": " + size[0] + "x" + size[1] + " is smaller than " + minSide + "x"
                        + minSide);
            } else {
                entries.add(new Entry(f, name, size[0], size[1]));
            }
        }
        long total = entries.stream().mapToLong(Entry::bytes).sum();
        LinkedHashMap<Entry, PackedImage> decoded = null;
        if (total <= cacheBudget) {
            decoded = decodeAll(entries, warn);
            entries = new ArrayList<>(decoded.keySet());
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(option + " " + dir + " has no usable image: all " + files.size()
                    + " file(s) were skipped (see the warnings above); it needs PNG or JPEG images of at least "
                    + minSide + "x" + minSide + " pixels");
        }
        ImageFolder folder = new ImageFolder(dir, entries, cacheBudget);
        if (decoded != null) {
            int i = 0;
            for (PackedImage p : decoded.values()) {
                folder.cache.put(i++, p);
                folder.cachedBytes += p.bytes();
            }
        }
        return folder;
    }

    /** Width and height from the file's header, or null when no ImageIO reader recognises it. */
    private static int[] probe(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) return null;
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return null;
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[]{reader.getWidth(0), reader.getHeight(0)};
            } catch (RuntimeException e) {
                throw new IOException(e.toString(), e);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * Decodes every candidate in parallel, dropping with a warning the ones that fail; returns the decoded
     * images of the rest, in order.
     */
    private static LinkedHashMap<Entry, PackedImage> decodeAll(List<Entry> candidates, Consumer<String> warn) {
        Map<Entry, Object> results = new ConcurrentHashMap<>();
        candidates.parallelStream().forEach(e -> {
            try {
                results.put(e, decode(e));
            } catch (IOException | RuntimeException ex) {
                results.put(e, ex);
            }
        });
        LinkedHashMap<Entry, PackedImage> kept = new LinkedHashMap<>();
        for (Entry e : candidates) {
            Object r = results.get(e);
            if (r instanceof PackedImage p) {
                // The decoded size is the one crops are drawn from, should a header have said otherwise.
                kept.put(new Entry(e.file(), e.name(), p.width(), p.height()), p);
            } else {
                warn.accept("skipping " + e.name() + ": cannot decode it (" + ((Exception) r).getMessage() + ")");
            }
        }
        return kept;
    }

    private static PackedImage decode(Entry e) throws IOException {
        return PackedImage.of(e.name(), RgbImage.read(e.file()));
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public int width(int index) {
        return entries.get(index).width();
    }

    @Override
    public int height(int index) {
        return entries.get(index).height();
    }

    /** The relative path of image {@code index}. */
    String name(int index) {
        return entries.get(index).name();
    }

    @Override
    public PackedImage image(int index) {
        synchronized (cache) {
            PackedImage hit = cache.get(index);
            if (hit != null) return hit;
        }
        Entry e = entries.get(index);
        PackedImage img;
        try {
            img = decode(e);
        } catch (IOException ex) {
            throw new IllegalStateException("cannot decode " + root.resolve(e.name()) + " (its header read "
                    + "fine when training started): " + ex.getMessage() + "; remove it and --resume", ex);
        }
        if (img.width() != e.width() || img.height() != e.height()) {
            throw new IllegalStateException(e.name() + " changed while training: it was " + e.width() + "x"
                    + e.height() + ", now " + img.width() + "x" + img.height());
        }
        synchronized (cache) {
            if (cache.putIfAbsent(index, img) == null) {
                cachedBytes += img.bytes();
                Iterator<PackedImage> lru = cache.values().iterator();
                while (cachedBytes > cacheBudget && lru.hasNext()) {
                    PackedImage old = lru.next();
                    if (old == img) continue;
                    cachedBytes -= old.bytes();
                    lru.remove();
                }
            }
        }
        return img;
    }

    @Override
    public String describe() {
        return root + " (" + entries.size() + " image" + (entries.size() == 1 ? ")" : "s)");
    }
}
