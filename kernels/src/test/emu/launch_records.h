// What replay.cpp and run_launches.cpp share: the buffers the recorded launches name, the "launch" record's
// parser, and the table entry that turns a record's typed arguments into a call of the kernel on the emulator.
//
//   launch KERNEL GX GY GZ BX BY BZ SHARED COUNT ARGS...   ARGS: pID:SIZE (buffer, p0 null), iV, lV, fV
// fV is a float as strtod reads it; the Java side writes hex floats (Float.toHexString), which are exact.
#pragma once
#include "cpu_cuda.h"
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

struct Arg {
    char kind; // p, i, l, f
    long long id = 0, size = 0, i = 0;
    float f = 0;
};

static std::map<long long, std::vector<float>> buffers;
// Why the record at hand failed; set anywhere, reported and cleared by the reader's loop.
static std::string fatal;

template <class T> static T as(const Arg &a) {
    if constexpr (std::is_pointer_v<T>) {
        if (a.kind != 'p') fatal = "argument is not a pointer";
        if (a.kind != 'p' || a.id == 0) return nullptr;
        return (T)buffers.at(a.id).data(); // 16-byte aligned by operator new: fine for double tables
    } else if constexpr (std::is_same_v<T, float>) {
        if (a.kind != 'f') fatal = "argument is not a float";
        return a.f;
    } else if constexpr (std::is_same_v<T, long long>) {
        if (a.kind != 'l') fatal = "argument is not a long";
        return a.i;
    } else {
        static_assert(std::is_same_v<T, int>, "int, long long, float or a pointer");
        if (a.kind != 'i') fatal = "argument is not an int";
        return (int)a.i;
    }
}

using Runner = std::function<void(dim3, dim3, const std::vector<Arg> &)>;

template <class... P, size_t... I>
static void call(void (*f)(P...), dim3 g, dim3 b, const std::vector<Arg> &a, std::index_sequence<I...>) {
    auto args = std::make_tuple(as<P>(a[I])...); // converted (and type-checked) before anything runs
    if (!fatal.empty()) return;
    launch(f, g, b, std::get<I>(args)...);
}

template <class... P> static Runner bind(void (*f)(P...)) {
    return [f](dim3 g, dim3 b, const std::vector<Arg> &a) {
        if (a.size() != sizeof...(P)) {
            fatal = "kernel takes " + std::to_string(sizeof...(P)) + " arguments, got " + std::to_string(a.size());
            return;
        }
        call(f, g, b, a, std::index_sequence_for<P...>{});
    };
}

// An entry of a reader's kernel table: K(conv_fwd_64) binds the kernel under its own name.
#define K(name) {#name, bind(name)}

struct Launch {
    std::string kernel;
    dim3 grid, block;
    long long shared;
    std::vector<Arg> args;
};

// Reads a launch record's fields after the word "launch". A buffer argument the reader has not seen is scratch
// (replay.cpp: allocated on first use, all NaN) or an error (run_launches.cpp: every buffer is declared first).
static Launch readLaunch(std::istringstream &ls, bool unknownBufferIsScratch) {
    Launch l;
    int count;
    ls >> l.kernel >> l.grid.x >> l.grid.y >> l.grid.z >> l.block.x >> l.block.y >> l.block.z >> l.shared >> count;
    l.args.resize(count);
    for (auto &a : l.args) {
        std::string t;
        ls >> t;
        a.kind = t[0];
        if (a.kind == 'p') {
            size_t colon = t.find(':');
            a.id = std::stoll(t.substr(1, colon - 1));
            a.size = colon == std::string::npos ? 0 : std::stoll(t.substr(colon + 1));
            if (a.id != 0 && !buffers.count(a.id)) {
                if (unknownBufferIsScratch) buffers[a.id].assign(a.size, NAN);
                else fatal = "unknown buffer " + std::to_string(a.id);
            } else if (a.id != 0 && (long long)buffers[a.id].size() < a.size) {
                fatal = "buffer size mismatch";
            }
        } else if (a.kind == 'f') {
            a.f = (float)std::strtod(t.c_str() + 1, nullptr);
        } else {
            a.i = std::stoll(t.substr(1));
        }
    }
    return l;
}
