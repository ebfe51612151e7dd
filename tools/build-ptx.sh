#!/usr/bin/env bash
# Compiles the CUDA C kernels of the kernels module to PTX and records the hashes of their sources.
#
# The PTX is committed, so a machine without nvcc still builds a working jar; PtxUpToDateTest fails when a
# .cu/.cuh source no longer matches ptx/MANIFEST, i.e. when this script has to be run again.
# compute_75 is the oldest virtual architecture nvcc 13 accepts; the driver JIT-compiles its PTX for the GPU at
# hand (Turing and every later one, sm_90 included). nvcc 13 writes PTX ISA 9.0, which needs driver R580+.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/kernels/src/main/cuda"
out="$root/kernels/src/main/resources/srgan/cuda/ptx"
arch="${PTX_ARCH:-compute_75}"

command -v nvcc >/dev/null || { echo "build-ptx.sh: nvcc not found on PATH" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.ptx

for cu in "$src"/*.cu; do
    name="$(basename "$cu" .cu)"
    echo "nvcc $name.cu -> $name.ptx"
    nvcc -ptx -arch="$arch" -O3 -std=c++17 -I"$src" "$cu" -o "$out/$name.ptx"
done

# One line per source: "<sha-256>  <file name>", sorted by name (the format sha256sum prints).
(cd "$src" && LC_ALL=C ls *.cu *.cuh | LC_ALL=C sort | xargs sha256sum) > "$out/MANIFEST"
echo "wrote $out/MANIFEST ($(wc -l < "$out/MANIFEST") sources) with $(nvcc --version | tail -1)"
