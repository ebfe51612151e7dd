package srgan.engine.nn;

import srgan.engine.backend.Backend;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.backend.reference.ReferenceBackend;

/** The host backends the nn and optim tests run on, by name, for parameterised tests. */
public final class TestBackends {
    /** Names for {@code @ValueSource}: the double-precision oracle and the float32 CPU backend. */
    public static final String REFERENCE = "reference";
    public static final String CPU = "cpu";

    private TestBackends() {
    }

    /** A new backend; the caller closes it. */
    public static Backend create(String name) {
        switch (name) {
            case REFERENCE:
                return new ReferenceBackend();
            case CPU:
                // Two threads even on one core, so split loops are exercised.
                return new CpuBackend(2);
            default:
                throw new IllegalArgumentException("no test backend '" + name + "'");
        }
    }
}
