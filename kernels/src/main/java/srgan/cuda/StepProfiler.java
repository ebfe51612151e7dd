package srgan.cuda;

import jcuda.CudaException;
import jcuda.driver.CUevent;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

import static jcuda.driver.CUevent_flags.CU_EVENT_DEFAULT;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventQuery;
import static jcuda.driver.JCudaDriver.cuEventRecord;

/**
 * Where a training step's time goes, for {@code -Dsrgan.cuda.profile=true}. A step is the work between two
 * {@link CudaBackend#synchronize()} calls. At its first primitive a kernel that spins for
 * {@code srgan.cuda.profile.spinMs} (default 100) is queued, so the host queues the whole step while the device
 * is held, and the step then runs back to back: the CUDA events around each primitive measure device time
 * without the host's launch gaps, and the step's device time is the time from the spin's end to the last op's.
 * Against it stands the host time to queue the step (primitives, launches, events): when that is larger, the
 * host, not the device, sets the pace of an unprofiled step. A step counts as clean when the spin was still
 * running as the host reached the synchronize; only clean steps without autotuning enter the summary, which
 * {@link #report} prints per op label (calls and device milliseconds per step).
 *
 * <p>Profiling itself adds two event records per primitive to the host's time and the spin to the wall time:
 * time unprofiled steps for wall-clock figures.
 */
final class StepProfiler implements AutoCloseable {

    static final String PROPERTY = "srgan.cuda.profile";
    static final String SPIN_PROPERTY = "srgan.cuda.profile.spinMs";

    private final CudaContext ctx;
    private final IntSupplier tunings;
    private final long spinCycles;
    private final List<CUevent> pool = new ArrayList<>();
    private int used;
    private final List<String> spanLabels = new ArrayList<>();
    private final List<int[]> spanEvents = new ArrayList<>();
    private boolean open;
    private int stepStart;
    private long hostStart;
    private long launchesAtStart;
    private long libraryAtStart;
    private int tuningsAtStart;
    private int steps;
    private int counted;
    private double countedDeviceMs;
    private double countedHostMs;
    private long countedLaunches;
    private long countedLibraryCalls;
    /** label -> {calls, device ms}, over counted steps. */
    private final Map<String, double[]> totals = new HashMap<>();
    private final PrintStream log;

    StepProfiler(CudaContext ctx, IntSupplier tunings, double spinMs, PrintStream log) {
        this.ctx = ctx;
        this.tunings = tunings;
        this.spinCycles = (long) (spinMs * ctx.clockRateKHz());
        this.log = log;
    }

    /** Records the start of one primitive; returns a handle for {@link #end}. */
    int begin() {
        if (!open) startStep();
        return record();
    }

    /** Records the end of the primitive {@code begin} returned {@code handle} for. */
    void end(int handle, String label) {
        int e = record();
        spanLabels.add(label);
        spanEvents.add(new int[]{handle, e});
    }

    private void startStep() {
        open = true;
        hostStart = System.nanoTime();
        launchesAtStart = ctx.launches();
        libraryAtStart = ctx.libraryCalls();
        tuningsAtStart = tunings.getAsInt();
        ctx.launch("profile", "spin_cycles", 1, 1, 1, 32, 1, 1, 0, spinCycles);
        stepStart = record();
    }

    private int record() {
        if (used == pool.size()) {
            CUevent e = new CUevent();
            cuEventCreate(e, CU_EVENT_DEFAULT);
            pool.add(e);
        }
        cuEventRecord(pool.get(used), ctx.stream());
        return used++;
    }

    /** Ends the current step, if one is open, around the backend's wait for the device. */
    void synchronize() {
        if (!open) {
            ctx.synchronize();
            return;
        }
        int stepEnd = record();
        double hostMs = (System.nanoTime() - hostStart) / 1e6;
        long launches = ctx.launches() - launchesAtStart - 1; // not the spin
        long library = ctx.libraryCalls() - libraryAtStart;
        boolean clean = stillRunning(pool.get(stepStart));
        ctx.synchronize();
        boolean tuned = tunings.getAsInt() != tuningsAtStart;
        double deviceMs = elapsed(stepStart, stepEnd);
        Map<String, double[]> step = new HashMap<>();
        double opsMs = 0;
        for (int i = 0; i < spanLabels.size(); i++) {
            int[] ev = spanEvents.get(i);
            double ms = elapsed(ev[0], ev[1]);
            opsMs += ms;
            double[] t = step.computeIfAbsent(spanLabels.get(i), k -> new double[2]);
            t[0]++;
            t[1] += ms;
        }
        log.printf(Locale.ROOT, "srgan.cuda profile: step %d: device %.2f ms (ops %.2f ms), host queued it in %.2f ms; "
                        + "%d ops, %d kernel launches, %d cuDNN/cuBLAS calls%s%s%n", steps, deviceMs, opsMs, hostMs,
                spanLabels.size(), launches, library, clean ? "" : "; NOT CLEAN (the host outlasted the spin)",
                tuned ? "; autotuned (not counted)" : "");
        if (clean && !tuned) {
            counted++;
            countedDeviceMs += deviceMs;
            countedHostMs += hostMs;
            countedLaunches += launches;
            countedLibraryCalls += library;
            for (Map.Entry<String, double[]> e : step.entrySet()) {
                double[] t = totals.computeIfAbsent(e.getKey(), k -> new double[2]);
                t[0] += e.getValue()[0];
                t[1] += e.getValue()[1];
            }
        }
        steps++;
        used = 0;
        spanLabels.clear();
        spanEvents.clear();
        open = false;
    }

    private static boolean stillRunning(CUevent e) {
        try {
            cuEventQuery(e);
            return false;
        } catch (CudaException notReady) { // CUDA_ERROR_NOT_READY, thrown since exceptions are enabled
            return String.valueOf(notReady.getMessage()).contains("NOT_READY");
        }
    }

    private double elapsed(int from, int to) {
        float[] ms = new float[1];
        cuEventElapsedTime(ms, pool.get(from), pool.get(to));
        return ms[0];
    }

    /** The per-label table over the counted steps, largest first. */
    void report(PrintStream out) {
        if (counted == 0) {
            out.println("srgan.cuda profile: no clean step without autotuning to summarise");
            return;
        }
        out.printf(Locale.ROOT, "srgan.cuda profile: %d steps counted: per step device %.2f ms, host queueing %.2f ms, "
                        + "%.0f kernel launches, %.0f cuDNN/cuBLAS calls%n", counted, countedDeviceMs / counted,
                countedHostMs / counted, (double) countedLaunches / counted, (double) countedLibraryCalls / counted);
        List<Map.Entry<String, double[]>> rows = new ArrayList<>(totals.entrySet());
        rows.sort((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1]));
        double device = countedDeviceMs / counted;
        out.printf(Locale.ROOT, "  %9s %6s %6s  %s%n", "ms/step", "share", "calls", "op");
        for (Map.Entry<String, double[]> r : rows) {
            double ms = r.getValue()[1] / counted;
            out.printf(Locale.ROOT, "  %9.3f %5.1f%% %6.1f  %s%n", ms, 100 * ms / device, r.getValue()[0] / counted,
                    r.getKey());
        }
    }

    @Override
    public void close() {
        for (CUevent e : pool) cuEventDestroy(e);
        pool.clear();
    }
}
