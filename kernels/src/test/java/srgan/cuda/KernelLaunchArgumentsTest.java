package srgan.cuda;

import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;
import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.UnaryOp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without a device, runs every own-kernel wrapper against a recorder that checks each launch against the
 * kernel's parameter list in the committed PTX (count, 32/64-bit, float/int), the grid and block limits, and
 * that no argument storage is already closed. A mismatch here would otherwise read garbage on the GPU with no
 * error at all. CPU only.
 */
class KernelLaunchArgumentsTest {

    /** Records launches; checks each like CudaContext does, plus the launch limits of the hardware. */
    static class Recorder implements DeviceRuntime {
        final Map<String, PtxSignatures> modules = new HashMap<>();
        final List<String> launched = new ArrayList<>();
        int scratchOpen;
        long nextAddress = 0x7f0000000000L;

        @Override
        public void launch(String module, String kernel, int gx, int gy, int gz, int bx, int by, int bz,
                           int sharedBytes, Object... args) {
            PtxSignatures sig = modules.computeIfAbsent(module, m -> PtxSignatures.parse(CudaContext.readPtx(m)));
            sig.check(kernel, args);
            String where = module + "/" + kernel;
            assertTrue(gx >= 1 && gy >= 1 && gz >= 1, where + ": empty grid " + gx + "x" + gy + "x" + gz);
            assertTrue(gy <= 65535 && gz <= 65535, where + ": grid y/z over 65535");
            assertTrue((long) bx * by * bz <= 1024 && bx * by * bz % 32 == 0, where + ": block " + bx);
            for (Object a : args) {
                if (a instanceof DeviceStorage) assertFalse(((DeviceStorage) a).isClosed(), where + ": closed arg");
            }
            launched.add(kernel);
        }

        @Override
        public int multiprocessorCount() {
            return 132;
        }

        @Override
        public DeviceStorage scratch(long floats) {
            scratchOpen++;
            return fake(floats);
        }

        @Override
        public void uploadLongs(long[] host, DeviceStorage dst) {
            assertTrue(dst.size() * 4 >= host.length * 8L, "table does not fit its storage");
        }

        @Override
        public long address(DeviceStorage s) {
            return nextAddress += 4096;
        }
    }

    private static DeviceStorage fake(long size) {
        return new DeviceStorage(null, null, new CUdeviceptr(), size, size * 4, null, null);
    }

