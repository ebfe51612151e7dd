#!/usr/bin/env bash
# Performance check of the CUDA backend on the GPU machine, in about two minutes. Prepare with tools/gpu-pack.sh
# (it packs .device/: srgan.jar, engine-tests.jar, kernels-tests.jar, junit-console.jar, the natives jars and the
# PyTorch yardstick), then through the device tool, with carry [".device"]:
#     bash tools/gpu-perf.sh
# Autotuning (and with it our direct and parity-class conv kernels) is off by default until this script's
# smoke section passes on a GPU; every section here turns it on with -Dsrgan.cuda.autotune=true.
# Sections, each time-boxed (SECTIONS=compat,smoke,timings,bench,profile,torch picks some):
#   compat   tools/cuda-compat.sh (cuBLAS 13 / cuDNN 9 behind the JCuda bindings), and whether cuDNN 9 exports the
#            cudnnFind...AlgorithmEx functions the autotuner calls (if not: -Dsrgan.cuda.cudnn.find=false);
#   smoke    CudaKernelSmokeTest: every one of our convolution kernels, and the autotuned backend, against the
#            reference backend, on the library route;
#   timings  srgan.cuda.KernelTimings: each convolution pass of SRGAN's shapes on each of our kernels, on
#            cuDNN's heuristic choice and on cuDNN's benchmarked best, with the ratios and a cross-check;
#   bench    the SRResNet step, the SRGAN step and inference, autotuned, on both routes (own kernels only, and
#            libraries + own kernels), printing every autotuning decision to $OUT/bench-*.txt;
#   profile  the SRGAN step with -Dsrgan.cuda.profile=true: device time per op, host queueing time, launches;
#   torch    PyTorch's fp32 yardstick on the same GPU, for the ratios.
set -uo pipefail
cd "$(dirname "$0")/.."
D=${DEVICE_DIR:-.device}
OUT=${OUT:-/tmp/gpu-perf-out}; mkdir -p "$OUT"
if [ -z "${JAVA_HOME:-}" ] && [ -f "$D/run.sh" ]; then exec bash "$D/run.sh" bash "$0" "$@"; fi
CP=${CP:-$D/srgan.jar:$D/engine-tests.jar:$D/kernels-tests.jar}
SECTIONS=${SECTIONS:-compat,smoke,timings,bench,profile,torch}
want() { [[ ",$SECTIONS," == *",$1,"* ]]; }
sec() { echo; echo "=== $* [${SECONDS}s]"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader || true
F=(-Dsrgan.cuda.autotune=true)
if want compat; then
  sec "compatibility route"
  JCUDA_JARS=$D timeout 60 bash tools/cuda-compat.sh /tmp/srgan-cuda-compat > "$OUT/compat.log" 2>&1
  echo "cuda-compat exit $?"; grep -E "imports|FATAL" "$OUT/compat.log" | head -4
  export LD_LIBRARY_PATH="/tmp/srgan-cuda-compat${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  F=(-Djava.library.path=/tmp/srgan-cuda-compat)
  find=$(python3 - <<'PY'
import glob, os
libs = sorted(set(os.path.realpath(p) for p in glob.glob('/tmp/srgan-cuda-compat/libcudnn.so*')))
names = [b'cudnnFindConvolution%sAlgorithmEx\0' % k for k in (b'Forward', b'BackwardData', b'BackwardFilter')]
print('true' if libs and all(any(n in open(l, 'rb').read() for l in libs) for n in names) else 'false')
PY
)
  echo "cuDNN exports cudnnFind...AlgorithmEx: $find"
  F+=(-Dsrgan.cuda.cudnn.find=$find)
fi
if want smoke; then
  sec "smoke: our kernels and the autotuned backend against the reference"
  timeout 60 java "${F[@]}" -jar $D/junit-console.jar execute -cp "$CP" --select-class srgan.cuda.CudaKernelSmokeTest \
    --disable-banner --details=tree --reports-dir "$OUT/junit-smoke" > "$OUT/smoke.log" 2>&1; echo "junit exit $?"
  grep -E "✘|tests (successful|failed)|mismatches" "$OUT/smoke.log" | head -30
fi
if want timings; then
  sec "kernel timings: ours vs cuDNN heuristic vs cuDNN benchmarked"
  timeout 60 java "${F[@]}" -cp "$CP" srgan.cuda.KernelTimings 10 > "$OUT/timings.txt" 2>&1; echo "exit $?"
  cut -c1-250 "$OUT/timings.txt"
fi
if want bench; then
  sec "steps: own kernels only (autotuned among them)"
  timeout 60 java -Dsrgan.cuda.libs=none -Dsrgan.cuda.autotune=true -Dsrgan.cuda.autotune.verbose=true -cp "$CP" srgan.app.Main bench \
    --device cuda --what mse,gan,infer --reps 10 > "$OUT/bench-own.txt" 2>&1; echo "exit $?"
  grep -v "autotune:" "$OUT/bench-own.txt" | tail -4
  sec "steps: libraries and own kernels, autotuned"
  timeout 60 java "${F[@]}" -Dsrgan.cuda.autotune.verbose=true -cp "$CP" srgan.app.Main bench --device cuda \
    --what mse,gan,infer --reps 10 > "$OUT/bench-libs.txt" 2>&1; echo "exit $?"
  grep -v "autotune:" "$OUT/bench-libs.txt" | tail -4
  echo "own kernels chosen over cuDNN: $(grep -cE -- '-> (gemm|parity|few-out)' "$OUT/bench-libs.txt") of $(grep -c 'autotune: conv' "$OUT/bench-libs.txt") conv passes"
fi
if want profile; then
  sec "profile of the SRGAN step (libraries route)"
  timeout 50 java "${F[@]}" -Dsrgan.cuda.profile=true -cp "$CP" srgan.app.Main bench --device cuda --what gan \
    --reps 4 > "$OUT/profile.txt" 2>&1; echo "exit $?"
  grep -E "profile: step" "$OUT/profile.txt" | tail -3
  grep -A40 "steps counted" "$OUT/profile.txt" | cut -c1-160
fi
if want torch; then
  sec "PyTorch fp32 on the same GPU"
  timeout 90 python3 $D/torch_srgan_gpu.py --reps 10 --modes fp32 2>&1 | tee "$OUT/torch.txt" | tail -4
fi
sec done
