// Reductions: sumTo (the adjoint of broadcasting), the PReLU alpha gradient, and the losses. Every reduction is
// partitioned by output element (and, when there are few outputs, by a fixed number of splits whose partial
// sums a second kernel adds in order), so results are deterministic and need no atomics. Sums are in double.
#include "common.cuh"

#define REDUCE_THREADS 256

// Decomposes a linear index over up to 6 dimensions (s0 outermost) into an offset with the given strides.
__device__ __forceinline__ i64 offset6(i64 idx, const int *s, const i64 *st) {
    i64 off = 0;
#pragma unroll
    for (int d = 5; d >= 0; d--) {
        const i64 q = idx / s[d];
        off += (idx - q * s[d]) * st[d];
        idx = q;
    }
    return off;
}

// Writes one output's sum: straight into dst (+=, scaled) when there is one split, else into the partials.
__device__ __forceinline__ void reduce_out(double sum, i64 o, int split, int splits, double *partial, float *dst,
                                           float scale) {
    if (splits == 1) dst[o] += (float)(sum * scale);
    else partial[o * splits + split] = sum;
}

// dst[o] += scale * sum over r of src[kept(o) + reduced(r)], one block per (output, split): used when the
// innermost source dimension is reduced, so the block's threads read consecutive addresses.
extern "C" __global__ void sum_to_rows_f32(const float *__restrict__ src, float *dst, float scale, i64 R,
                                           int splits, double *partial,
                                           int k0, int k1, int k2, int k3, int k4, int k5,
                                           i64 kt0, i64 kt1, i64 kt2, i64 kt3, i64 kt4, i64 kt5,
                                           int r0, int r1, int r2, int r3, int r4, int r5,
                                           i64 rt0, i64 rt1, i64 rt2, i64 rt3, i64 rt4, i64 rt5) {
    const int ks[6] = {k0, k1, k2, k3, k4, k5}, rs[6] = {r0, r1, r2, r3, r4, r5};
    const i64 kt[6] = {kt0, kt1, kt2, kt3, kt4, kt5}, rt[6] = {rt0, rt1, rt2, rt3, rt4, rt5};
    const i64 o = blockIdx.x;
    const int split = blockIdx.y;
    const i64 chunk = (R + splits - 1) / splits;
    const i64 begin = split * chunk, end = min(R, begin + chunk);
    const float *base = src + offset6(o, ks, kt);
    double sum = 0.0;
    for (i64 r = begin + threadIdx.x; r < end; r += blockDim.x) sum += base[offset6(r, rs, rt)];
    sum = block_sum(sum);
    if (threadIdx.x == 0) reduce_out(sum, o, split, splits, partial, dst, scale);
}

// Same contract, one thread per output: used when the innermost source dimension is kept, so neighbouring
// threads (neighbouring outputs) read neighbouring addresses at every step of their sequential sums.
extern "C" __global__ void sum_to_cols_f32(const float *__restrict__ src, float *dst, float scale, i64 outCount,
                                           i64 R, int splits, double *partial,
                                           int k0, int k1, int k2, int k3, int k4, int k5,
                                           i64 kt0, i64 kt1, i64 kt2, i64 kt3, i64 kt4, i64 kt5,
                                           int r0, int r1, int r2, int r3, int r4, int r5,
                                           i64 rt0, i64 rt1, i64 rt2, i64 rt3, i64 rt4, i64 rt5) {
    const int ks[6] = {k0, k1, k2, k3, k4, k5}, rs[6] = {r0, r1, r2, r3, r4, r5};
    const i64 kt[6] = {kt0, kt1, kt2, kt3, kt4, kt5}, rt[6] = {rt0, rt1, rt2, rt3, rt4, rt5};
    const i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= outCount) return;
    const int split = blockIdx.y;
    const i64 chunk = (R + splits - 1) / splits;
    const i64 begin = split * chunk, end = min(R, begin + chunk);
    const float *base = src + offset6(o, ks, kt);
    double sum = 0.0;
    for (i64 r = begin; r < end; r++) sum += base[offset6(r, rs, rt)];
    reduce_out(sum, o, split, splits, partial, dst, scale);
}

