package srgan.cuda;

import jcuda.driver.CUevent;

import static jcuda.driver.CUevent_flags.CU_EVENT_DEFAULT;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

/**
 * Device time of work queued on the context's stream, between two CUDA events. Waits for the device, so it
 * belongs in tuning and benchmarks, never inside a training step.
 */
final class EventTimer implements AutoCloseable {

    private final CudaContext ctx;
    private final CUevent start = new CUevent();
    private final CUevent end = new CUevent();

    EventTimer(CudaContext ctx) {
        this.ctx = ctx;
        ctx.makeCurrent();
        cuEventCreate(start, CU_EVENT_DEFAULT);
        try {
            cuEventCreate(end, CU_EVENT_DEFAULT);
        } catch (RuntimeException e) {
            cuEventDestroy(start);
            throw e;
        }
    }

    /**
     * Milliseconds of one run of {@code work}: one untimed run (module loading, library plans, caches), then
     * the mean over {@code reps} runs queued back to back between the two events.
     */
    double time(Runnable work, int reps) {
        work.run();
        cuEventRecord(start, ctx.stream());
        for (int i = 0; i < reps; i++) work.run();
        cuEventRecord(end, ctx.stream());
        cuEventSynchronize(end);
        float[] ms = new float[1];
        cuEventElapsedTime(ms, start, end);
        return ms[0] / reps;
    }

    @Override
    public void close() {
        cuEventDestroy(end);
        cuEventDestroy(start);
    }
}
