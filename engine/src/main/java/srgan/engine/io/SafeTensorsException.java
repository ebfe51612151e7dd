package srgan.engine.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A safetensors file that cannot be read because its contents are malformed: a header that is too short, too
 * long, not JSON or not of the expected form; offsets that are out of range or overlap; an unknown or
 * unsupported dtype; a shape that disagrees with its byte length; truncated data.
 *
 * <p>It is an {@link IOException} because the fault lies in an external file rather than in the caller's
 * code, and because {@link SafeTensors#read} must declare {@code IOException} for plain I/O failures anyway:
 * a caller who only wants to report "could not load the checkpoint" catches one type, while one who wants to
 * tell a corrupt file from a missing disk can catch this subclass first.
 *
 * <p>The message always names the file and, where the fault lies in one entry, the tensor.
 */
public final class SafeTensorsException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    /**
     * @param file   the file being read
     * @param tensor the tensor whose entry or data is at fault, or null if the fault is not in one tensor
     * @param detail what is wrong
     */
    public SafeTensorsException(Path file, String tensor, String detail) {
        this(file, tensor, detail, null);
    }

    /**
     * @param file   the file being read
     * @param tensor the tensor whose entry or data is at fault, or null if the fault is not in one tensor
     * @param detail what is wrong
     * @param cause  the underlying error, e.g. the JSON parser's, or null
     */
    public SafeTensorsException(Path file, String tensor, String detail, Throwable cause) {
        super(file + ": " + (tensor == null ? "" : "tensor '" + tensor + "': ") + detail, cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** The file that could not be read. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, if the fault lies in one tensor's entry or data. */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }
}
