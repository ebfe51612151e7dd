// Direct convolutions for layers with very few output channels (at most 4), where an implicit GEMM with
// M = output channels would leave 60 of its 64 tile rows empty: SRResNet's 9x9 tail (64 -> 3), and the input
// gradients of every layer that reads the 3-channel image (the head, VGG's and the discriminator's first conv).
// Shape letters: N batch (Nb), C channels, H x W image, K kernel, S stride, P padding.
//
// conv_few_out_<CO>: out[n][co][oh][ow] = sum over (ci, kh, kw) of wt(co, ci, kh, kw) * in[n][ci][oh+kh-PH][ow+kw-PW]
// (stride 1). The weight is read through an offset and four strides, so the same kernel computes
//   - a forward (in = x, wt = w as stored), and
//   - a backward-data pass: gx is the stride-1 correlation of gy with w transposed over its channels and
//     rotated by 180 degrees, padding K - 1 - P (negative strides walk w backwards).
// A block computes a 16 x 32 tile of one image; thread (tx, ty) owns column tx and rows 4ty..4ty+3 for every
// output channel. The input tile of 4 channels (with its halo) and their weights are staged in shared memory;
// per tap a thread reads one float4 of weights (a broadcast) and 4 inputs (conflict-free: a warp reads 32
// consecutive floats) for 16 FMAs. With gridDim.z > 1 the input channels are split, each split writes its raw
// sums to partial[z][...], and conv_few_out_reduce adds them in order: deterministic.
//
// conv_wgrad_few_out_<CO>: partial[band][co][ci][kh][kw] = the weight-gradient sum over one band of output rows
// of one image (any stride); conv_wgrad_few_out_reduce adds the bands in order into gw. A block owns up to 256
// weight columns (ci, kh, kw), one per thread, and walks its band in strips of 32 output columns: per output
// pixel a thread reads a broadcast float4 of gy and one staged input for CO FMAs.
#include "common.cuh"

#define FO_TW 32                 // tile width: one warp
#define FO_TY 4                  // warps per block
#define FO_PX 4                  // output rows per thread
#define FO_TH (FO_TY * FO_PX)    // tile height
#define FO_CIB 4                 // input channels staged at a time

// Dynamic shared memory of both kernel families; the wrappers in OwnConv size it (FewOutPlan).
extern __shared__ __align__(16) float fo_smem[];

