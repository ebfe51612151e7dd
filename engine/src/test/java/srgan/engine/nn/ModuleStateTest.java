package srgan.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Reductions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** State-dict names and order, safetensors round trips, strict loading, sharing, closing. */
class ModuleStateTest {

    /** A residual-style block with the field names of SRGAN's: {@code conv1}, {@code bn}. */
    static final class Block extends Module {
        final Conv2d conv1;
        final BatchNorm2d bn;

        Block(Backend backend, Rng rng, int channels) {
            conv1 = registerModule("conv1", new Conv2d(backend, rng, channels, channels, 3, 1, 1, false));
            bn = registerModule("bn", new BatchNorm2d(backend, channels));
        }

        @Override
        public Tensor forward(Tensor x) {
            return Arithmetic.add(x, bn.forward(conv1.forward(x)));
        }
    }

    /**
     * Registers its child before its own parameter and buffer, to check that the state dict still puts its own
     * tensors first, as PyTorch does.
     */
    static final class Net extends Module {
        final Sequential body;
        final Tensor gain;

        Net(Backend backend, Rng rng) {
            body = registerModule("body", new Sequential(
                    new Conv2d(backend, rng, 3, 4, 3, 1, 1, true),
                    new BatchNorm2d(backend, 4),
                    new PReLU(backend),
                    new Block(backend, rng, 4)));
            gain = registerParameter("gain", Init.uniform(backend, rng, 0.5, 1.5, 1));
            registerBuffer("offset", Tensor.full(backend, 0.25, 1));
        }

        @Override
        public Tensor forward(Tensor x) {
            return Arithmetic.mul(body.forward(x), gain);
        }
    }

    private static final List<String> NET_KEYS = List.of(
            "gain", "offset",
            "body.0.weight", "body.0.bias",
            "body.1.weight", "body.1.bias", "body.1.running_mean", "body.1.running_var",
            "body.1.num_batches_tracked",
            "body.2.weight",
            "body.3.conv1.weight",
            "body.3.bn.weight", "body.3.bn.bias", "body.3.bn.running_mean", "body.3.bn.running_var",
            "body.3.bn.num_batches_tracked");

