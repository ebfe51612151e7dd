// CUDA on the CPU, enough to run this module's kernels for correctness checks (EmulatedKernelsTest): each CUDA
// thread is a std::thread, the blocks of a grid run one after another, __syncthreads is a barrier over the
// block and warp shuffles a barrier over the warp. Shared memory (static and the dynamic fo_smem) is one static
// array per declaration, which is exact because only one block runs at a time. Slow: small shapes only.
#pragma once
#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <type_traits>
#include <vector>
using std::isnan;
struct dim3 { unsigned x = 1, y = 1, z = 1; };
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<> *g_block_barrier;
inline std::vector<std::barrier<> *> g_warp_barriers;
inline double g_warp_buf[32][32];
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
struct alignas(16) float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline long long clock64() { return 0; }
// Separately rounded IEEE operations; compile with -ffp-contract=off so that the host compiler keeps them apart.
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __double2float_rn(double a) { return (float)a; }
inline void __syncthreads() { g_block_barrier->arrive_and_wait(); }
template <class T> T __shfl_down_sync(unsigned, T v, int o) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    g_warp_barriers[warp]->arrive_and_wait();
    g_warp_buf[warp][lane] = (double)v;
    g_warp_barriers[warp]->arrive_and_wait();
    T r = lane + o < 32 ? (T)g_warp_buf[warp][lane + o] : v;
    g_warp_barriers[warp]->arrive_and_wait();
    return r;
}
template <class A, class B> auto min(A a, B b) { using C = std::common_type_t<A, B>; return (C)a < (C)b ? (C)a : (C)b; }
template <class A, class B> auto max(A a, B b) { using C = std::common_type_t<A, B>; return (C)a > (C)b ? (C)a : (C)b; }

template <class F, class... Args> void launch(F f, dim3 grid, dim3 block, Args... args) {
    gridDim = grid;
    blockDim = block;
    int n = block.x * block.y * block.z;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                std::barrier<> bar(n);
                g_block_barrier = &bar;
                std::vector<std::barrier<> *> wb;
                for (int w = 0; w < (n + 31) / 32; w++) wb.push_back(new std::barrier<>(32));
                g_warp_barriers = wb;
                std::vector<std::thread> ts;
                for (int t = 0; t < n; t++)
                    ts.emplace_back([&, t] {
                        threadIdx = dim3{(unsigned)t, 0, 0};
                        blockIdx = dim3{bx, by, bz};
                        f(args...);
                    });
                for (auto &t : ts) t.join();
                for (auto *b : wb) delete b;
            }
}
