// Replays the kernel launches that OwnConv queued for a list of convolutions (EmulatedKernelsTest writes them,
// launch by launch, with their grids, shared-memory sizes and arguments) on the CPU emulator, and compares each
// pass's output with a double-precision reference. So the Java launch arithmetic (grids, splits, strides,
// shared-memory sizes) and the kernels are checked together, without a GPU.
//
// Input, one record per line:
//   case NAME PASS N C H W OC KH KW S P      PASS is fwd, bwd-data or bwd-weight
//   role NAME ID SIZE                        the pass's operands: x w b y, w gy gx, or x gy gw (ID 0: absent)
//   launch KERNEL GX GY GZ BX BY BZ SHARED COUNT ARGS...   as launch_records.h reads it
//   end
// Buffers that are not roles (scratch) start as NaN, so a kernel that reads what nobody wrote shows up as a
// mismatch; the dynamic shared memory past a launch's SHARED bytes is filled with a sentinel and checked after.
#include "cpu_cuda.h"
#include "gemm.cu"
#include "conv.cu"
#include "launch_records.h"
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

static const std::map<std::string, Runner> kernels = {
    K(conv_fwd_64), K(conv_fwd_128), K(conv_fwd_128_r128),
    K(conv_bwd_data_64), K(conv_bwd_data_128), K(conv_bwd_data_128_r128),
    K(conv_bwd_data_parity_64), K(conv_bwd_data_parity_128),
    K(conv_bwd_data_parity_128_r128),
    K(conv_bwd_weight_64), K(conv_bwd_weight_128), K(conv_bwd_weight_128_r128),
    K(conv_fwd_split_reduce), K(conv_bwd_data_split_reduce), K(conv_bwd_data_parity_split_reduce),
    K(conv_bwd_weight_split_reduce),
    K(conv_few_out_1), K(conv_few_out_2), K(conv_few_out_3), K(conv_few_out_4), K(conv_few_out_reduce),
    K(conv_wgrad_few_out_1), K(conv_wgrad_few_out_2), K(conv_wgrad_few_out_3), K(conv_wgrad_few_out_4),
    K(conv_wgrad_few_out_reduce),
};

static constexpr size_t SMEM_FLOATS = sizeof(fo_smem) / sizeof(float);
static constexpr uint32_t SENTINEL = 0x7fc0beefu; // a NaN

struct Geo {
    int Nb, IC, IH, IW, OC, KH, KW, S, P;
    int OH() const { return (IH + 2 * P - KH) / S + 1; }
    int OW() const { return (IW + 2 * P - KW) / S + 1; }
    size_t xi(int n, int c, int h, int w) const { return ((size_t)(n * IC + c) * IH + h) * IW + w; }
    size_t yi(int n, int c, int h, int w) const { return ((size_t)(n * OC + c) * OH() + h) * OW() + w; }
    size_t wi(int o, int c, int h, int w) const { return ((size_t)(o * IC + c) * KH + h) * KW + w; }
};

// The pass's expected output in double: y = conv(x, w) + b; gx + conv_transpose(gy, w); gw + correlate(x, gy).
static std::vector<double> reference(const std::string &pass, const Geo &g, std::map<std::string, long long> &roles) {
    auto buf = [&](const char *r) -> const std::vector<float> * {
        long long id = roles.count(r) ? roles[r] : 0;
        return id ? &buffers.at(id) : nullptr;
    };
    const int OH = g.OH(), OW = g.OW();
    if (pass == "fwd") {
        const auto &x = *buf("x"), &w = *buf("w");
        const auto *b = buf("b");
        std::vector<double> y((size_t)g.Nb * g.OC * OH * OW);
        for (int n = 0; n < g.Nb; n++)
            for (int o = 0; o < g.OC; o++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++) {
                        double s = b ? (*b)[o] : 0;
                        for (int c = 0; c < g.IC; c++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++) {
                                    int ih = oh * g.S - g.P + kh, iw = ow * g.S - g.P + kw;
                                    if (ih >= 0 && iw >= 0 && ih < g.IH && iw < g.IW)
                                        s += (double)x[g.xi(n, c, ih, iw)] * w[g.wi(o, c, kh, kw)];
                                }
                        y[g.yi(n, o, oh, ow)] = s;
                    }
        return y;
    }
    const auto &gy = *buf("gy");
    const bool data = pass == "bwd-data";
    const auto &out = data ? *buf("gx") : *buf("gw");
    const auto &w = data ? *buf("w") : out; // read only by the data pass
    const auto &x = data ? out : *buf("x"); // read only by the weight pass
    std::vector<double> r(out.begin(), out.end());
    for (int n = 0; n < g.Nb; n++)
        for (int o = 0; o < g.OC; o++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double v = gy[g.yi(n, o, oh, ow)];
                    for (int c = 0; c < g.IC; c++)
                        for (int kh = 0; kh < g.KH; kh++)
                            for (int kw = 0; kw < g.KW; kw++) {
                                int ih = oh * g.S - g.P + kh, iw = ow * g.S - g.P + kw;
                                if (ih < 0 || iw < 0 || ih >= g.IH || iw >= g.IW) continue;
                                if (data) r[g.xi(n, c, ih, iw)] += v * w[g.wi(o, c, kh, kw)];
                                else r[g.wi(o, c, kh, kw)] += v * x[g.xi(n, c, ih, iw)];
                            }
                }
    return r;
}

