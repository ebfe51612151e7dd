// Tiled SGEMM and the three convolutions as implicit GEMMs, on one shared core.
//
// The core computes C[M x N] = sum over k of A(m, k) * B(k, n) for a BM x 128 tile of C per block, in steps of
// BK = 8 along k: each step's A and B tiles are staged in shared memory (double-buffered, with the next tiles
// prefetched into registers while the current ones are used), and each thread accumulates an 8 x 8 sub-tile
// in registers (rows ty*4..+3 and BM/2+ty*4..+3, columns tx*4..+3 and 64+tx*4..+3: split in halves so that the
// float4 shared-memory reads of a warp are contiguous and conflict-free). A "problem" supplies how to load
// A and B elements (GEMM with transposes, or im2col gathers for convolution) and how to store a finished
// element (assign, accumulate, bias). With gridDim.z > 1 the K range is split ("split-K") and each split writes
// its raw sums to a partial buffer [z][M][N]; a second kernel adds the splits in order and stores, so results
// stay deterministic. Shape letters: N batch (Nb below, N is the GEMM width), C channels, H, W.
#include "common.cuh"

#define BK 8
#define BN 128

template <int BM_> struct TileShape {
    static constexpr int BM = BM_;
    static constexpr int THREADS = BM * BN / 64;          // 8 x 8 outputs per thread
    static constexpr int A_LOADS = BM * BK / THREADS;     // 4
    static constexpr int B_LOADS = BN * BK / THREADS;     // 8 (BM 64) or 4 (BM 128)
    static_assert(THREADS % BK == 0 && THREADS % BM == 0 && THREADS % BN == 0, "load mappings");
};

// Load mappings, shared by the problems and the core. Slot i of a thread loads:
//   A k-fast: k = k0 + tid % BK,  m = m0 + tid / BK + i * (THREADS / BK)
//   A m-fast: m = m0 + tid % BM,  k = k0 + tid / BM + i * (THREADS / BM)
//   B k-fast: k = k0 + tid % BK,  n = n0 + tid / BK + i * (THREADS / BK)
//   B n-fast: n = n0 + tid % BN,  k = k0 + tid / BN + i * (THREADS / BN)
// "k-fast" means consecutive threads walk along k: chosen where memory is contiguous along k.

template <class T, bool A_KFAST, bool B_KFAST>
__device__ __forceinline__ void store_tiles(float (*As)[T::BM + 4], float (*Bs)[BN + 4], const float *ra,
                                            const float *rb, int tid) {
#pragma unroll
    for (int i = 0; i < T::A_LOADS; i++) {
        if (A_KFAST) As[tid % BK][tid / BK + i * (T::THREADS / BK)] = ra[i];
        else As[tid / T::BM + i * (T::THREADS / T::BM)][tid % T::BM] = ra[i];
    }
#pragma unroll
    for (int i = 0; i < T::B_LOADS; i++) {
        if (B_KFAST) Bs[tid % BK][tid / BK + i * (T::THREADS / BK)] = rb[i];
        else Bs[tid / BN + i * (T::THREADS / BN)][tid % BN] = rb[i];
    }
}

