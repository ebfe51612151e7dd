package srgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import srgan.config.GeneratorSpec;
import srgan.config.LossSpec;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.nn.Module;
import srgan.engine.optim.Adam;
import srgan.model.Discriminator;
import srgan.model.Generator;

/** The SRGAN step frees each graph of the discriminator's update before it builds the next one. */
class GanStepMemoryTest {
    private static final int BATCH = 2;
    private static final int HR = 16;

    /** The discriminator, recording the backend's bytes in use each time it is applied. */
    private static final class Probe extends Module {
        private final CpuBackend cpu;
        private final Module inner;
        final List<Long> bytesAtEntry = new ArrayList<>();

        Probe(CpuBackend cpu, Module inner) {
            this.cpu = cpu;
            this.inner = registerModule("inner", inner);
        }

        @Override
        public Tensor forward(Tensor x) {
            bytesAtEntry.add(cpu.bytesInUse());
            return inner.forward(x);
        }
    }

    @Test
    void eachDiscriminatorGraphIsFreedBeforeTheNextIsBuilt() {
        try (CpuBackend cpu = new CpuBackend(1);
             Generator g = new Generator(cpu, new Rng(0), GeneratorSpec.paper().withSize(4, 1));
             Probe d = new Probe(cpu, new Discriminator(cpu, new Rng(1), HR));
             Adam optG = new Adam(g.parameters(), 1e-4, 0.9, 0.999, 1e-8, 0, true);
             Adam optD = new Adam(d.parameters(), 1e-4, 0.9, 0.999, 1e-8, 0, true);
             Scope data = Scope.open()) {
            Tensor lr = Init.uniform(cpu, new Rng(2), -1, 1, BATCH, 3, HR / 4, HR / 4);
            Tensor hr = Init.uniform(cpu, new Rng(3), -1, 1, BATCH, 3, HR, HR);
            // The second step, when the gradients and Adam's moments of both networks exist already.
            for (int step = 0; step < 2; step++) {
                d.bytesAtEntry.clear();
                try (Scope s = Scope.open()) {
                    TrainingSteps.gan(g, d, null, LossSpec.paper().withContent("mse"), optG, optD, lr, hr,
                            TrainingSteps.UNCHECKED);
                }
            }
            List<Long> at = d.bytesAtEntry;
            assertEquals(3, at.size(), "D on the real batch and the generated one, then on the generated one for G");
            assertEquals(at.get(0), at.get(1), "the real batch's graph is freed before the generated batch's is built");
            // Before the generator's D pass only the pixel loss's few images' worth has been added; D's graph on
            // one batch alone holds 64 x 16 x 16 floats per image for its first layer.
            long imageBytes = (long) BATCH * 3 * HR * HR * Float.BYTES;
            assertTrue(at.get(2) - at.get(0) <= 4 * imageBytes, "the discriminator's update left "
                    + (at.get(2) - at.get(0)) + " bytes behind");
        }
    }
}
