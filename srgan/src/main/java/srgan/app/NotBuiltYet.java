package srgan.app;

/** Exit code and message of the commands whose issue has not landed yet. */
final class NotBuiltYet {
    static final int EXIT_CODE = 3;

    private NotBuiltYet() {
    }

    static int report(String command) {
        System.err.println("srgan " + command + ": not built yet. The engine (tensors, autograd, ops, backends) is in "
                + "place; the SRGAN models, data pipeline and training loop land with the training issue.");
        return EXIT_CODE;
    }
}
