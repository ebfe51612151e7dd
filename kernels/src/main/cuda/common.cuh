// Shared helpers for the srgan CUDA kernels. Every kernel is float32 in memory; reductions accumulate in
// double, which on sm_90 costs nothing in these memory-bound loops and keeps sums over millions of
// elements exact to float precision. Shape letters: N batch, C channels, H height, W width, HW = H * W.
#pragma once

typedef long long i64;

// Grid-stride loop over [0, n) with 64-bit indices: tensors past 2^31 elements stay correct.
#define GRID_STRIDE(i, n)                                                                          \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// Sum of v over the block, valid in thread 0. blockDim.x must be a multiple of 32 and at most 1024.
// The fixed shuffle tree makes the result independent of scheduling: the same inputs give the same bits.
__device__ __forceinline__ double block_sum(double v) {
    __shared__ double warp_partials[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads(); // warp_partials may still be read by a previous call in the same kernel
    if (lane == 0) warp_partials[warp] = v;
    __syncthreads();
    const int warps = blockDim.x >> 5;
    v = threadIdx.x < warps ? warp_partials[threadIdx.x] : 0.0;
    if (warp == 0) v = warp_sum(v);
    return v;
}

// Two sums at once (batch-norm statistics), both valid in thread 0.
__device__ __forceinline__ void block_sum2(double &a, double &b) {
    __shared__ double pa[32], pb[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    a = warp_sum(a);
    b = warp_sum(b);
    __syncthreads();
    if (lane == 0) { pa[warp] = a; pb[warp] = b; }
    __syncthreads();
    const int warps = blockDim.x >> 5;
    a = threadIdx.x < warps ? pa[threadIdx.x] : 0.0;
    b = threadIdx.x < warps ? pb[threadIdx.x] : 0.0;
    if (warp == 0) { a = warp_sum(a); b = warp_sum(b); }
}
