#!/usr/bin/env bash
# The whole GPU verification, on the GPU machine, in well under 10 minutes. Prepare with tools/gpu-pack.sh,
# then run through the device tool with carry [".device"]:  bash tools/gpu-verify.sh
# Sections (each time-boxed, so one hang cannot eat the rest):
#   1. environment: GPU, driver, which CUDA libraries exist (libs.txt);
#   2. library detection as the backend reports it (srgan devices);
#   3. the CUDA parity suite on our own kernels (-Dsrgan.cuda.libs=none);
#   4. the compatibility route (tools/cuda-compat.sh): cuBLAS 13 / cuDNN 9 behind the JCuda bindings, and the
#      parity suite again through it when it links;
#   5. timings: kernels and the SRGAN step on our own kernels and on the best route that loaded, then
#      PyTorch's yardstick (../shared/bench/torch_srgan_gpu.py) on the same GPU, fp32 and TF32.
# Results go to stdout and, as JUnit XML and logs, to $OUT (the device tool brings that folder back).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
D=.device
OUT=${OUT:-/tmp/gpu-verify-out}
mkdir -p "$OUT"
if [ -z "${JAVA_HOME:-}" ] && [ -f "$D/run.sh" ]; then exec bash "$D/run.sh" bash "$0" "$@"; fi
CP=$D/srgan.jar:$D/engine-tests.jar:$D/kernels-tests.jar
JUNIT=$D/junit-console.jar
REPS=${REPS:-5}
section() { echo; echo "=== $* [$(date +%T), ${SECONDS}s]"; }
# The jlinked runtime has no zip file system, so JUnit cannot scan packages inside jars: name the classes.
TEST_CLASSES=(CudaParityTest CudaKernelSmokeTest CudaLibrariesTest PtxUpToDateTest ProviderWithoutGpuTest
              KernelLaunchArgumentsTest BroadcastPlanTest CudaBicubicTest CudaBicubicHostTest)
junit() { # junit NAME [JVM flags...]: the CUDA test classes, reports under $OUT/junit-NAME
  local name=$1; shift
  local selectors=()
  for c in "${TEST_CLASSES[@]}"; do selectors+=(--select-class "srgan.cuda.$c"); done
  timeout 120 java "$@" -jar "$JUNIT" execute -cp "$CP" "${selectors[@]}" --disable-banner \
    --details=tree --reports-dir "$OUT/junit-$name" > "$OUT/junit-$name.log" 2>&1
  local rc=$?
  grep -E "✘|tests (successful|failed|skipped|aborted)|containers failed" "$OUT/junit-$name.log" | head -80
  echo "junit $name exit $rc"
}

section environment
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true
timeout 30 find / \( -path /proc -o -path /sys \) -prune -o -name 'libcu*.so*' -print 2>/dev/null | sort > "$OUT/libs.txt"
grep -E 'libcuda\.so|libcublas\.so|libcudnn\.so|libcudart\.so' "$OUT/libs.txt" | head -20
java -version 2>&1 | head -1

section "library detection (default route)"
timeout 60 java -cp "$CP" srgan.app.Main devices --device cuda 2>&1 | tail -5

section "parity: our own kernels only"
junit own -Dsrgan.cuda.libs=none

section "compatibility route: CUDA 13 libraries behind JCuda 12.6 / JCudnn 11.7"
COMPAT=/tmp/srgan-cuda-compat
compat_ok=0
if JCUDA_JARS=$D timeout 60 bash tools/cuda-compat.sh "$COMPAT" > "$OUT/compat.log" 2>&1; then compat_ok=1; fi
tail -15 "$OUT/compat.log"
COMPAT_FLAGS=()
if [ $compat_ok = 1 ]; then
  export LD_LIBRARY_PATH="$COMPAT${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  COMPAT_FLAGS=(-Djava.library.path="$COMPAT")
  timeout 60 java "${COMPAT_FLAGS[@]}" -cp "$CP" srgan.app.Main devices --device cuda 2>&1 | tail -3
  section "parity: compatibility route"
  junit compat "${COMPAT_FLAGS[@]}" -Dsrgan.test.requireCudaLibs=cublas,cudnn
fi

[ "${PARITY_ONLY:-0}" = 1 ] && { section done; exit 0; }

section "timings: our own kernels"
timeout 120 java -Dsrgan.cuda.libs=none -cp "$CP" srgan.app.Main bench --device cuda --reps "$REPS" 2>&1 | tee "$OUT/bench-own.txt" | tail -40
if [ $compat_ok = 1 ]; then
  section "timings: cuDNN/cuBLAS through the compatibility route (fp32)"
  timeout 120 java "${COMPAT_FLAGS[@]}" -cp "$CP" srgan.app.Main bench --device cuda --reps "$REPS" 2>&1 | tee "$OUT/bench-libs.txt" | tail -40
fi

section "PyTorch yardstick on the same GPU"
timeout 120 python3 $D/torch_srgan_gpu.py --reps "$REPS" --modes fp32,tf32 2>&1 | tee "$OUT/torch.txt" | tail -10
section done