    @Test
    void ownKernels() {
        Recorder r = new Recorder();
        OwnKernels k = new OwnKernels(r);
        DeviceStorage a = fake(1 << 20), b = fake(1 << 20), c = fake(1 << 20), d = fake(1 << 20);
        for (UnaryOp op : UnaryOp.values()) {
            k.unary(op, 0.5, a, b, 1000);
            k.unaryBackward(op, 0.5, a, b, c, d, 1000);
        }
        for (BinaryOp op : BinaryOp.values()) {
            k.binary(op, a, new int[]{2, 3}, b, new int[]{2, 3}, c, new int[]{2, 3});
            k.binary(op, a, new int[]{2, 1, 4}, b, new int[]{1, 3, 1}, c, new int[]{2, 3, 4});
        }
        k.sumTo(a, new int[]{4, 8, 16, 16}, b, new int[]{1, 8, 1, 1}, 1);
        k.sumTo(a, new int[]{1000}, b, new int[]{1}, 1);
        k.sumTo(a, new int[]{4, 8, 16, 16}, b, new int[]{1, 8, 16, 16}, 1);
        k.sumTo(a, new int[]{1000, 3}, b, new int[]{1, 3}, 1);
        k.sumTo(a, new int[]{3, 5}, b, new int[]{3, 5}, 1);
        k.prelu(a, b, 1, c, 2, 3, 4);
        k.preluBackward(a, b, 3, c, d, b, 2, 3, 4);
        k.pixelShuffle(a, b, 2, 8, 3, 3, 2, false);
        k.pixelShuffle(a, b, 2, 8, 3, 3, 2, true);
        k.copyChannels(a, 4, 1, b, 6, 2, 2, 3, 10, true);
        PoolGeometry pg = new PoolGeometry(2, 3, 10, 10, 3, 2, 1);
        k.maxPool(pg, a, b);
        k.maxPoolBackward(pg, a, c, d);
        for (LossKind kind : LossKind.values()) {
            k.loss(kind, a, b, 1000, c);
            k.lossBackward(kind, a, b, 1000, c, d, null);
        }
        AdamHyper h = new AdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, true, 1);
        List<DeviceStorage> ps = List.of(fake(5), fake(5000)), gs = List.of(fake(5), fake(5000));
        List<DeviceStorage> ms = List.of(fake(5), fake(5000)), vs = List.of(fake(5), fake(5000));
        k.adamStep(ps, gs, ms, vs, h);
        k.adamStep(ps, gs, ms, vs, h);
        k.close();
        assertTrue(r.launched.contains("sum_to_rows_f32") && r.launched.contains("sum_to_cols_f32")
                && r.launched.contains("finish_partials_f32") && r.launched.contains("adam_multi_f32"), r.launched
                .toString());
    }

    @Test
    void ownConvolutionsGemmAndBatchNorm() {
        Recorder r = new Recorder();
        OwnConv conv = new OwnConv(r);
        ConvGeometry[] geometries = {
                new ConvGeometry(2, 3, 17, 19, 8, 3, 3, 1, 1),
                new ConvGeometry(16, 64, 96, 96, 64, 3, 3, 1, 1),
                new ConvGeometry(2, 64, 6, 6, 512, 3, 3, 1, 1),
                new ConvGeometry(16, 3, 96, 96, 64, 9, 9, 1, 4),
                new ConvGeometry(16, 3, 24, 24, 64, 9, 9, 1, 4),   // SRResNet's head
                new ConvGeometry(16, 64, 96, 96, 3, 9, 9, 1, 4),   // its tail
                new ConvGeometry(16, 64, 96, 96, 64, 3, 3, 2, 1),  // the discriminator's strided convs
                new ConvGeometry(16, 256, 24, 24, 256, 3, 3, 2, 1),
                new ConvGeometry(2, 5, 11, 10, 7, 3, 3, 3, 1),
                new ConvGeometry(1, 4, 9, 9, 6, 1, 1, 2, 0),
                new ConvGeometry(2, 70, 7, 9, 4, 5, 5, 2, 2),
                new ConvGeometry(1, 300, 5, 6, 1, 1, 1, 1, 0),
        };
        for (ConvGeometry g : geometries) {
            DeviceStorage x = fake(g.inputSize()), w = fake(g.weightSize()), y = fake(g.outputSize());
            conv.forward(g, x, w, fake(g.outChannels()), y);
            conv.forward(g, x, w, null, y);
            conv.backwardData(g, w, y, x);
            conv.backwardWeight(g, x, y, w);
            for (OwnConv.Algo a : conv.candidates(ConvEngine.Pass.FORWARD, g)) conv.forward(a, g, x, w, null, y);
            for (OwnConv.Algo a : conv.candidates(ConvEngine.Pass.BACKWARD_DATA, g)) conv.backwardData(a, g, w, y, x);
            for (OwnConv.Algo a : conv.candidates(ConvEngine.Pass.BACKWARD_WEIGHT, g)) {
                conv.backwardWeight(a, g, x, y, w);
            }
        }
        assertTrue(r.launched.contains("conv_bwd_weight_split_reduce"), "the weight gradient splits K");
        for (String k : List.of("conv_few_out_3", "conv_few_out_reduce", "conv_wgrad_few_out_3",
                "conv_wgrad_few_out_reduce", "conv_bwd_data_parity_64", "conv_bwd_data_parity_128_r128",
                "conv_fwd_128_r128")) {
            assertTrue(r.launched.contains(k), k + " is launched");
        }
        // The specialised kernels are offered first where they apply; the implicit GEMM always is.
        assertEquals(OwnConv.Algo.FEW_OUT, conv.candidates(ConvEngine.Pass.FORWARD, geometries[5]).get(0));
        assertEquals(OwnConv.Algo.FEW_OUT, conv.candidates(ConvEngine.Pass.BACKWARD_DATA, geometries[4]).get(0));
        assertEquals(OwnConv.Algo.FEW_OUT, conv.candidates(ConvEngine.Pass.BACKWARD_WEIGHT, geometries[5]).get(0));
        assertEquals(OwnConv.Algo.PARITY, conv.candidates(ConvEngine.Pass.BACKWARD_DATA, geometries[6]).get(0));
        assertEquals(OwnConv.Algo.GEMM, conv.candidates(ConvEngine.Pass.FORWARD, geometries[1]).get(0));
        for (ConvGeometry g : geometries) {
            for (ConvEngine.Pass pass : ConvEngine.Pass.values()) {
                assertTrue(conv.candidates(pass, g).contains(OwnConv.Algo.GEMM), "GEMM serves " + pass + " " + g);
            }
        }
        OwnGemm gemm = new OwnGemm(r);
        for (int t = 0; t < 4; t++) {
            gemm.gemm((t & 1) != 0, (t & 2) != 0, 16, 1024, 18432, 1, fake(1 << 25), fake(1 << 25), 0, fake(1 << 14));
            gemm.gemm((t & 1) != 0, (t & 2) != 0, 1000, 1000, 64, 1, fake(1 << 20), fake(1 << 20), 1, fake(1 << 20));
        }
        assertTrue(r.launched.contains("sgemm_split_reduce"));
        OwnBatchNorm bn = new OwnBatchNorm(r);
        DeviceStorage x = fake(1 << 20), y = fake(1 << 20), p = fake(64);
        bn.train(x, p, p, p, p, 0.1, 1e-5, y, p, p, 4, 64, 100);
        bn.eval(x, p, p, p, p, 1e-5, y, p, p, 4, 64, 100);
        bn.backward(true, x, p, p, p, y, x, p, p, 4, 64, 100);
        bn.backward(false, x, p, p, p, y, x, null, null, 4, 64, 100);
        bn.backward(true, x, p, p, p, y, null, p, null, 4, 64, 100);
    }

    @Test
    void everyPtxKernelIsLaunchedSomewhere() {
        // Kernels nobody launches are dead code or a forgotten wrapper; list them if any appear.
        List<String> unused = new ArrayList<>();
        String wrappers = String.join("\n", sourcesOfWrappers());
        for (String module : List.of("elementwise", "reduce", "batchnorm", "gemm", "conv", "profile", "bicubic")) {
            for (String kernel : PtxSignatures.parse(CudaContext.readPtx(module)).kernels()) {
                String stem = kernel.replaceAll("_(64|128)$", "");
                boolean named = wrappers.contains("\"" + kernel + "\"") || wrappers.contains("\"" + stem + "\"")
                        || kernel.startsWith("sgemm_") || kernel.startsWith("conv_");
                if (!named) unused.add(module + "/" + kernel);
            }
        }
        assertEquals(List.of(), unused);
    }

    private static List<String> sourcesOfWrappers() {
        List<String> out = new ArrayList<>();
        List<String> wrappers = List.of("OwnKernels", "OwnConv", "OwnGemm", "OwnBatchNorm", "StepProfiler",
                "CudaBicubic");
        for (String f : wrappers) {
            for (java.nio.file.Path base : List.of(java.nio.file.Path.of("src/main/java/srgan/cuda"),
                    java.nio.file.Path.of("kernels/src/main/java/srgan/cuda"))) {
                java.nio.file.Path p = base.resolve(f + ".java");
                if (java.nio.file.Files.exists(p)) {
                    try {
                        out.add(java.nio.file.Files.readString(p));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        }
        assertEquals(wrappers.size(), out.size(),
                "wrapper sources not found from " + java.nio.file.Path.of("").toAbsolutePath());
        return out;
    }
}
