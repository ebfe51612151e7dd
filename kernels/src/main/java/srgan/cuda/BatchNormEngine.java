package srgan.cuda;

/**
 * One implementation of the batch-norm primitives on device memory: our own kernels ({@link OwnBatchNorm}) or
 * cuDNN. Semantics are exactly those of {@link srgan.engine.backend.Backend#batchNormTrain},
 * {@link srgan.engine.backend.Backend#batchNormEval} and {@link srgan.engine.backend.Backend#batchNormBackward}
 * (NCHW, per channel, always affine; the backward accumulates and skips null gradients). Queued on
 * {@link CudaContext#stream()}.
 */
public interface BatchNormEngine {

    void train(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
               DeviceStorage runVar, double momentum, double eps, DeviceStorage y, DeviceStorage saveMean,
               DeviceStorage saveInvStd, int n, int c, int hw);

    void eval(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
              DeviceStorage runVar, double eps, DeviceStorage y, DeviceStorage saveMean, DeviceStorage saveInvStd,
              int n, int c, int hw);

    void backward(boolean training, DeviceStorage x, DeviceStorage gamma, DeviceStorage saveMean,
                  DeviceStorage saveInvStd, DeviceStorage gy, DeviceStorage gx, DeviceStorage gGamma,
                  DeviceStorage gBeta, int n, int c, int hw);
}
