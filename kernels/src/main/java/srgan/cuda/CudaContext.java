package srgan.cuda;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * One CUDA device as the backend sees it: the device's <em>primary</em> context (the one the runtime API, and
 * so cuBLAS and cuDNN, also use, so device pointers pass freely between our kernels and the libraries), one
 * non-default stream on which all work is queued in order, and our PTX modules, each loaded from the class
 * path on first use. Errors surface as {@link jcuda.CudaException} ({@code setExceptionsEnabled(true)}).
 */
public final class CudaContext implements KernelLauncher, AutoCloseable {

    /** Where build-ptx.sh puts the PTX, one file per .cu source. */
    static final String PTX_DIR = "/srgan/cuda/ptx/";

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final String deviceName;
    private final long totalMemory;
    private final int multiprocessors;
    private final int clockRateKHz;
    /** Kernels we queued, and calls into cuDNN/cuBLAS (each queues one or more kernels of its own). */
    private final AtomicLong launches = new AtomicLong();
    private final AtomicLong libraryCalls = new AtomicLong();
    private final Map<String, CUmodule> modules = new ConcurrentHashMap<>();
    private final List<CUmodule> loadOrder = new ArrayList<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final Map<String, PtxSignatures> signatures = new ConcurrentHashMap<>();
    /** The context is current per thread; a thread that has not seen it yet gets it set once. */
    private final ThreadLocal<Boolean> currentOnThisThread = ThreadLocal.withInitial(() -> false);
    private volatile boolean closed;

    /** Initialises the driver and takes device {@code ordinal}'s primary context. */
    public CudaContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        this.ordinal = ordinal;
        cuDeviceGet(device, ordinal);
        cuDevicePrimaryCtxRetain(context, device);
        try {
            cuCtxSetCurrent(context);
            currentOnThisThread.set(true);
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, device);
            deviceName = cString(name);
            long[] total = new long[1];
            cuDeviceTotalMem(total, device);
            totalMemory = total[0];
            int[] sms = new int[1];
            cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
            multiprocessors = sms[0];
            int[] clock = new int[1];
            cuDeviceGetAttribute(clock, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE, device);
            clockRateKHz = clock[0];
            // A blocking (flags 0) stream: the legacy default stream, which the runtime libraries may touch,
            // still orders itself with it.
            cuStreamCreate(stream, 0);
        } catch (RuntimeException | Error e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    public CUstream stream() {
        return stream;
    }

    public int device() {
        return ordinal;
    }

    public String deviceName() {
        return deviceName;
    }

    public long totalMemory() {
        return totalMemory;
    }

    @Override
    public int multiprocessorCount() {
        return multiprocessors;
    }

    /** The SM clock in kHz (cycles per millisecond), as the device reports it. */
    public int clockRateKHz() {
        return clockRateKHz;
    }

    /** Kernels queued through {@link #launch} since the context was created. */
    public long launches() {
        return launches.get();
    }

    /** Calls into cuDNN and cuBLAS since the context was created. */
    public long libraryCalls() {
        return libraryCalls.get();
    }

    /** Counts one call into cuDNN or cuBLAS (the routes call this). */
    void countLibraryCall() {
        libraryCalls.incrementAndGet();
    }

    /** Makes the primary context current on the calling thread if it is not yet. */
    public void makeCurrent() {
        checkOpen();
        if (!currentOnThisThread.get()) {
            cuCtxSetCurrent(context);
            currentOnThisThread.set(true);
        }
    }

    /** Waits until everything queued on the stream has run. */
    public void synchronize() {
        makeCurrent();
        cuStreamSynchronize(stream);
    }

    /** The kernel {@code kernel} of {@code module}.ptx; the module is loaded on first use. */
    public CUfunction function(String module, String kernel) {
        makeCurrent();
        String key = module + '/' + kernel;
        CUfunction f = functions.get(key);
        if (f != null) return f;
        synchronized (this) {
            f = functions.get(key);
            if (f != null) return f;
            CUmodule m = module(module);
            f = new CUfunction();
            cuModuleGetFunction(f, m, kernel);
            functions.put(key, f);
            return f;
        }
    }

    @Override
    public void launch(String module, String kernel, int gx, int gy, int gz, int bx, int by, int bz,
                       int sharedBytes, Object... args) {
        CUfunction f = function(module, kernel);
        signatures.get(module).check(kernel, args);
        launch(f, gx, gy, gz, bx, by, bz, sharedBytes, args);
    }

    /**
     * Queues {@code f} on the stream. Arguments as in {@link KernelLauncher}; each is copied into its own
     * host cell, and the driver copies the cells when the launch is queued, so nothing here must outlive it.
     */
    public void launch(CUfunction f, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes,
                       Object... args) {
        makeCurrent();
        if (gx <= 0 || gy <= 0 || gz <= 0) return; // an empty problem: nothing to queue
        Pointer[] cells = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) cells[i] = cell(args[i], i);
        cuLaunchKernel(f, gx, gy, gz, bx, by, bz, sharedBytes, stream, Pointer.to(cells), null);
        launches.incrementAndGet();
    }

    private static Pointer cell(Object a, int index) {
        if (a == null) return Pointer.to(new long[]{0L});
        if (a instanceof DeviceStorage) return Pointer.to(((DeviceStorage) a).pointer());
        if (a instanceof CUdeviceptr) return Pointer.to((CUdeviceptr) a);
        if (a instanceof Integer) return Pointer.to(new int[]{(Integer) a});
        if (a instanceof Long) return Pointer.to(new long[]{(Long) a});
        if (a instanceof Float) return Pointer.to(new float[]{(Float) a});
        throw new IllegalArgumentException("kernel argument " + index + " has unsupported type "
                + a.getClass().getName() + " (use DeviceStorage, CUdeviceptr, Integer, Long or Float)");
    }

    private CUmodule module(String name) {
        CUmodule m = modules.get(name);
        if (m != null) return m;
        String ptx = readPtx(name);
        m = new CUmodule();
        // cuModuleLoadData wants a NUL-terminated image.
        byte[] text = ptx.getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[text.length + 1];
        System.arraycopy(text, 0, image, 0, text.length);
        cuModuleLoadData(m, image);
        signatures.put(name, PtxSignatures.parse(ptx));
        modules.put(name, m);
        loadOrder.add(m);
        return m;
    }

    /** The PTX text of {@code module} from the class path. */
    static String readPtx(String module) {
        String path = PTX_DIR + module + ".ptx";
        try (InputStream in = CudaContext.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + path + " is missing from the class path; run "
                        + "tools/build-ptx.sh and rebuild the kernels module");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the CUDA context has been closed");
    }

    private static String cString(byte[] bytes) {
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) len++;
        return new String(bytes, 0, len, StandardCharsets.US_ASCII);
    }

    /** Unloads the modules, destroys the stream and releases the primary context, in reverse order. */
    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            cuCtxSetCurrent(context);
            cuStreamSynchronize(stream);
            for (int i = loadOrder.size() - 1; i >= 0; i--) cuModuleUnload(loadOrder.get(i));
            loadOrder.clear();
            modules.clear();
            functions.clear();
            cuStreamDestroy(stream);
        } finally {
            closed = true;
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