static std::mt19937 rng(5);
static void randomFill(std::vector<float> &v, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    for (auto &x : v) x = d(rng);
}

int main(int argc, char **argv) {
    setvbuf(stdout, nullptr, _IONBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: replay LAUNCHES\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    std::string line, name, pass;
    Geo g{};
    std::map<std::string, long long> roles;
    std::vector<double> want;
    int cases = 0, failures = 0, launches = 0;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string rec;
        ls >> rec;
        if (rec == "case") {
            ls >> name >> pass >> g.Nb >> g.IC >> g.IH >> g.IW >> g.OC >> g.KH >> g.KW >> g.S >> g.P;
            roles.clear();
            buffers.clear();
        } else if (rec == "role") {
            std::string r;
            long long id, size;
            ls >> r >> id >> size;
            roles[r] = id;
            if (id == 0) continue;
            auto &b = buffers[id];
            b.resize(size);
            bool garbageOut = pass == "fwd" && r == "y"; // the forward must overwrite it
            randomFill(b, garbageOut ? 5.f : -1.f, garbageOut ? 6.f : 1.f);
        } else if (rec == "launch") {
            if (want.empty()) want = reference(pass, g, roles);
            Launch l = readLaunch(ls, true);
            const std::string &kernel = l.kernel;
            const long long shared = l.shared;
            auto k = kernels.find(kernel);
            if (k == kernels.end()) fatal = "no kernel " + kernel + " in the replay table";
            if (shared < 0 || (size_t)shared > 48 * 1024) fatal = "dynamic shared memory of " + std::to_string(shared);
            if (fatal.empty()) {
                size_t used = (size_t)shared / sizeof(float);
                for (size_t i = used; i < SMEM_FLOATS; i++) std::memcpy(&fo_smem[i], &SENTINEL, 4);
                k->second(l.grid, l.block, l.args);
                for (size_t i = used; i < SMEM_FLOATS && fatal.empty(); i++)
                    if (std::memcmp(&fo_smem[i], &SENTINEL, 4) != 0)
                        fatal = "wrote past its " + std::to_string(shared) + " bytes of dynamic shared memory";
            }
            launches++;
            if (!fatal.empty()) {
                printf("FAIL %s: launch %s: %s\n", name.c_str(), kernel.c_str(), fatal.c_str());
                failures++;
                fatal.clear();
            }
        } else if (rec == "end") {
            cases++;
            if (want.empty()) want = reference(pass, g, roles);
            const char *outRole = pass == "fwd" ? "y" : pass == "bwd-data" ? "gx" : "gw";
            const auto &got = buffers.at(roles[outRole]);
            long long terms = pass == "fwd" ? (long long)g.IC * g.KH * g.KW
                              : pass == "bwd-data" ? (long long)g.OC * g.KH * g.KW
                                                   : (long long)g.Nb * g.OH() * g.OW();
            double atol = 2e-6 * std::sqrt((double)terms) + 1e-5, rtol = 1e-5;
            int bad = 0;
            for (size_t i = 0; i < got.size(); i++) {
                double e = std::fabs(got[i] - want[i]);
                if (!(e <= atol + rtol * std::fabs(want[i]))) {
                    if (bad < 3) printf("  %s [%zu] got %.7g want %.7g\n", name.c_str(), i, got[i], want[i]);
                    bad++;
                }
            }
            printf("%s %s (%d of %zu off)\n", bad ? "FAIL" : "ok  ", name.c_str(), bad, got.size());
            if (bad) failures++;
            want.clear();
        }
    }
    printf("%d cases, %d launches, %d failures\n", cases, launches, failures);
    return failures == 0 && cases > 0 ? 0 : 1;
}