template <class P>
__device__ __forceinline__ void gemm_core(P &p, int M, int N, int K, int kChunk, float *partial) {
    using T = typename P::Tile;
    constexpr int BM = T::BM;
    __shared__ __align__(16) float As[2][BK][BM + 4];
    __shared__ __align__(16) float Bs[2][BK][BN + 4];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int kBegin = blockIdx.z * kChunk;
    const int kEnd = min(K, kBegin + kChunk);
    const int tiles = kEnd > kBegin ? (kEnd - kBegin + BK - 1) / BK : 0;
    float ra[T::A_LOADS], rb[T::B_LOADS];
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.f;

    if (tiles > 0) {
        p.loadA(ra, kBegin, kEnd);
        p.loadB(rb, kBegin, kEnd);
        store_tiles<T, P::A_KFAST, P::B_KFAST>(As[0], Bs[0], ra, rb, tid);
        __syncthreads();
        for (int t = 0; t < tiles; t++) {
            const int cur = t & 1;
            const bool more = t + 1 < tiles;
            if (more) { // global loads in flight while the tile below is multiplied
                p.loadA(ra, kBegin + (t + 1) * BK, kEnd);
                p.loadB(rb, kBegin + (t + 1) * BK, kEnd);
            }
#pragma unroll
            for (int kk = 0; kk < BK; kk++) {
                const float4 a0 = *reinterpret_cast<const float4 *>(&As[cur][kk][ty * 4]);
                const float4 a1 = *reinterpret_cast<const float4 *>(&As[cur][kk][BM / 2 + ty * 4]);
                const float4 b0 = *reinterpret_cast<const float4 *>(&Bs[cur][kk][tx * 4]);
                const float4 b1 = *reinterpret_cast<const float4 *>(&Bs[cur][kk][BN / 2 + tx * 4]);
                const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
                const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
                for (int i = 0; i < 8; i++)
#pragma unroll
                    for (int j = 0; j < 8; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
            }
            // The other buffer was last read in step t - 1, before that step's barrier: safe to overwrite.
            if (more) store_tiles<T, P::A_KFAST, P::B_KFAST>(As[cur ^ 1], Bs[cur ^ 1], ra, rb, tid);
            __syncthreads();
        }
    }
#pragma unroll
    for (int i = 0; i < 8; i++) {
        const int m = m0 + (i < 4 ? ty * 4 + i : BM / 2 + ty * 4 + i - 4);
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < 8; j++) {
            const int n = n0 + (j < 4 ? tx * 4 + j : BN / 2 + tx * 4 + j - 4);
            if (n >= N) continue;
            if (gridDim.z > 1) partial[((i64)blockIdx.z * M + m) * N + n] = acc[i][j];
            else p.store(m, n, acc[i][j]);
        }
    }
}

