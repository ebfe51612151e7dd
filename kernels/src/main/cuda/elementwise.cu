// Element-wise kernels: activations, broadcasting arithmetic, PReLU, layout permutations, max pooling and the
// fused multi-tensor Adam step. All are memory-bound; each thread handles elements in a grid-stride loop.
#include "common.cuh"

// Codes shared with OwnKernels.java (explicit, not enum ordinals).
enum { OP_RELU = 0, OP_LEAKY_RELU = 1, OP_TANH = 2, OP_SIGMOID = 3, OP_SCALE = 4, OP_ADD_SCALAR = 5, OP_RSQRT = 6 };
enum { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2 };

__device__ __forceinline__ float unary_f(int op, float x, float p) {
    switch (op) {
        case OP_RELU: return x <= 0.f ? 0.f : x; // NaN passes through, as torch.relu
        case OP_LEAKY_RELU: return x > 0.f ? x : p * x;
        case OP_TANH: return tanhf(x);
        case OP_SIGMOID: return 1.f / (1.f + expf(-x)); // expf overflows to inf for x << 0: result 0, exact
        case OP_SCALE: return p * x;
        // In double, as batch norm's 1/sqrt(var + eps) and the CPU backends: an eps below x's float resolution
        // still counts, and the result is rounded once.
        case OP_RSQRT: return (float)(1.0 / sqrt((double)x + (double)p));
        default: return x + p;
    }
}

extern "C" __global__ void unary_f32(int op, float p, const float *__restrict__ x, float *y, i64 n) {
    GRID_STRIDE(i, n) y[i] = unary_f(op, x[i], p);
}

// gx += f'(x, y) * gy. RELU and LEAKY_RELU read x; TANH, SIGMOID and RSQRT read y; SCALE and ADD_SCALAR neither.
extern "C" __global__ void unary_backward_f32(int op, float p, const float *__restrict__ x,
                                              const float *__restrict__ y, const float *__restrict__ gy,
                                              float *gx, i64 n) {
    GRID_STRIDE(i, n) {
        float g = gy[i], d;
        switch (op) {
            case OP_RELU: d = x[i] > 0.f ? g : 0.f; break;
            case OP_LEAKY_RELU: d = x[i] > 0.f ? g : p * g; break;
            case OP_TANH: { float t = y[i]; d = (1.f - t * t) * g; break; }
            case OP_SIGMOID: { float s = y[i]; d = s * (1.f - s) * g; break; }
            case OP_SCALE: d = p * g; break;
            // -y^3 / 2 in double: y^3 overflows float already for y > 7e12, i.e. x + eps < 2e-26.
            case OP_RSQRT: { double r = y[i]; d = (float)(-0.5 * r * r * r * (double)g); break; }
            default: d = g;
        }
        gx[i] += d;
    }
}

__device__ __forceinline__ float binary_f(int op, float a, float b) {
    return op == BIN_ADD ? a + b : op == BIN_SUB ? a - b : a * b;
}

// Same-shape operands: the common case, without index arithmetic.
extern "C" __global__ void binary_same_f32(int op, const float *a, const float *b, float *out, i64 n) {
    GRID_STRIDE(i, n) out[i] = binary_f(op, a[i], b[i]);
}

// General broadcasting over (at most) 6 collapsed dimensions, s0 outermost; a stride of 0 marks a broadcast
// dimension. out may alias a or b when that operand has the full shape: each thread reads before it writes.
extern "C" __global__ void binary_bcast_f32(int op, const float *a, const float *b, float *out, i64 n,
                                            int s0, int s1, int s2, int s3, int s4, int s5,
                                            i64 as0, i64 as1, i64 as2, i64 as3, i64 as4, i64 as5,
                                            i64 bs0, i64 bs1, i64 bs2, i64 bs3, i64 bs4, i64 bs5) {
    const int s[6] = {s0, s1, s2, s3, s4, s5};
    const i64 sa[6] = {as0, as1, as2, as3, as4, as5};
    const i64 sb[6] = {bs0, bs1, bs2, bs3, bs4, bs5};
    GRID_STRIDE(i, n) {
        i64 rest = i, oa = 0, ob = 0;
#pragma unroll
        for (int d = 5; d >= 0; d--) {
            i64 q = rest / s[d];
            i64 c = rest - q * s[d];
            rest = q;
            oa += c * sa[d];
            ob += c * sb[d];
        }
        out[i] = binary_f(op, a[oa], b[ob]);
    }
}

// PReLU over NCHW; alphaCount is 1 (shared) or C.
extern "C" __global__ void prelu_f32(const float *__restrict__ x, const float *__restrict__ alpha, int alphaCount,
                                     float *y, i64 total, int c, int hw) {
    GRID_STRIDE(i, total) {
        float v = x[i];
        float a = alpha[alphaCount == 1 ? 0 : (int)((i / hw) % c)];
        y[i] = v > 0.f ? v : a * v;
    }
}

// gx += (x > 0 ? 1 : alpha) * gy. The alpha gradient is a reduction (reduce.cu).
extern "C" __global__ void prelu_backward_x_f32(const float *__restrict__ x, const float *__restrict__ alpha,
                                                int alphaCount, const float *__restrict__ gy, float *gx,
                                                i64 total, int c, int hw) {
    GRID_STRIDE(i, total) {
        float a = alpha[alphaCount == 1 ? 0 : (int)((i / hw) % c)];
        gx[i] += x[i] > 0.f ? gy[i] : a * gy[i];
    }
}

