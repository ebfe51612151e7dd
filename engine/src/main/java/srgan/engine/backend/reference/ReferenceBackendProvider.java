package srgan.engine.backend.reference;

import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;

/** Provides the "reference" backend: pure Java, so it is available everywhere. */
public final class ReferenceBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public String unavailableReason() {
        return "";
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}
