// Runs recorded kernel launches on the CPU emulator and prints the buffers asked for, bit for bit, so a Java test
// can hold the results to its own reference (EmulatedBicubicTest, EmulatedElementwiseTest). Unlike replay.cpp
// it knows nothing about the kernels' meaning: the Java side writes the inputs, queues the launches through the
// real Java wrapper, and judges.
//
// Input, one record per line (words are 32-bit, in hex):
//   buffer ID FLOATS                                      a buffer of FLOATS 32-bit words, every one a NaN
//   words ID OFFSET COUNT W0 W1 ...                       sets words OFFSET.. of buffer ID
//   launch KERNEL GX GY GZ BX BY BZ SHARED COUNT ARGS...  as launch_records.h reads it
//   dump ID                                               prints "dump ID COUNT W0 W1 ..."
// A buffer starts as NaNs, so a kernel that reads what nobody wrote shows up in the results.
#include "cpu_cuda.h"
#include "bicubic.cu"
#include "elementwise.cu"
#include "launch_records.h"
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

static const std::map<std::string, Runner> kernels = {K(bicubic_rows_f32), K(bicubic_cols_f32), K(unary_f32),
                                                      K(unary_backward_f32)};

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    int launches = 0, failures = 0;
    while (std::getline(std::cin, line)) {
        std::istringstream ls(line);
        std::string rec;
        ls >> rec;
        if (rec == "buffer") {
            long long id, size;
            ls >> id >> size;
            buffers[id].assign(size, NAN);
        } else if (rec == "words") {
            long long id, offset, count;
            ls >> id >> offset >> count;
            auto &b = buffers.at(id);
            if (offset < 0 || offset + count > (long long)b.size()) fatal = "words past the end of buffer " + std::to_string(id);
            for (long long k = 0; k < count && fatal.empty(); k++) {
                std::string hex;
                ls >> hex;
                uint32_t w = (uint32_t)std::stoul(hex, nullptr, 16);
                std::memcpy(&b[offset + k], &w, 4);
            }
        } else if (rec == "launch") {
            Launch l = readLaunch(ls, false);
            const std::string &kernel = l.kernel;
            auto k = kernels.find(kernel);
            if (k == kernels.end()) fatal = "no kernel " + kernel + " in the table";
            if (l.shared != 0) fatal = "these kernels take no dynamic shared memory";
            if (fatal.empty()) k->second(l.grid, l.block, l.args);
            launches++;
        } else if (rec == "dump") {
            long long id;
            ls >> id;
            const auto &b = buffers.at(id);
            std::cout << "dump " << id << ' ' << b.size();
            char hex[10];
            for (float f : b) {
                uint32_t w;
                std::memcpy(&w, &f, 4);
                snprintf(hex, sizeof hex, " %08x", w);
                std::cout << hex;
            }
            std::cout << '\n';
        } else if (!rec.empty()) {
            fatal = "unknown record " + rec;
        }
        if (!fatal.empty()) {
            std::cout << "FAIL " << line.substr(0, 80) << ": " << fatal << '\n';
            failures++;
            fatal.clear();
        }
    }
    std::cout << launches << " launches, " << failures << " failures\n";
    return failures == 0 ? 0 : 1;
}