// Split-K epilogue: the sum over splits of partial[z][m][n], stored by the problem's own rule.
template <class P>
__device__ __forceinline__ void split_reduce(P &p, int M, int N, int splits, const float *partial) {
    const i64 mn = (i64)M * N;
    GRID_STRIDE(idx, mn) {
        float s = 0.f;
        for (int z = 0; z < splits; z++) s += partial[z * mn + idx];
        p.store((int)(idx / N), (int)(idx % N), s);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Row-major GEMM: C = alpha * op(A) * op(B) + beta * C; A is M x K (K x M when TA), B is K x N (N x K when TB).
template <int BM, bool TA, bool TB> struct GemmProblem {
    using Tile = TileShape<BM>;
    static constexpr bool A_KFAST = !TA, B_KFAST = TB;
    const float *A, *B;
    float *C;
    int M, N, K;
    float alpha, beta;
    int tid, m0, n0;

    __device__ void loadA(float *ra, int k0, int kEnd) const {
#pragma unroll
        for (int i = 0; i < Tile::A_LOADS; i++) {
            int m, k;
            if (A_KFAST) { k = k0 + tid % BK; m = m0 + tid / BK + i * (Tile::THREADS / BK); }
            else { m = m0 + tid % BM; k = k0 + tid / BM + i * (Tile::THREADS / BM); }
            ra[i] = (m < M && k < kEnd) ? (TA ? A[(i64)k * M + m] : A[(i64)m * K + k]) : 0.f;
        }
    }
    __device__ void loadB(float *rb, int k0, int kEnd) const {
#pragma unroll
        for (int i = 0; i < Tile::B_LOADS; i++) {
            int n, k;
            if (B_KFAST) { k = k0 + tid % BK; n = n0 + tid / BK + i * (Tile::THREADS / BK); }
            else { n = n0 + tid % BN; k = k0 + tid / BN + i * (Tile::THREADS / BN); }
            rb[i] = (n < N && k < kEnd) ? (TB ? B[(i64)n * K + k] : B[(i64)k * N + n]) : 0.f;
        }
    }
    // With beta = 0, C is not read (it may hold NaN), as BLAS.
    __device__ void store(int m, int n, float v) const {
        const i64 i = (i64)m * N + n;
        C[i] = beta == 0.f ? alpha * v : alpha * v + beta * C[i];
    }
};

#define GEMM_KERNELS(BM, TA, TB, NAME)                                                                      \
    extern "C" __global__ void __launch_bounds__(TileShape<BM>::THREADS)                                  \
        NAME(const float *A, const float *B, float *C, int M, int N, int K, float alpha, float beta,      \
             int kChunk, float *partial) {                                                                \
        GemmProblem<BM, TA, TB> p{A, B, C, M, N, K, alpha, beta, (int)threadIdx.x,                        \
                                  (int)blockIdx.y * BM, (int)blockIdx.x * BN};                            \
        gemm_core(p, M, N, K, kChunk, partial);                                                           \
    }
GEMM_KERNELS(64, false, false, sgemm_nn_64)
GEMM_KERNELS(64, false, true, sgemm_nt_64)
GEMM_KERNELS(64, true, false, sgemm_tn_64)
GEMM_KERNELS(64, true, true, sgemm_tt_64)
GEMM_KERNELS(128, false, false, sgemm_nn_128)
GEMM_KERNELS(128, false, true, sgemm_nt_128)
GEMM_KERNELS(128, true, false, sgemm_tn_128)
GEMM_KERNELS(128, true, true, sgemm_tt_128)

extern "C" __global__ void sgemm_split_reduce(float *C, int M, int N, float alpha, float beta, int splits,
                                              const float *partial) {
    GemmProblem<64, false, false> p{nullptr, nullptr, C, M, N, 0, alpha, beta, 0, 0, 0};
    split_reduce(p, M, N, splits, partial);
}

// ---------------------------------------------------------------------------------------------------------
// Convolution geometry as passed to every conv kernel: x [Nb, IC, IH, IW], w [OC, IC, KH, KW],
// y [Nb, OC, OH, OW], stride S, zero padding P.
#define CONV_PARAMS int Nb, int IC, int IH, int IW, int OC, int KH, int KW, int S, int P, int OH, int OW
#define CONV_ARGS Nb, IC, IH, IW, OC, KH, KW, S, P, OH, OW

struct ConvShape {
    int Nb, IC, IH, IW, OC, KH, KW, S, P, OH, OW;
};

// Forward: M = OC, N = Nb*OH*OW (output pixels), K = IC*KH*KW. A = w (row-major M x K, k-fast); B = im2col(x),
// n-fast: each thread's column (output pixel) is fixed, so its (n, oh, ow) is decoded once.
template <int BM> struct ConvForward {
    using Tile = TileShape<BM>;
    static constexpr bool A_KFAST = true, B_KFAST = false;
    ConvShape g;
    const float *x, *w, *bias;
    float *y;
    int M, N, K, tid, m0;
    // this thread's B column
    bool colValid;
    int ih0, iw0;
    i64 xBase;

    __device__ ConvForward(ConvShape g_, const float *x_, const float *w_, const float *bias_, float *y_, int tid_,
                           int m0_, int n0)
        : g(g_), x(x_), w(w_), bias(bias_), y(y_), tid(tid_), m0(m0_) {
        M = g.OC;
        N = g.Nb * g.OH * g.OW;
        K = g.IC * g.KH * g.KW;
        const int col = n0 + tid % BN, ohw = g.OH * g.OW;
        colValid = col < N;
        const int nb = col / ohw, r = col - nb * ohw, oh = r / g.OW, ow = r - oh * g.OW;
        ih0 = oh * g.S - g.P;
        iw0 = ow * g.S - g.P;
        xBase = (i64)nb * g.IC * g.IH * g.IW;
    }
    __device__ void loadA(float *ra, int k0, int kEnd) const {
        const int k = k0 + tid % BK;
#pragma unroll
        for (int i = 0; i < Tile::A_LOADS; i++) {
            const int m = m0 + tid / BK + i * (Tile::THREADS / BK);
            ra[i] = (m < M && k < kEnd) ? w[(i64)m * K + k] : 0.f;
        }
    }
    __device__ void loadB(float *rb, int k0, int kEnd) const {
        const int khw = g.KH * g.KW;
#pragma unroll
        for (int i = 0; i < Tile::B_LOADS; i++) {
            const int k = k0 + tid / BN + i * (Tile::THREADS / BN);
            const int ic = k / khw, r = k - ic * khw, kh = r / g.KW, kw = r - kh * g.KW;
            const int ih = ih0 + kh, iw = iw0 + kw;
            rb[i] = (colValid && k < kEnd && (unsigned)ih < (unsigned)g.IH && (unsigned)iw < (unsigned)g.IW)
                        ? x[xBase + ((i64)ic * g.IH + ih) * g.IW + iw]
                        : 0.f;
        }
    }
    __device__ void store(int m, int n, float v) const {
        const int ohw = g.OH * g.OW, nb = n / ohw, r = n - nb * ohw;
        y[((i64)nb * g.OC + m) * ohw + r] = v + (bias ? bias[m] : 0.f);
    }
};

// Backward data: gx += conv_transpose(gy, w). M = IC, N = Nb*IH*IW (input pixels), K = OC*KH*KW.
// A(ic, (oc,kh,kw)) = w[oc][ic][kh][kw]; B((oc,kh,kw), (n,ih,iw)) = gy[n][oc][oh][ow] where
// ih = oh*S - P + kh, i.e. oh = (ih + P - kh) / S when that divides exactly and lands inside.
template <int BM> struct ConvBackwardData {
    using Tile = TileShape<BM>;
    static constexpr bool A_KFAST = true, B_KFAST = false;
    ConvShape g;
    const float *w, *gy;
    float *gx;
    int M, N, K, tid, m0;
    bool colValid;
    int ih, iw;
    i64 gyBase;

    __device__ ConvBackwardData(ConvShape g_, const float *w_, const float *gy_, float *gx_, int tid_, int m0_,
                                int n0)
        : g(g_), w(w_), gy(gy_), gx(gx_), tid(tid_), m0(m0_) {
        M = g.IC;
        N = g.Nb * g.IH * g.IW;
        K = g.OC * g.KH * g.KW;
        const int col = n0 + tid % BN, ihw = g.IH * g.IW;
        colValid = col < N;
        const int nb = col / ihw, r = col - nb * ihw;
        ih = r / g.IW;
        iw = r - ih * g.IW;
        gyBase = (i64)nb * g.OC * g.OH * g.OW;
    }
    __device__ void loadA(float *ra, int k0, int kEnd) const {
        const int khw = g.KH * g.KW;
        const int k = k0 + tid % BK, oc = k / khw, r = k - oc * khw;
        const i64 base = (i64)oc * g.IC * khw + r;
#pragma unroll
        for (int i = 0; i < Tile::A_LOADS; i++) {
            const int m = m0 + tid / BK + i * (Tile::THREADS / BK);
            ra[i] = (m < M && k < kEnd) ? w[base + (i64)m * khw] : 0.f;
        }
    }
    __device__ void loadB(float *rb, int k0, int kEnd) const {
        const int khw = g.KH * g.KW;
#pragma unroll
        for (int i = 0; i < Tile::B_LOADS; i++) {
            const int k = k0 + tid / BN + i * (Tile::THREADS / BN);
            const int oc = k / khw, r = k - oc * khw, kh = r / g.KW, kw = r - kh * g.KW;
            const int th = ih + g.P - kh, tw = iw + g.P - kw;
            bool ok = colValid && k < kEnd && th >= 0 && tw >= 0;
            int oh = th, ow = tw;
            if (g.S != 1) {
                ok = ok && th % g.S == 0 && tw % g.S == 0;
                oh = th / g.S;
                ow = tw / g.S;
            }
            ok = ok && oh < g.OH && ow < g.OW;
            rb[i] = ok ? gy[gyBase + ((i64)oc * g.OH + oh) * g.OW + ow] : 0.f;
        }
    }
    __device__ void store(int m, int n, float v) const {
        const int ihw = g.IH * g.IW, nb = n / ihw, r = n - nb * ihw;
        gx[((i64)nb * g.IC + m) * ihw + r] += v;
    }
};

// Backward data with stride S > 1, one parity class at a time. Input pixel (ih, iw) only receives taps with
// kh = (ih + P) mod S (mod S), and likewise kw, so the pixels with ih = ph (mod S), iw = pw (mod S) form a stride-1
// correlation of gy with a sub-kernel of ceil((KH - kh0) / S) x ceil((KW - kw0) / S) taps. The plain gather
// (ConvBackwardData) visits all KH*KW taps and discards all but ~1/S^2 of them; this visits only live ones.
// Class pixel (i, j) is ih = ph + S*i, iw = pw + S*j; tap (a, b) is kh = kh0 + S*a, kw = kw0 + S*b, and reads
// gy at oh = i + qh - a, ow = j + qw - b with qh = (ph + P - kh0) / S (exact). M = IC, N = Nb*CH*CW, K = OC*KA*KB.
template <int BM> struct ConvBackwardDataParity {
    using Tile = TileShape<BM>;
    static constexpr bool A_KFAST = true, B_KFAST = false;
    ConvShape g;
    const float *w, *gy;
    float *gx;
    int M, N, K, tid, m0;
    int ph, pw, kh0, kw0, KA, KB, qh, qw, CH, CW;
    bool colValid;
    int ci, cj;
    i64 gyBase;

    __device__ ConvBackwardDataParity(ConvShape g_, const float *w_, const float *gy_, float *gx_, int tid_, int m0_,
                                      int n0, int ph_, int pw_)
        : g(g_), w(w_), gy(gy_), gx(gx_), tid(tid_), m0(m0_), ph(ph_), pw(pw_) {
        kh0 = (ph + g.P) % g.S;
        kw0 = (pw + g.P) % g.S;
        KA = kh0 < g.KH ? (g.KH - kh0 + g.S - 1) / g.S : 0;
        KB = kw0 < g.KW ? (g.KW - kw0 + g.S - 1) / g.S : 0;
        qh = (ph + g.P - kh0) / g.S;
        qw = (pw + g.P - kw0) / g.S;
        CH = ph < g.IH ? (g.IH - ph + g.S - 1) / g.S : 0;
        CW = pw < g.IW ? (g.IW - pw + g.S - 1) / g.S : 0;
        M = g.IC;
        N = g.Nb * CH * CW;
        K = g.OC * KA * KB;
        const int col = n0 + tid % BN, chw = CH * CW;
        colValid = col < N;
        const int nb = chw > 0 ? col / chw : 0, r = col - nb * chw;
        ci = CW > 0 ? r / CW : 0;
        cj = r - ci * CW;
        gyBase = (i64)nb * g.OC * g.OH * g.OW;
    }
    __device__ void loadA(float *ra, int k0, int kEnd) const {
        const int kab = KA * KB, khw = g.KH * g.KW;
        const int k = k0 + tid % BK, oc = k / kab, r = k - oc * kab, a = r / KB, b = r - a * KB;
        const i64 base = (i64)oc * g.IC * khw + (kh0 + g.S * a) * g.KW + kw0 + g.S * b;
#pragma unroll
        for (int i = 0; i < Tile::A_LOADS; i++) {
            const int m = m0 + tid / BK + i * (Tile::THREADS / BK);
            ra[i] = (m < M && k < kEnd) ? w[base + (i64)m * khw] : 0.f;
        }
    }
    __device__ void loadB(float *rb, int k0, int kEnd) const {
        const int kab = KA * KB;
#pragma unroll
        for (int i = 0; i < Tile::B_LOADS; i++) {
            const int k = k0 + tid / BN + i * (Tile::THREADS / BN);
            const int oc = k / kab, r = k - oc * kab, a = r / KB, b = r - a * KB;
            const int oh = ci + qh - a, ow = cj + qw - b;
            rb[i] = (colValid && k < kEnd && (unsigned)oh < (unsigned)g.OH && (unsigned)ow < (unsigned)g.OW)
                        ? gy[gyBase + ((i64)oc * g.OH + oh) * g.OW + ow]
                        : 0.f;
        }
    }
    __device__ void store(int m, int n, float v) const {
        const int chw = CH * CW, nb = n / chw, r = n - nb * chw, i = r / CW, j = r - i * CW;
        gx[((i64)nb * g.IC + m) * g.IH * g.IW + (i64)(ph + g.S * i) * g.IW + pw + g.S * j] += v;
    }
};

// Backward weight: gw += correlate(x, gy). M = OC, N = IC*KH*KW, K = Nb*OH*OW (output pixels, usually huge,
// hence split-K). A(oc, (n,oh,ow)) = gy, k-fast; B((n,oh,ow), (ic,kh,kw)) = x at (oh*S-P+kh, ow*S-P+kw),
// k-fast: each thread's columns are fixed, so their (ic, kh, kw) are decoded once.
template <int BM> struct ConvBackwardWeight {
    using Tile = TileShape<BM>;
    static constexpr bool A_KFAST = true, B_KFAST = true;
    ConvShape g;
    const float *x, *gy;
    float *gw;
    int M, N, K, tid, m0;
    int colIc[Tile::B_LOADS];   // -1 when the column is past N
    int colKhKw[Tile::B_LOADS]; // kh << 16 | kw

    __device__ ConvBackwardWeight(ConvShape g_, const float *x_, const float *gy_, float *gw_, int tid_, int m0_,
                                  int n0)
        : g(g_), x(x_), gy(gy_), gw(gw_), tid(tid_), m0(m0_) {
        M = g.OC;
        N = g.IC * g.KH * g.KW;
        K = g.Nb * g.OH * g.OW;
        const int khw = g.KH * g.KW;
#pragma unroll
        for (int i = 0; i < Tile::B_LOADS; i++) {
            const int col = n0 + tid / BK + i * (Tile::THREADS / BK);
            const int ic = col / khw, r = col - ic * khw, kh = r / g.KW, kw = r - kh * g.KW;
            colIc[i] = col < N ? ic : -1;
            colKhKw[i] = kh << 16 | kw;
        }
    }
    __device__ void loadA(float *ra, int k0, int kEnd) const {
        const int ohw = g.OH * g.OW;
        const int k = k0 + tid % BK, nb = k / ohw, r = k - nb * ohw;
        const i64 base = (i64)nb * g.OC * ohw + r;
#pragma unroll
        for (int i = 0; i < Tile::A_LOADS; i++) {
            const int m = m0 + tid / BK + i * (Tile::THREADS / BK);
            ra[i] = (m < M && k < kEnd) ? gy[base + (i64)m * ohw] : 0.f;
        }
    }
    __device__ void loadB(float *rb, int k0, int kEnd) const {
        const int ohw = g.OH * g.OW;
        const int k = k0 + tid % BK, nb = k / ohw, r = k - nb * ohw, oh = r / g.OW, ow = r - oh * g.OW;
        const int ih0 = oh * g.S - g.P, iw0 = ow * g.S - g.P;
        const i64 xBase = (i64)nb * g.IC * g.IH * g.IW;
        const bool kOk = k < kEnd;
#pragma unroll
        for (int i = 0; i < Tile::B_LOADS; i++) {
            const int ih = ih0 + (colKhKw[i] >> 16), iw = iw0 + (colKhKw[i] & 0xffff);
            rb[i] = (kOk && colIc[i] >= 0 && (unsigned)ih < (unsigned)g.IH && (unsigned)iw < (unsigned)g.IW)
                        ? x[xBase + ((i64)colIc[i] * g.IH + ih) * g.IW + iw]
                        : 0.f;
        }
    }
    __device__ void store(int m, int n, float v) const {
        gw[(i64)m * N + n] += v;
    }
};

// The 128-row tiles come in two register budgets: the compiler's choice (about 145 registers: one 256-thread
// block per SM) and a cap of 128 registers for two blocks per SM, which trades a few spilled bytes for twice
// the warps to hide load latency. OwnConv times both when it autotunes. (The 64-row tiles, 128 threads, already
// fit three blocks per SM.)
#define CONV_KERNELS(BM, MINB, SUFFIX)                                                                     \
    extern "C" __global__ void __launch_bounds__(TileShape<BM>::THREADS, MINB)                           \
        conv_fwd_##BM##SUFFIX(const float *x, const float *w, const float *bias, float *y, CONV_PARAMS,    \
                              int kChunk, float *partial) {                                              \
        ConvForward<BM> p(ConvShape{CONV_ARGS}, x, w, bias, y, threadIdx.x, blockIdx.y * BM, blockIdx.x * BN); \
        gemm_core(p, p.M, p.N, p.K, kChunk, partial);                                                    \
    }                                                                                                    \
    extern "C" __global__ void __launch_bounds__(TileShape<BM>::THREADS, MINB)                           \
        conv_bwd_data_##BM##SUFFIX(const float *w, const float *gy, float *gx, CONV_PARAMS, int kChunk,  \
                                   float *partial) {                                                     \
        ConvBackwardData<BM> p(ConvShape{CONV_ARGS}, w, gy, gx, threadIdx.x, blockIdx.y * BM, blockIdx.x * BN); \
        gemm_core(p, p.M, p.N, p.K, kChunk, partial);                                                    \
    }                                                                                                    \
    extern "C" __global__ void __launch_bounds__(TileShape<BM>::THREADS, MINB)                           \
        conv_bwd_data_parity_##BM##SUFFIX(const float *w, const float *gy, float *gx, CONV_PARAMS, int ph, \
                                          int pw, int kChunk, float *partial) {                          \
        ConvBackwardDataParity<BM> p(ConvShape{CONV_ARGS}, w, gy, gx, threadIdx.x, blockIdx.y * BM,      \
                                     blockIdx.x * BN, ph, pw);                                           \
        gemm_core(p, p.M, p.N, p.K, kChunk, partial);                                                    \
    }                                                                                                    \
    extern "C" __global__ void __launch_bounds__(TileShape<BM>::THREADS, MINB)                           \
        conv_bwd_weight_##BM##SUFFIX(const float *x, const float *gy, float *gw, CONV_PARAMS, int kChunk,\
                                     float *partial) {                                                   \
        ConvBackwardWeight<BM> p(ConvShape{CONV_ARGS}, x, gy, gw, threadIdx.x, blockIdx.y * BM,          \
                                 blockIdx.x * BN);                                                       \
        gemm_core(p, p.M, p.N, p.K, kChunk, partial);                                                    \
    }