template <int CO>
__device__ __forceinline__ void few_out(const float *__restrict__ in, const float *__restrict__ wt,
                                        const float *__restrict__ bias, float *out, int Nb, int CI, int H, int W,
                                        int KH, int KW, int PH, int PW, int OH, int OW, int wOff, int sCo, int sCi,
                                        int sKh, int sKw, int ciChunk, int accumulate, float *partial) {
    const int tid = threadIdx.x, tx = tid % FO_TW, ty = tid / FO_TW;
    const int tilesX = (OW + FO_TW - 1) / FO_TW;
    const int ow0 = (blockIdx.x % tilesX) * FO_TW, oh0 = (blockIdx.x / tilesX) * FO_TH;
    const int n = blockIdx.y;
    const int ciBegin = blockIdx.z * ciChunk, ciEnd = min(CI, ciBegin + ciChunk);
    const int rows = FO_TH + KH - 1, cols = FO_TW + KW - 1, tile = rows * cols, khw = KH * KW;
    float *xs = fo_smem;                                                   // [FO_CIB][rows][cols]
    float4 *ws = reinterpret_cast<float4 *>(fo_smem + ((FO_CIB * tile + 3) & ~3)); // [FO_CIB][KH][KW]
    const i64 plane = (i64)H * W;
    const float *inN = in + (i64)n * CI * plane;

    float acc[FO_PX][CO];
#pragma unroll
    for (int j = 0; j < FO_PX; j++)
#pragma unroll
        for (int c = 0; c < CO; c++) acc[j][c] = 0.f;

    for (int c0 = ciBegin; c0 < ciEnd; c0 += FO_CIB) {
        const int cn = min(FO_CIB, ciEnd - c0);
        // One warp per tile row, lanes along it: no index division, coalesced global reads.
        for (int cl = 0; cl < cn; cl++) {
            const float *src = inN + (c0 + cl) * plane;
            for (int row = ty; row < rows; row += FO_TY) {
                const int ih = oh0 - PH + row;
                const bool rowOk = (unsigned)ih < (unsigned)H;
                for (int col = tx; col < cols; col += FO_TW) {
                    const int iw = ow0 - PW + col;
                    xs[cl * tile + row * cols + col] =
                        rowOk && (unsigned)iw < (unsigned)W ? src[(i64)ih * W + iw] : 0.f;
                }
            }
        }
        for (int i = tid; i < cn * khw; i += blockDim.x) {
            const int cl = i / khw, r = i - cl * khw, kh = r / KW, kw = r - kh * KW;
            const i64 at = (i64)wOff + (i64)(c0 + cl) * sCi + (i64)kh * sKh + (i64)kw * sKw;
            float v[4];
#pragma unroll
            for (int c = 0; c < 4; c++) v[c] = c < CO ? wt[at + (i64)c * sCo] : 0.f;
            ws[i] = make_float4(v[0], v[1], v[2], v[3]);
        }
        __syncthreads();
        for (int cl = 0; cl < cn; cl++) {
            for (int kh = 0; kh < KH; kh++) {
                const float *xr = xs + cl * tile + (ty * FO_PX + kh) * cols + tx;
                const float4 *wr = ws + (cl * KH + kh) * KW;
                for (int kw = 0; kw < KW; kw++) {
                    const float4 w4 = wr[kw];
                    const float wv[4] = {w4.x, w4.y, w4.z, w4.w};
#pragma unroll
                    for (int j = 0; j < FO_PX; j++) {
                        const float v = xr[j * cols + kw];
#pragma unroll
                        for (int c = 0; c < CO; c++) acc[j][c] = fmaf(v, wv[c], acc[j][c]);
                    }
                }
            }
        }
        __syncthreads(); // the next chunk overwrites the staged tiles
    }

    const int ow = ow0 + tx;
    if (ow >= OW) return;
    const i64 outPlane = (i64)OH * OW, total = (i64)Nb * CO * outPlane;
#pragma unroll
    for (int j = 0; j < FO_PX; j++) {
        const int oh = oh0 + ty * FO_PX + j;
        if (oh >= OH) continue;
#pragma unroll
        for (int c = 0; c < CO; c++) {
            const i64 idx = ((i64)n * CO + c) * outPlane + (i64)oh * OW + ow;
            if (gridDim.z > 1) partial[blockIdx.z * total + idx] = acc[j][c];
            else if (accumulate) out[idx] += acc[j][c];
            else out[idx] = acc[j][c] + (bias ? bias[c] : 0.f);
        }
    }
}

#define FEW_OUT_KERNEL(CO)                                                                                      \
    extern "C" __global__ void __launch_bounds__(FO_TW *FO_TY) conv_few_out_##CO(                              \
        const float *in, const float *wt, const float *bias, float *out, int Nb, int CI, int H, int W, int KH,   \
        int KW, int PH, int PW, int OH, int OW, int wOff, int sCo, int sCi, int sKh, int sKw, int ciChunk,       \
        int accumulate, float *partial) {                                                                       \
        few_out<CO>(in, wt, bias, out, Nb, CI, H, W, KH, KW, PH, PW, OH, OW, wOff, sCo, sCi, sKh, sKw, ciChunk, \
                    accumulate, partial);                                                                       \
    }
FEW_OUT_KERNEL(1)
FEW_OUT_KERNEL(2)
FEW_OUT_KERNEL(3)
FEW_OUT_KERNEL(4)

// out[i] (assigned with bias, or accumulated) from the splits' partial sums, added in split order.
extern "C" __global__ void conv_few_out_reduce(const float *partial, int splits, i64 total, const float *bias,
                                               float *out, int CO, i64 outPlane, int accumulate) {
    GRID_STRIDE(i, total) {
        float s = 0.f;
        for (int z = 0; z < splits; z++) s += partial[z * total + i];
        if (accumulate) out[i] += s;
        else out[i] = s + (bias ? bias[(i / outPlane) % CO] : 0.f);
    }
}

// ---------------------------------------------------------------------------------------------------------
#define WG_TW 32 // output columns per strip

