package srgan.train;

/**
 * The images a run trains on, by index. Sizes are known up front (so crops can be drawn without decoding);
 * pixels come on demand. Implementations are safe to call from several loader threads at once.
 */
interface ImageSource {
    /** Number of images, at least one. */
    int size();

    int width(int index);

    int height(int index);

    /** The image's pixels; may decode a file. */
    PackedImage image(int index);

    /** What to call the source in messages: a folder, or "built-in procedural images". */
    String describe();
}
