package srgan.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Finding the image files of a folder, the way the commands and the reference harness walk a dataset. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /** True when the name ends in .png, .jpg, .jpeg or .bmp, in any case. */
    public static boolean isImageName(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp");
    }

    /**
     * The image files directly inside {@code dir} (no subfolders), sorted by name as the harness's
     * {@code sorted(glob(...))} sorts them.
     *
     * @throws IllegalArgumentException if {@code dir} is not a folder or holds no image
     */
    public static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + (Files.exists(dir) ? " is not a folder" : " does not exist"));
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> Files.isRegularFile(p) && isImageName(p)).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no .png, .jpg, .jpeg or .bmp image");
        }
        return files;
    }

    /** The file name without its extension: "baby.png" gives "baby". */
    public static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