template <int CO>
__device__ __forceinline__ void wgrad_few_out(const float *__restrict__ x, const float *__restrict__ gy,
                                              float *partial, int Nb, int CI, int H, int W, int KH, int KW, int S,
                                              int P, int OH, int OW, int ciBlock, int bandRows) {
    const int tid = threadIdx.x, khw = KH * KW;
    const int bands = (OH + bandRows - 1) / bandRows;
    const int n = blockIdx.x / bands, oh0 = (blockIdx.x % bands) * bandRows;
    const int bandH = min(bandRows, OH - oh0);
    const int ci0 = blockIdx.y * ciBlock, cn = min(ciBlock, CI - ci0);
    const int rows = (bandRows - 1) * S + KH, cols = (WG_TW - 1) * S + KW, tile = rows * cols;
    float4 *gs = reinterpret_cast<float4 *>(fo_smem); // [bandRows][WG_TW]
    float *xs = fo_smem + 4 * bandRows * WG_TW;        // [ciBlock][rows][cols]
    // this thread's weight column
    const bool mine = tid < cn * khw;
    const int cl = mine ? tid / khw : 0, r = tid - cl * khw, kh = r / KW, kw = r - kh * KW;
    const i64 plane = (i64)H * W, outPlane = (i64)OH * OW;
    float acc[CO];
#pragma unroll
    for (int c = 0; c < CO; c++) acc[c] = 0.f;

    for (int ow0 = 0; ow0 < OW; ow0 += WG_TW) {
        for (int i = tid; i < bandRows * WG_TW; i += blockDim.x) {
            const int rr = i / WG_TW, cc = i - rr * WG_TW, oh = oh0 + rr, ow = ow0 + cc;
            const bool ok = rr < bandH && ow < OW;
            float v[4];
#pragma unroll
            for (int c = 0; c < 4; c++)
                v[c] = (ok && c < CO) ? gy[((i64)n * CO + c) * outPlane + (i64)oh * OW + ow] : 0.f;
            gs[i] = make_float4(v[0], v[1], v[2], v[3]);
        }
        const int ih0 = oh0 * S - P, iw0 = ow0 * S - P, warps = blockDim.x / 32, lane = tid % 32;
        // One warp per (channel, tile row), lanes along the row: no index division, coalesced global reads.
        for (int cr = tid / 32; cr < cn * rows; cr += warps) {
            const int c = cr / rows, row = cr - c * rows, ih = ih0 + row;
            const bool rowOk = (unsigned)ih < (unsigned)H;
            const float *src = x + ((i64)n * CI + ci0 + c) * plane + (i64)ih * W;
            for (int col = lane; col < cols; col += 32) {
                const int iw = iw0 + col;
                xs[cr * cols + col] = rowOk && (unsigned)iw < (unsigned)W ? src[iw] : 0.f;
            }
        }
        __syncthreads();
        if (mine) {
            for (int rr = 0; rr < bandH; rr++) {
                const float *xr = xs + cl * tile + (rr * S + kh) * cols + kw;
                const float4 *gr = gs + rr * WG_TW;
#pragma unroll 8
                for (int cc = 0; cc < WG_TW; cc++) {
                    const float4 g = gr[cc];
                    const float gv[4] = {g.x, g.y, g.z, g.w};
                    const float v = xr[cc * S];
#pragma unroll
                    for (int c = 0; c < CO; c++) acc[c] = fmaf(gv[c], v, acc[c]);
                }
            }
        }
        __syncthreads();
    }
    if (!mine) return;
    const i64 gwSize = (i64)CO * CI * khw;
#pragma unroll
    for (int c = 0; c < CO; c++)
        partial[blockIdx.x * gwSize + ((i64)c * CI + ci0 + cl) * khw + r] = acc[c];
}

#define WGRAD_FEW_OUT_KERNEL(CO)                                                                                \
    extern "C" __global__ void __launch_bounds__(1024) conv_wgrad_few_out_##CO(                                \
        const float *x, const float *gy, float *partial, int Nb, int CI, int H, int W, int KH, int KW, int S,    \
        int P, int OH, int OW, int ciBlock, int bandRows) {                                                     \
        wgrad_few_out<CO>(x, gy, partial, Nb, CI, H, W, KH, KW, S, P, OH, OW, ciBlock, bandRows);               \
    }
WGRAD_FEW_OUT_KERNEL(1)
WGRAD_FEW_OUT_KERNEL(2)
WGRAD_FEW_OUT_KERNEL(3)
WGRAD_FEW_OUT_KERNEL(4)

// gw[i] += the sum over bands of partial[band][i], in band order.
extern "C" __global__ void conv_wgrad_few_out_reduce(const float *partial, int bands, i64 gwSize, float *gw) {
    GRID_STRIDE(i, gwSize) {
        float s = 0.f;
        for (int b = 0; b < bands; b++) s += partial[b * gwSize + i];
        gw[i] += s;
    }
}
