package srgan.engine.backend.cpu;

import srgan.engine.backend.ConvGeometry;

/**
 * The three passes of a 2-D convolution over host arrays, as {@link srgan.engine.backend.Backend#conv2d} and
 * its two backward primitives define them (the backward passes accumulate). Two implementations: {@link Conv},
 * scalar loops any JVM runs, and {@link VectorConv}, register-blocked FMA kernels on the Vector API.
 */
interface ConvKernels {

    void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y);

    void backwardData(ConvGeometry g, float[] w, float[] gy, float[] gx);

    /**
     * {@link #backwardData} into a gx that stands for zeros, written over without being read (the same values
     * as adding into zeros), where the kernel writes every element of gx; returns false, having touched
     * nothing, where it does not.
     */
    default boolean backwardDataFromZero(ConvGeometry g, float[] w, float[] gy, float[] gx) {
        return false;
    }

    void backwardWeight(ConvGeometry g, float[] x, float[] gy, float[] gw);
}
