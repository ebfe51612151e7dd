package srgan.cuda;

/**
 * What our own kernel wrappers ({@link OwnKernels}, {@link OwnConv}, {@link OwnGemm}, {@link OwnBatchNorm}) need
 * from the device besides launching: scratch buffers and small table uploads, all ordered on the one stream.
 * {@link CudaBackend} supplies the real one; tests supply a recorder that checks launches without a device.
 */
interface DeviceRuntime extends KernelLauncher {

    /**
     * A scratch buffer of at least {@code floats} elements, contents undefined. The caller closes it as soon as
     * the launches that use it are queued: the block's next owner queues behind them on the same stream.
     */
    DeviceStorage scratch(long floats);

    /** Queues a copy of {@code host} (64-bit words) into {@code dst}; {@code host} may be reused on return. */
    void uploadLongs(long[] host, DeviceStorage dst);

    /** The device address of {@code s}, for tables of pointers that kernels read. */
    long address(DeviceStorage s);
}
