package srgan.engine.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import srgan.engine.backend.Backend;
import srgan.engine.backend.reference.ReferenceBackend;

import java.util.List;

/**
 * Every op of {@link OpCases}, forward and backward, on a fast backend against the reference. A backend's
 * parity test is a subclass that says how to create the backend (and may skip, with a reason, when its
 * hardware is absent).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendParitySuite {
    private Backend reference;
    private Backend fast;

    /** The backend under test; called once. */
    protected abstract Backend createBackend();

    /** Multiplies every op's tolerance; 1 unless the subclass documents why its arithmetic differs more. */
    protected double toleranceFactor(OpCase op) {
        return 1;
    }

    @BeforeAll
    void createBackends() {
        reference = new ReferenceBackend();
        fast = createBackend();
    }

    @AfterAll
    void closeBackends() {
        if (fast != null) fast.close();
        if (reference != null) reference.close();
    }

    static List<OpCase> cases() {
        return OpCases.all();
    }

    /**
     * Memory the backend has handed out and not had back, or -1 where it does not count. When counted, every
     * case must give back all it took: an op or its backward that forgets a buffer fails here, instead of
     * growing a training run's memory step after step.
     */
    protected long liveBytes(Backend backend) {
        return -1;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(OpCase op) {
        long before = liveBytes(fast);
        Parity.check(op, reference, fast, 42, toleranceFactor(op));
        long after = liveBytes(fast);
        if (before >= 0 && after != before) {
            throw new AssertionError(op.name() + " on " + fast.name() + ": " + (after - before)
                    + " bytes still in use after the case closed everything it made");
        }
    }
}