// One thread per element of y = pixel_shuffle(x); backward adds gy into gx along the same bijection, so no
// two threads touch the same gx element. x is [n, c, h, w], y [n, c/(r*r), h*r, w*r].
extern "C" __global__ void pixel_shuffle_f32(const float *__restrict__ src, float *dst, int backward, int n, int c,
                                             int h, int w, int r) {
    const int co = c / (r * r), hr = h * r, wr = w * r;
    const i64 total = (i64)n * c * h * w;
    GRID_STRIDE(yi, total) {
        i64 t = yi;
        const int ow = (int)(t % wr); t /= wr;
        const int oh = (int)(t % hr); t /= hr;
        const int k = (int)(t % co);
        const i64 nn = t / co;
        const int hi = oh / r, i = oh - hi * r, wi = ow / r, j = ow - wi * r;
        const i64 xi = ((nn * c + (i64)k * r * r + i * r + j) * h + hi) * w + wi;
        if (backward) dst[xi] += src[yi]; else dst[yi] = src[xi];
    }
}

extern "C" __global__ void copy_channels_f32(const float *__restrict__ src, int srcC, int srcOff, float *dst,
                                             int dstC, int dstOff, int count, int n, int hw, int accumulate) {
    const i64 total = (i64)n * count * hw;
    GRID_STRIDE(i, total) {
        const int j = (int)(i % hw);
        const i64 t = i / hw;
        const int ch = (int)(t % count);
        const i64 nn = t / count;
        const float v = src[(nn * srcC + srcOff + ch) * hw + j];
        float *d = dst + (nn * dstC + dstOff + ch) * hw + j;
        if (accumulate) *d += v; else *d = v;
    }
}

// Index (within one H x W plane) of the window's maximum: padding is -inf, ties keep the first position in
// row-major window order and NaN wins, as PyTorch's CPU kernel. Forward and backward share it, so the
// backward finds exactly the element the forward chose.
__device__ __forceinline__ int window_argmax(const float *plane, int H, int W, int hs, int ws, int k,
                                             float *best_out) {
    const int h0 = max(hs, 0), w0 = max(ws, 0), h1 = min(hs + k, H), w1 = min(ws + k, W);
    int best_i = h0 * W + w0;
    float best = -INFINITY;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) {
            const float v = plane[ih * W + iw];
            if (v > best || isnan(v)) { best = v; best_i = ih * W + iw; }
        }
    *best_out = best;
    return best_i;
}

extern "C" __global__ void maxpool_f32(const float *__restrict__ x, float *y, int planes, int H, int W, int OH,
                                       int OW, int k, int s, int p) {
    const i64 total = (i64)planes * OH * OW;
    GRID_STRIDE(i, total) {
        const int ow = (int)(i % OW), oh = (int)((i / OW) % OH);
        const i64 pl = i / ((i64)OH * OW);
        float best;
        window_argmax(x + pl * H * W, H, W, oh * s - p, ow * s - p, k, &best);
        y[i] = best;
    }
}

// Gather form, one thread per input element: visit every window that contains it (in a fixed order) and add
// gy where this element is the window's argmax. Deterministic, and no atomics.
extern "C" __global__ void maxpool_backward_f32(const float *__restrict__ x, const float *__restrict__ gy,
                                                float *gx, int planes, int H, int W, int OH, int OW, int k, int s,
                                                int p) {
    const i64 total = (i64)planes * H * W;
    GRID_STRIDE(i, total) {
        const int iw = (int)(i % W), ih = (int)((i / W) % H);
        const i64 pl = i / ((i64)H * W);
        const float *plane = x + pl * H * W;
        const float *gplane = gy + pl * OH * OW;
        // windows oh with oh*s - p <= ih < oh*s - p + k
        const int oh0 = max(0, (ih + p - k + s) / s), oh1 = min(OH - 1, (ih + p) / s);
        const int ow0 = max(0, (iw + p - k + s) / s), ow1 = min(OW - 1, (iw + p) / s);
        const int self = ih * W + iw;
        float sum = 0.f;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++) {
                float best;
                if (window_argmax(plane, H, W, oh * s - p, ow * s - p, k, &best) == self) sum += gplane[oh * OW + ow];
            }
        gx[i] += sum;
    }
}

// One Adam step for every parameter in one launch. table (device, 64-bit words) holds, for T tensors:
// params[T], grads[T], m[T], v[T] as addresses, sizes[T], and blockStart[T + 1], the first block of each
// tensor (each block updates ADAM_CHUNK consecutive elements of one tensor). PyTorch's torch.optim.Adam:
// g = grad + wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= stepSize * m / (sqrt(v) / sqrtBc2 + eps)
// with stepSize = lr / bc1.
#define ADAM_CHUNK 4096
extern "C" __global__ void adam_multi_f32(const i64 *__restrict__ table, int T, float stepSize, float beta1,
                                          float beta2, float eps, float weightDecay, float sqrtBc2) {
    const i64 *blockStart = table + 5 * (i64)T;
    const i64 b = blockIdx.x;
    int lo = 0, hi = T - 1; // last t with blockStart[t] <= b
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (blockStart[mid] <= b) lo = mid; else hi = mid - 1;
    }
    const int t = lo;
    float *p = (float *)table[t];
    const float *g = (const float *)table[T + t];
    float *m = (float *)table[2 * (i64)T + t];
    float *v = (float *)table[3 * (i64)T + t];
    const i64 size = table[4 * (i64)T + t];
    const i64 begin = (b - blockStart[t]) * ADAM_CHUNK;
    const i64 end = min(size, begin + ADAM_CHUNK);
    for (i64 i = begin + threadIdx.x; i < end; i += blockDim.x) {
        const float pi = p[i];
        const float gi = g[i] + weightDecay * pi;
        const float mi = beta1 * m[i] + (1.f - beta1) * gi;
        const float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - stepSize * mi / (sqrtf(vi) / sqrtBc2 + eps);
    }
}
