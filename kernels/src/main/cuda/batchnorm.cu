// Our own batch normalisation over NCHW, per channel (the fallback when cuDNN is absent). Channel statistics
// are reduced by grid (C, splits) blocks into double partials, then finished per channel in a fixed order, so
// results are deterministic; m = N * HW values per channel.
#include "common.cuh"

// Element j of channel ch, over the channel's m = n * hw values.
__device__ __forceinline__ i64 channel_index(i64 j, int ch, int c, int hw) {
    return (j / hw) * c * hw + (i64)ch * hw + j % hw;
}

// partial[(ch * splits + split) * 2 + {0, 1}] = sums of x and x^2.
extern "C" __global__ void bn_stats_partial_f32(const float *__restrict__ x, int n, int c, int hw, int splits,
                                                double *partial) {
    const int ch = blockIdx.x, split = blockIdx.y;
    const i64 m = (i64)n * hw, chunk = (m + splits - 1) / splits;
    const i64 begin = split * chunk, end = min(m, begin + chunk);
    double s = 0.0, s2 = 0.0;
    for (i64 j = begin + threadIdx.x; j < end; j += blockDim.x) {
        const double v = x[channel_index(j, ch, c, hw)];
        s += v;
        s2 += v * v;
    }
    block_sum2(s, s2);
    if (threadIdx.x == 0) {
        partial[((i64)ch * splits + split) * 2] = s;
        partial[((i64)ch * splits + split) * 2 + 1] = s2;
    }
}

// One thread per channel: batch mean, biased variance, 1/sqrt(var + eps), and the running statistics with the
// unbiased variance, as PyTorch.
extern "C" __global__ void bn_stats_finish_f32(const double *__restrict__ partial, int splits, int c, i64 m,
                                               float momentum, float eps, float *saveMean, float *saveInvStd,
                                               float *runMean, float *runVar) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < splits; i++) {
        s += partial[((i64)ch * splits + i) * 2];
        s2 += partial[((i64)ch * splits + i) * 2 + 1];
    }
    const double mean = s / m;
    const double var = fmax(s2 / m - mean * mean, 0.0);
    saveMean[ch] = (float)mean;
    saveInvStd[ch] = (float)(1.0 / sqrt(var + (double)eps));
    const double unbiased = m > 1 ? var * m / (m - 1) : var;
    runMean[ch] = (float)((1.0 - momentum) * runMean[ch] + (double)momentum * mean);
    runVar[ch] = (float)((1.0 - momentum) * runVar[ch] + (double)momentum * unbiased);
}

extern "C" __global__ void bn_eval_stats_f32(const float *__restrict__ runMean, const float *__restrict__ runVar,
                                             float eps, int c, float *saveMean, float *saveInvStd) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    saveMean[ch] = runMean[ch];
    saveInvStd[ch] = (float)(1.0 / sqrt((double)runVar[ch] + (double)eps));
}

// y = (x - mean) * invStd * gamma + beta.
extern "C" __global__ void bn_apply_f32(const float *__restrict__ x, const float *__restrict__ gamma,
                                        const float *__restrict__ beta, const float *__restrict__ mean,
                                        const float *__restrict__ invStd, float *y, int n, int c, int hw) {
    const i64 total = (i64)n * c * hw;
    GRID_STRIDE(i, total) {
        const int ch = (int)((i / hw) % c);
        y[i] = (x[i] - mean[ch]) * invStd[ch] * gamma[ch] + beta[ch];
    }
}

// partial[(ch * splits + split) * 2 + {0, 1}] = sums of gy and gy * (x - mean).
extern "C" __global__ void bn_backward_partial_f32(const float *__restrict__ x, const float *__restrict__ gy,
                                                   const float *__restrict__ mean, int n, int c, int hw,
                                                   int splits, double *partial) {
    const int ch = blockIdx.x, split = blockIdx.y;
    const i64 m = (i64)n * hw, chunk = (m + splits - 1) / splits;
    const i64 begin = split * chunk, end = min(m, begin + chunk);
    const double mu = mean[ch];
    double sg = 0.0, sgx = 0.0;
    for (i64 j = begin + threadIdx.x; j < end; j += blockDim.x) {
        const i64 i = channel_index(j, ch, c, hw);
        const double g = gy[i];
        sg += g;
        sgx += g * ((double)x[i] - mu);
    }
    block_sum2(sg, sgx);
    if (threadIdx.x == 0) {
        partial[((i64)ch * splits + split) * 2] = sg;
        partial[((i64)ch * splits + split) * 2 + 1] = sgx;
    }
}

// Per channel: gBeta += sum(gy); gGamma += invStd * sum(gy (x - mean)); sums[ch] keeps both for the gx pass.
// gGamma and gBeta may be null.
extern "C" __global__ void bn_backward_finish_f32(const double *__restrict__ partial, int splits, int c,
                                                  const float *__restrict__ invStd, float *gGamma, float *gBeta,
                                                  double *sums) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double sg = 0.0, sgx = 0.0;
    for (int i = 0; i < splits; i++) {
        sg += partial[((i64)ch * splits + i) * 2];
        sgx += partial[((i64)ch * splits + i) * 2 + 1];
    }
    if (gBeta) gBeta[ch] += (float)sg;
    if (gGamma) gGamma[ch] += (float)(sgx * invStd[ch]);
    sums[2 * ch] = sg;
    sums[2 * ch + 1] = sgx;
}

// Training: gx += gamma * invStd * (gy - sum(gy) / m - xhat * sum(gy xhat) / m), xhat = (x - mean) * invStd,
// the batch statistics' own gradient included. Eval: gx += gamma * invStd * gy (sums unused, may be null).
extern "C" __global__ void bn_backward_dx_f32(int training, const float *__restrict__ x,
                                              const float *__restrict__ gamma, const float *__restrict__ mean,
                                              const float *__restrict__ invStd, const float *__restrict__ gy,
                                              const double *__restrict__ sums, float *gx, int n, int c, int hw) {
    const i64 total = (i64)n * c * hw;
    const double m = (double)n * hw;
    GRID_STRIDE(i, total) {
        const int ch = (int)((i / hw) % c);
        const float k = gamma[ch] * invStd[ch];
        if (training) {
            const float is = invStd[ch];
            const float xhat = (x[i] - mean[ch]) * is;
            const float meanG = (float)(sums[2 * ch] / m);
            const float meanGx = (float)(sums[2 * ch + 1] * is / m); // mean of gy * xhat
            gx[i] += k * (gy[i] - meanG - xhat * meanGx);
        } else {
            gx[i] += k * gy[i];
        }
    }
}
