package srgan.cuda;

import srgan.engine.backend.ConvGeometry;

/**
 * One implementation of the three convolution primitives on device memory: our own implicit-GEMM kernels
 * ({@link OwnConv}) or cuDNN. Semantics are exactly those of {@link srgan.engine.backend.Backend#conv2d},
 * {@link srgan.engine.backend.Backend#conv2dBackwardData} and
 * {@link srgan.engine.backend.Backend#conv2dBackwardWeight}: the forward assigns y, both backwards accumulate.
 * Every call is queued on {@link CudaContext#stream()} and returns without waiting.
 */
public interface ConvEngine {

    /** The three passes of a convolution. */
    enum Pass {
        FORWARD("fwd"), BACKWARD_DATA("bwd-data"), BACKWARD_WEIGHT("bwd-weight");

        private final String label;

        Pass(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** y = x (*) w + bias, assigned; {@code bias} may be null. */
    void forward(ConvGeometry g, DeviceStorage x, DeviceStorage w, DeviceStorage bias, DeviceStorage y);

    /** gx += conv2d_transpose(gy, w). */
    void backwardData(ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx);

    /** gw += correlate(x, gy). */
    void backwardWeight(ConvGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gw);
}
