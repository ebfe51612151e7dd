package srgan.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.testing.GradCheck;
import srgan.engine.testing.OpCase;
import srgan.engine.testing.OpCases;

import java.util.List;

/** Every op's backward against central differences on the double-precision reference backend. */
class GradientCheckTest {
    private static final ReferenceBackend REFERENCE = new ReferenceBackend();

    static List<OpCase> cases() {
        return OpCases.all();
    }

    @AfterAll
    static void close() {
        REFERENCE.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(OpCase op) {
        GradCheck.check(op.name(), REFERENCE, op.inputs(), op.forward(), 7);
    }
}