    @Test
    void stateDictHasPyTorchNamesShapesAndOrder() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE); Net net = new Net(backend, new Rng(1))) {
            Map<String, HostTensor> state = net.stateDict();
            assertEquals(NET_KEYS, new ArrayList<>(state.keySet()));
            assertArrayEquals(new int[]{4, 3, 3, 3}, state.get("body.0.weight").shape());
            assertArrayEquals(new int[]{4, 4, 3, 3}, state.get("body.3.conv1.weight").shape());
            assertArrayEquals(new int[]{1}, state.get("body.2.weight").shape());
            assertArrayEquals(new int[0], state.get("body.1.num_batches_tracked").shape());

            List<String> paramKeys = new ArrayList<>(NET_KEYS);
            paramKeys.removeIf(k -> k.equals("offset") || k.contains("running_") || k.contains("num_batches"));
            assertEquals(paramKeys, new ArrayList<>(net.namedParameters().keySet()));
            assertEquals(List.of("offset", "body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked",
                    "body.3.bn.running_mean", "body.3.bn.running_var", "body.3.bn.num_batches_tracked"),
                    new ArrayList<>(net.namedBuffers().keySet()));
            for (Tensor p : net.parameters()) assertTrue(p.requiresGrad());
            for (Tensor b : net.namedBuffers().values()) assertTrue(!b.requiresGrad());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {TestBackends.REFERENCE, TestBackends.CPU})
    void saveAndLoadGiveIdenticalOutputs(String backendName, @TempDir Path dir) throws Exception {
        try (Backend backend = TestBackends.create(backendName);
             Net a = new Net(backend, new Rng(1));
             Net b = new Net(backend, new Rng(2))) {
            Rng data = new Rng(7);
            try (Scope s = Scope.open()) {
                // A training-mode pass moves the running statistics and counters off their initial values.
                a.forward(Init.normal(backend, data, 0, 1, 2, 3, 5, 5));
            }
            assertNotEquals(a.stateDict(), b.stateDict());
            Path file = dir.resolve("net.safetensors");
            a.save(file);
            assertEquals(NET_KEYS, new ArrayList<>(SafeTensors.read(file).keySet()));

            b.load(file);
            // A file holds float32; the reference backend holds doubles, so a's own values were rounded on the
            // way out. Reloading a from its file gives both models the same numbers (a no-op on CPU).
            a.load(file);
            assertEquals(a.stateDict(), b.stateDict());
            assertEquals(1.0, b.stateDict().get("body.3.bn.num_batches_tracked").data()[0]);

            a.eval();
            b.eval();
            try (Scope s = Scope.open()) {
                Tensor x = Init.normal(backend, data, 0, 1, 2, 3, 5, 5);
                assertArrayEquals(a.forward(x).toDoubleArray(), b.forward(x).toDoubleArray(), 0.0);
            }
        }
    }

    @Test
    void loadStateDictListsEveryProblemAndChangesNothing() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE); Net net = new Net(backend, new Rng(1))) {
            Map<String, HostTensor> before = net.stateDict();
            Map<String, HostTensor> state = new LinkedHashMap<>(before);
            state.remove("body.1.running_var");
            state.remove("body.3.conv1.weight");
            state.put("body.9.weight", new HostTensor(new int[]{2}, new float[2]));
            state.put("body.0.weight", new HostTensor(new int[]{4, 3, 5, 5}, new float[4 * 3 * 5 * 5]));
            state.put("gain", new HostTensor(new int[]{2}, new float[]{3, 3}));
            state.put("body.2.weight", new HostTensor(new int[]{1}, new float[]{0.5f})); // fine, but not applied

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state));
            String m = e.getMessage();
            for (String part : List.of("2 missing key(s)", "body.1.running_var", "body.3.conv1.weight",
                    "1 unexpected key(s) [body.9.weight]", "2 shape mismatch(es)",
                    "body.0.weight: checkpoint [4, 3, 5, 5], model [4, 3, 3, 3]",
                    "gain: checkpoint [2], model [1]")) {
                assertTrue(m.contains(part), () -> "message lacks '" + part + "': " + m);
            }
            assertEquals(before, net.stateDict());
        }
    }

    @Test
    void sharedModuleIsOneParameterSetButTwoStateEntries() {
        final class Twice extends Module {
            Twice(Conv2d shared) {
                registerModule("a", shared);
                registerModule("b", shared);
            }

            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        }
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE);
             Twice twice = new Twice(new Conv2d(backend, new Rng(1), 2, 3, 1))) {
            assertEquals(List.of("a.weight", "a.bias"), new ArrayList<>(twice.namedParameters().keySet()));
            assertEquals(List.of("a.weight", "a.bias", "b.weight", "b.bias"), new ArrayList<>(twice.stateDict().keySet()));
            assertEquals(2 * 3 + 3, twice.parameterCount());
        }
    }

    @Test
    void namesAreCheckedOnRegistration() {
        final class Probe extends Module {
            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        }
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE); Probe probe = new Probe()) {
            probe.registerParameter("w", Tensor.zeros(backend, 2));
            assertThrows(IllegalArgumentException.class, () -> probe.registerBuffer("w", Tensor.zeros(backend, 2)));
            assertThrows(IllegalArgumentException.class, () -> probe.registerModule("w", new ReLU()));
            assertThrows(IllegalArgumentException.class, () -> probe.registerModule("a.b", new ReLU()));
            assertThrows(IllegalArgumentException.class, () -> probe.registerParameter("", Tensor.zeros(backend, 1)));
            Tensor needsGrad = Tensor.zeros(backend, 1).requiresGrad(true);
            assertThrows(IllegalArgumentException.class, () -> probe.registerBuffer("buf", needsGrad));
            needsGrad.close();
        }
    }

    @Test
    void gradientsReachEveryParameterAndZeroGradClearsThem() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE); Net net = new Net(backend, new Rng(3))) {
            try (Scope s = Scope.open()) {
                Reductions.mean(net.forward(Init.normal(backend, new Rng(4), 0, 1, 2, 3, 4, 4))).backward();
            }
            for (Map.Entry<String, Tensor> e : net.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                assertNotNull(g, e.getKey());
                boolean nonZero = false;
                for (double v : g.toDoubleArray()) nonZero |= v != 0;
                assertTrue(nonZero, () -> e.getKey() + " got an all-zero gradient");
            }
            net.zeroGrad();
            for (Tensor p : net.parameters()) {
                for (double v : p.grad().toDoubleArray()) assertEquals(0.0, v);
            }
        }
    }

    @Test
    void closeFreesParametersAndBuffersOfTheWholeTree() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            Net net = new Net(backend, new Rng(1));
            List<Tensor> all = new ArrayList<>(net.parameters());
            all.addAll(net.namedBuffers().values());
            net.close();
            for (Tensor t : all) assertTrue(t.isClosed(), t::toString);
            net.close(); // idempotent
        }
    }

    @Test
    void toStringShowsTheTree() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE);
             Sequential s = new Sequential(new Conv2d(backend, new Rng(1), 3, 64, 9, 1, 4, true), new PReLU(backend))) {
            assertEquals("Sequential(\n  (0): Conv2d(3, 64, kernel_size=9, stride=1, padding=4)\n"
                    + "  (1): PReLU(num_parameters=1)\n)", s.toString());
        }
    }
}
