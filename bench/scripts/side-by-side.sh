#!/usr/bin/env bash
# Ours against PyTorch (Debian's python3-torch, CPU, oneDNN), back to back on the same cores, one process per
# workload so each reports its own peak RSS. Rounds alternate ours / PyTorch, since the machine is shared and
# its speed drifts; the table gives each side's median over rounds and the ratio PyTorch / ours (above 1: we
# are faster).
#
#   bench/scripts/side-by-side.sh [srgan.jar] [rounds] [threads]
#
# Needs `apt-get install -y python3-torch` and ../shared/bench/torch_srresnet_bench.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${1:-$here/../../srgan/target/srgan.jar}"
rounds="${2:-3}"
threads="${3:-2}"
py="env PATH=$(getconf PATH) python3"
out="$(mktemp -d)"
for round in $(seq 1 "$rounds"); do
  for w in mse gan-novgg infer; do
    reps=10; [ "$w" = gan-novgg ] && reps=5
    java -Dsrgan.threads="$threads" -jar "$jar" bench --device cpu --what "$w" --reps "$reps" --warmup 5 \
      2>/dev/null | tee -a "$out/ours-$w.txt"
    $py "$here/torch_workload.py" "$w" "$threads" "$reps" | tee -a "$out/torch-$w.txt"
  done
done
echo
printf '%-18s %12s %12s %8s %14s %14s\n' workload "ours ms" "torch ms" ratio "ours RSS MiB" "torch RSS MiB"
for w in mse gan-novgg infer; do
  ours=$(grep -h ': median' "$out/ours-$w.txt" | sed 's/.*median \([0-9.]*\) ms.*/\1/' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  torch=$(grep -h 'median' "$out/torch-$w.txt" | sed 's/.*median \([0-9.]*\) ms.*/\1/' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  orss=$(grep -h 'peak RSS' "$out/ours-$w.txt" | sed 's/.*peak RSS \([0-9]*\) MiB.*/\1/' | sort -n | tail -1)
  trss=$(grep -h 'peak RSS' "$out/torch-$w.txt" | sed 's/.*peak RSS \([0-9]*\) MiB.*/\1/' | sort -n | tail -1)
  printf '%-18s %12.0f %12.0f %8.2f %14s %14s\n' "$w" "$ours" "$torch" "$(echo "$torch / $ours" | bc -l)" "$orss" "$trss"
done