// dst[o] += scale * sum of partial[o * splits .. o * splits + splits), in order.
extern "C" __global__ void finish_partials_f32(const double *__restrict__ partial, int splits, i64 outCount,
                                               float *dst, float scale) {
    GRID_STRIDE(o, outCount) {
        double sum = 0.0;
        for (int s = 0; s < splits; s++) sum += partial[o * splits + s];
        dst[o] += (float)(sum * scale);
    }
}

// Partial sums of (x > 0 ? 0 : x) * gy per alpha: grid (alphaCount, splits). With one shared alpha the whole
// tensor is reduced; per channel, element j of channel ch over [n, hw] is at (j / hw) * c * hw + ch * hw + j % hw.
extern "C" __global__ void prelu_alpha_partial_f32(const float *__restrict__ x, const float *__restrict__ gy,
                                                   int alphaCount, int n, int c, int hw, int splits,
                                                   double *partial) {
    const int ch = blockIdx.x, split = blockIdx.y;
    const i64 R = alphaCount == 1 ? (i64)n * c * hw : (i64)n * hw;
    const i64 chunk = (R + splits - 1) / splits;
    const i64 begin = split * chunk, end = min(R, begin + chunk);
    double sum = 0.0;
    for (i64 j = begin + threadIdx.x; j < end; j += blockDim.x) {
        const i64 i = alphaCount == 1 ? j : (j / hw) * c * hw + (i64)ch * hw + j % hw;
        const float v = x[i];
        if (!(v > 0.f)) sum += (double)v * gy[i];
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[(i64)ch * splits + split] = sum;
}

enum { LOSS_MSE = 0, LOSS_L1 = 1, LOSS_BCE_LOGITS = 2 };

__device__ __forceinline__ double loss_term(int kind, float x, float t) {
    const double d = (double)x - t;
    switch (kind) {
        case LOSS_MSE: return d * d;
        case LOSS_L1: return fabs(d);
        default: { // max(x, 0) - x t + log(1 + exp(-|x|)): never exp of a large positive number
            const double xd = x;
            return fmax(xd, 0.0) - xd * t + log1p(exp(-fabs(xd)));
        }
    }
}

// Pass 1: each block sums its grid-stride share of the terms into partial[blockIdx.x].
extern "C" __global__ void loss_partial_f32(int kind, const float *__restrict__ input,
                                            const float *__restrict__ target, i64 n, double *partial) {
    double sum = 0.0;
    GRID_STRIDE(i, n) sum += loss_term(kind, input[i], target[i]);
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// Pass 2, one block: out[0] = (sum of the partials) / n.
extern "C" __global__ void loss_finish_f32(const double *__restrict__ partial, int parts, i64 n, float *out) {
    double sum = 0.0;
    for (int i = threadIdx.x; i < parts; i += blockDim.x) sum += partial[i];
    sum = block_sum(sum);
    if (threadIdx.x == 0) out[0] = (float)(sum / (double)n);
}

// gInput += gOut * dL/dinput / n and gTarget += gOut * dL/dtarget / n (either may be null). gOut is read on
// the device, so a backward pass needs no host round trip.
extern "C" __global__ void loss_backward_f32(int kind, const float *__restrict__ input,
                                             const float *__restrict__ target, i64 n,
                                             const float *__restrict__ gOut, float *gInput, float *gTarget) {
    const float scale = (float)((double)gOut[0] / (double)n);
    GRID_STRIDE(i, n) {
        const float x = input[i], t = target[i];
        float dx, dt;
        switch (kind) {
            case LOSS_MSE: dx = 2.f * (x - t); dt = -dx; break;
            case LOSS_L1: { const float d = x - t; dx = d > 0.f ? 1.f : d < 0.f ? -1.f : 0.f; dt = -dx; break; }
            default: dx = 1.f / (1.f + expf(-x)) - t; dt = -x;
        }
        if (gInput) gInput[i] += scale * dx;
        if (gTarget) gTarget[i] += scale * dt;
    }
}