CONV_KERNELS(64, 1, )
CONV_KERNELS(128, 1, )
CONV_KERNELS(128, 2, _r128)

extern "C" __global__ void conv_fwd_split_reduce(const float *bias, float *y, CONV_PARAMS, int splits,
                                                 const float *partial) {
    ConvForward<64> p(ConvShape{CONV_ARGS}, nullptr, nullptr, bias, y, 0, 0, 0);
    split_reduce(p, p.M, p.N, splits, partial);
}

extern "C" __global__ void conv_bwd_data_split_reduce(float *gx, CONV_PARAMS, int splits, const float *partial) {
    ConvBackwardData<64> p(ConvShape{CONV_ARGS}, nullptr, nullptr, gx, 0, 0, 0);
    split_reduce(p, p.M, p.N, splits, partial);
}

extern "C" __global__ void conv_bwd_weight_split_reduce(float *gw, CONV_PARAMS, int splits,
                                                        const float *partial) {
    ConvBackwardWeight<64> p(ConvShape{CONV_ARGS}, nullptr, nullptr, gw, 0, 0, 0);
    split_reduce(p, p.M, p.N, splits, partial);
}

extern "C" __global__ void conv_bwd_data_parity_split_reduce(float *gx, CONV_PARAMS, int ph, int pw, int splits,
                                                             const float *partial) {
    ConvBackwardDataParity<64> p(ConvShape{CONV_ARGS}, nullptr, nullptr, gx, 0, 0, 0, ph, pw);
    split_reduce(p, p.M, p.N, splits, partial);
}
