#!/usr/bin/env bash
# Builds the jars and packs everything the GPU verification needs into .device/ (with a trimmed Java runtime,
# since the GPU machine has no Java), using ../shared/tools/device-pack. Then, with the device tool:
#   carry [".device"], command: bash tools/gpu-verify.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -DskipTests install
stage=target/device-stage
rm -rf "$stage" && mkdir -p "$stage"
cp srgan/target/srgan.jar "$stage/"
cp engine/target/engine-*-tests.jar "$stage/engine-tests.jar"
jar cf "$stage/kernels-tests.jar" -C kernels/target/test-classes .
# The JUnit console runs the parity suite there; the natives jars feed tools/cuda-compat.sh.
for artifact in org.junit.platform:junit-platform-console-standalone:1.14.1 \
                org.jcuda:jcublas-natives:12.6.0:jar:linux-x86_64 org.jcuda:jcudnn-natives:11.7.0:jar:linux-x86_64; do
  mvn -B -q dependency:copy -Dartifact="$artifact" -DoutputDirectory="$stage"
done
mv "$stage"/junit-platform-console-standalone-*.jar "$stage/junit-console.jar"
shared=${SHARED:-$root/../shared}
cp "$shared/bench/torch_srgan_gpu.py" "$shared/bench/torch_srresnet_bench.py" "$stage/"
"$shared/tools/device-pack" "$stage"/*
