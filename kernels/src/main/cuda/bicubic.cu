// MATLAB's imresize(x, scale, 'bicubic') on a float NCHW batch (N images, C channels, H rows, W columns;
// "planes" = N * C), separable as MATLAB does it: along H into a double temporary [planes, OH, W], then along W
// into y [planes, OH, OW]. The per-axis weights and mirrored indices come from the host (BicubicTable.java); a
// table is `out * taps` doubles followed by `out * taps` ints.
//
// The arithmetic is srgan.image.Bicubic's, operation for operation: widen to double, sum k = 0, 1, ... as
// acc = acc + w * v with a separately rounded multiply and add (__dmul_rn / __dadd_rn: nvcc would otherwise
// fuse them into an FMA, which Java never does), keep the temporary in double, round to float once at the end.
// So the output is bit for bit what the CPU version gives, also after the uint8 rounding, where a float sum
// would flip values lying at k + 0.5 (x1/4 weights are dyadic, so such ties do occur).
#include "common.cuh"

__device__ __forceinline__ double mul_add_rn(double acc, double w, double v) {
    return __dadd_rn(acc, __dmul_rn(w, v));
}

// Along H: tmp[p, oy, x] = sum_k w[oy, k] * x[p, index[oy, k], x]. Neighbouring threads take neighbouring x,
// so every tap reads a contiguous run of a row.
extern "C" __global__ void bicubic_rows_f32(const float *__restrict__ x, double *__restrict__ tmp,
                                            const double *__restrict__ table, int taps, i64 planes, int h, int w,
                                            int oh) {
    const double *weight = table;
    const int *index = (const int *)(table + (i64)oh * taps);
    const i64 total = planes * oh * w;
    GRID_STRIDE(i, total) {
        const int col = (int)(i % w);
        const i64 row = i / w; // p * oh + oy
        const int oy = (int)(row % oh);
        const float *src = x + (row / oh) * h * w + col;
        double acc = 0.0;
        for (int k = 0; k < taps; k++) {
            const int t = oy * taps + k;
            acc = mul_add_rn(acc, weight[t], (double)src[(i64)index[t] * w]);
        }
        tmp[i] = acc;
    }
}

// RgbImage.toUint8 (round half away from zero, clamp to 0..255, NaN to 0) and then toTensorData(lo, hi), the
// linear map of 0..255 onto [lo, hi], with Java's double operations.
__device__ __forceinline__ float uint8_to_range(double v, float lo, float hi) {
    const double q = !(v > 0.0) ? 0.0 : v >= 255.0 ? 255.0 : floor(__dadd_rn(v, 0.5));
    const double scale = __ddiv_rn((double)__fsub_rn(hi, lo), 255.0);
    return __double2float_rn(__dadd_rn((double)lo, __dmul_rn(q, scale)));
}

// Along W: y[p, oy, ox] = sum_k w[ox, k] * tmp[p, oy, index[ox, k]]; rows = planes * OH. quantize != 0 rounds
// each value to uint8 and maps it onto [lo, hi] (the training pipeline's LR input); otherwise y is the sum,
// unrounded, as a float (lo and hi are not read).
extern "C" __global__ void bicubic_cols_f32(const double *__restrict__ tmp, float *__restrict__ y,
                                            const double *__restrict__ table, int taps, i64 rows, int w, int ow,
                                            int quantize, float lo, float hi) {
    const double *weight = table;
    const int *index = (const int *)(table + (i64)ow * taps);
    const i64 total = rows * ow;
    GRID_STRIDE(i, total) {
        const int ox = (int)(i % ow);
        const double *src = tmp + (i / ow) * w;
        double acc = 0.0;
        for (int k = 0; k < taps; k++) {
            const int t = ox * taps + k;
            acc = mul_add_rn(acc, weight[t], src[index[t]]);
        }
        y[i] = quantize ? uint8_to_range(acc, lo, hi) : __double2float_rn(acc);
    }
}
