package srgan.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.io.HostTensor;
import srgan.engine.nn.Conv2d;
import srgan.engine.nn.TestBackends;
import srgan.engine.ops.Reductions;
import srgan.engine.Rng;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Adam against the formula worked in double precision, its bookkeeping, and its checkpoint state. */
class AdamTest {
    private static final double LR = 0.01;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    // Float-representable, so both backends start from exactly these numbers; p stays far from zero, so a
    // relative tolerance means something.
    private static final double[] P0 = {0.5, -1.25, 2.0};
    private static final double[][] GRADS = {{0.25, -0.75, 1.5}, {-0.5, 0.125, 1.0}, {1.0, -0.25, -2.0}};

    /** A leaf parameter whose gradient buffer exists, so a test can write gradients into it by hand. */
    private static Tensor parameter(Backend backend, double... values) {
        Tensor p = Tensor.ofDoubles(backend, values, values.length).requiresGrad(true);
        try (Scope s = Scope.open()) {
            Reductions.sum(p).backward();
        }
        return p;
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String backend : List.of(TestBackends.REFERENCE, TestBackends.CPU)) {
            for (double weightDecay : new double[]{0, 0.1}) {
                for (boolean biasCorrection : new boolean[]{true, false}) {
                    list.add(Arguments.of(backend, weightDecay, biasCorrection));
                }
            }
        }
        return list.stream();
    }

    /**
     * Three steps against AdamHyper's formula in double. The reference backend works in double and evaluates
     * the update in PyTorch's rearranged form, which differs from the textbook one by rounding only: 1e-12.
     * The CPU backend stores parameters, gradients and moments in float32 (2^-24 ~ 6e-8 relative per
     * rounding); a step rounds each of them a handful of times and the update is ~1% of |p|, so three steps
     * stay within a few 1e-7 of the exact value, and 1e-6 relative holds with margin.
     */
    @ParameterizedTest(name = "{0}, weightDecay={1}, biasCorrection={2}")
    @MethodSource("cases")
    void matchesTheFormulaWorkedInDouble(String backendName, double weightDecay, boolean biasCorrection) {
        boolean exact = backendName.equals(TestBackends.REFERENCE);
        try (Backend backend = TestBackends.create(backendName)) {
            Tensor p = parameter(backend, P0);
            try (Adam adam = new Adam(List.of(p), LR, BETA1, BETA2, EPS, weightDecay, biasCorrection)) {
                double[] expected = P0.clone();
                double[] m = new double[3];
                double[] v = new double[3];
                for (int t = 1; t <= 3; t++) {
                    double[] grad = GRADS[t - 1];
                    for (int i = 0; i < 3; i++) {
                        double g = grad[i] + weightDecay * expected[i];
                        m[i] = BETA1 * m[i] + (1 - BETA1) * g;
                        v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
                        double mHat = biasCorrection ? m[i] / (1 - Math.pow(BETA1, t)) : m[i];
                        double vHat = biasCorrection ? v[i] / (1 - Math.pow(BETA2, t)) : v[i];
                        expected[i] -= LR * mHat / (Math.sqrt(vHat) + EPS);
                    }
                    p.grad().copyFromDoubles(grad);
                    adam.step();
                    assertEquals(t, adam.stepCount());
                    double[] actual = p.toDoubleArray();
                    for (int i = 0; i < 3; i++) {
                        double tol = exact ? 1e-12 : 1e-6 * Math.abs(expected[i]);
                        assertEquals(expected[i], actual[i], tol, "step " + t + ", element " + i);
                    }
                }
                // The exported moments are float32 on every backend: 1e-6 relative covers that rounding.
                Map<String, HostTensor> state = adam.stateDict();
                assertEquals(List.of("state.0.exp_avg", "state.0.exp_avg_sq", "step"), new ArrayList<>(state.keySet()));
                assertEquals(3f, state.get("step").data()[0]);
                for (int i = 0; i < 3; i++) {
                    assertEquals(m[i], state.get("state.0.exp_avg").data()[i], 1e-6 * Math.abs(m[i]));
                    assertEquals(v[i], state.get("state.0.exp_avg_sq").data()[i], 1e-6 * Math.abs(v[i]));
                }
            }
            p.close();
        }
    }

    @Test
    void defaultsArePyTorchs() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE);
             Conv2d conv = new Conv2d(backend, new Rng(1), 2, 2, 1);
             Adam adam = new Adam(conv)) {
            assertEquals(1e-3, adam.learningRate());
            assertEquals(conv.parameters(), adam.parameters());
            // With bias correction the first step moves every element by lr (to within eps): g / |g|.
            Tensor w = conv.weight();
            double[] before = w.toDoubleArray();
            try (Scope s = Scope.open()) {
                Reductions.sum(conv.forward(Tensor.full(backend, 1, 1, 2, 3, 3))).backward();
            }
            adam.step();
            double[] after = w.toDoubleArray();
            for (int i = 0; i < before.length; i++) assertEquals(1e-3, Math.abs(after[i] - before[i]), 1e-10);
        }
    }

    @Test
    void stepsOnlyParametersThatHaveAGradient() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            Tensor withGrad = parameter(backend, 1, 2);
            Tensor without = Tensor.ofDoubles(backend, new double[]{3, 4}, 2).requiresGrad(true);
            try (Adam adam = new Adam(List.of(without, withGrad), 0.1)) {
                adam.step();
                assertEquals(1, adam.stepCount());
                assertArrayEquals(new double[]{3, 4}, without.toDoubleArray());
                // Gradient 1: the first bias-corrected step moves by lr * 1 / (1 + eps).
                double move = 0.1 / (1 + 1e-8);
                assertArrayEquals(new double[]{1 - move, 2 - move}, withGrad.toDoubleArray(), 1e-15);
                assertEquals(List.of("state.1.exp_avg", "state.1.exp_avg_sq", "step"),
                        new ArrayList<>(adam.stateDict().keySet()));
            }
            try (Adam none = new Adam(List.of(without))) {
                none.step();
                assertEquals(0, none.stepCount());
                assertEquals(List.of("step"), new ArrayList<>(none.stateDict().keySet()));
            }
        }
    }

    @Test
    void learningRateChangesApplyFromTheNextStepAndZeroGradClears() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            Tensor p = parameter(backend, 1, -1);
            try (Adam adam = new Adam(List.of(p), 0.1)) {
                adam.setLearningRate(0);
                assertEquals(0, adam.learningRate());
                adam.step();
                assertArrayEquals(new double[]{1, -1}, p.toDoubleArray());
                adam.setLearningRate(0.5);
                adam.step();
                assertTrue(p.toDoubleArray()[0] < 1);
                adam.zeroGrad();
                assertArrayEquals(new double[]{0, 0}, p.grad().toDoubleArray());
                assertThrows(IllegalArgumentException.class, () -> adam.setLearningRate(-1));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {TestBackends.REFERENCE, TestBackends.CPU})
    void resumingFromTheStateDictContinuesIdentically(String backendName) {
        try (Backend backend = TestBackends.create(backendName)) {
            Tensor a = parameter(backend, P0);
            Tensor b = parameter(backend, 0, 0, 0);
            try (Adam optA = new Adam(List.of(a), LR, BETA1, BETA2, EPS, 0.01, true);
                 Adam optB = new Adam(List.of(b), LR, BETA1, BETA2, EPS, 0.01, true)) {
                for (int t = 0; t < 2; t++) {
                    a.grad().copyFromDoubles(GRADS[t]);
                    optA.step();
                }
                // The state travels as float32; on the reference backend optA's own moments are doubles, so it
                // reloads its own state too, leaving both optimisers with the same numbers.
                Map<String, HostTensor> checkpoint = optA.stateDict();
                optA.loadStateDict(checkpoint);
                optB.loadStateDict(checkpoint);
                b.copyFrom(a);
                assertEquals(2, optB.stepCount());

                a.grad().copyFromDoubles(GRADS[2]);
                b.grad().copyFromDoubles(GRADS[2]);
                optA.step();
                optB.step();
                assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), 0.0);
                assertEquals(optA.stateDict(), optB.stateDict());
            }
            a.close();
            b.close();
        }
    }

    @Test
    void loadStateDictListsEveryProblemAndChangesNothing() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            Tensor p0 = parameter(backend, 1, 2, 3);
            Tensor p1 = Tensor.zeros(backend, 2, 2).requiresGrad(true);
            try (Adam adam = new Adam(List.of(p0, p1))) {
                adam.step();
                Map<String, HostTensor> before = adam.stateDict();

                Map<String, HostTensor> state = new LinkedHashMap<>();
                state.put("state.0.exp_avg", new HostTensor(new int[]{2}, new float[2]));
                state.put("state.0.exp_avg_sq", new HostTensor(new int[]{3}, new float[3]));
                state.put("state.1.exp_avg", new HostTensor(new int[]{2, 2}, new float[4]));
                state.put("state.2.exp_avg", new HostTensor(new int[]{1}, new float[1]));
                state.put("momentum_buffer", new HostTensor(new int[]{1}, new float[1]));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> adam.loadStateDict(state));
                String m = e.getMessage();
                for (String part : List.of("2 missing key(s) [step, state.1.exp_avg_sq]",
                        "2 unexpected key(s) [state.2.exp_avg, momentum_buffer]",
                        "state.0.exp_avg: checkpoint [2], parameter [3]")) {
                    assertTrue(m.contains(part), () -> "message lacks '" + part + "': " + m);
                }
                assertEquals(before, adam.stateDict());

                Map<String, HostTensor> badStep = Map.of("step", new HostTensor(new int[0], new float[]{1.5f}));
                e = assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(badStep));
                assertTrue(e.getMessage().contains("1.5 is not a step count"), e.getMessage());

                // A state without moments is valid: the state of an optimiser that never stepped.
                adam.loadStateDict(Map.of("step", new HostTensor(new int[0], new float[]{0})));
                assertEquals(0, adam.stepCount());
                assertEquals(List.of("step"), new ArrayList<>(adam.stateDict().keySet()));
            }
        }
    }

    @Test
    void refusesParametersItCannotStepCorrectly() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            Tensor p = Tensor.zeros(backend, 2).requiresGrad(true);
            Tensor frozen = Tensor.zeros(backend, 2);
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p, p)));
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(frozen)));
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of()));
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p), 1e-3, 1.0, 0.999));
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p), Double.NaN));
            try (Backend other = TestBackends.create(TestBackends.REFERENCE)) {
                Tensor elsewhere = Tensor.zeros(other, 2).requiresGrad(true);
                assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p, elsewhere)));
            }
        }
    }

    @Test
    void closedOptimiserRefusesWork() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            Tensor p = parameter(backend, 1);
            Adam adam = new Adam(List.of(p));
            adam.step();
            adam.close();
            adam.close();
            assertThrows(IllegalStateException.class, adam::step);
            assertThrows(IllegalStateException.class, adam::stateDict);
            assertFalse(p.isClosed(), "the parameters belong to their owner, not the optimiser");
        }
    }
}
