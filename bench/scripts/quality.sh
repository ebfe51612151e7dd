#!/usr/bin/env bash
# Quality at equal wall-clock: trains the full SRResNet on ../shared/data/BSD68 for MINUTES of training time and
# scores Set5 (PSNR-Y, the reference convention) every EVAL_EVERY minutes, back to back on the same cores:
#   1. PyTorch (Debian's python3-torch, CPU): ../shared/bench/torch_srresnet_quality.py MINUTES EVAL_EVERY
#   2. ours, --config srgan-paper (the paper's recipe, exactly as PyTorch's script trains it)
#   3. ours, --config srgan-fast  (the same network plus a global bicubic skip)
# Both sides count training time only (updates and batch preparation), not evaluation. The table at the end
# gives Set5 PSNR-Y against training minutes for the three.
#
#   bench/scripts/quality.sh [srgan.jar] [minutes] [eval_every] [threads]
#
# Needs `apt-get install -y python3-torch python3-scipy python3-pil` and ../shared/{bench,data}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="$(cd "$here/../../../shared" && pwd)"
jar="${1:-$here/../../srgan/target/srgan.jar}"
minutes="${2:-30}"
every="${3:-5}"
threads="${4:-2}"
out="${QUALITY_OUT:-$here/../../runs/quality-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
echo "results in $out"

env PATH="$(getconf PATH)" python3 "$shared/bench/torch_srresnet_quality.py" "$minutes" "$every" \
  | tee "$out/torch.txt"

for config in srgan-paper srgan-fast; do
  java -jar "$jar" train --config "$config" --data "$shared/data/BSD68" --val "$shared/data/Set5" \
    --threads "$threads" --time "${minutes}m" --val-every "${every}m" --steps 100000000 \
    --checkpoint-every 100000000 --progress lines --out "$out/$config" > "$out/$config.txt" 2>&1 \
    || { echo "ours ($config) failed: see $out/$config.txt"; exit 1; }
  tail -8 "$out/$config.txt"
done

echo
printf '%-10s %-22s %-22s %-22s\n' "train min" "PyTorch (paper)" "ours srgan-paper" "ours srgan-fast"
python3 - "$out" "$every" "$minutes" <<'PY'
import json, re, sys
out, every, minutes = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
torch = [(float(m.group(1)), int(m.group(2)), float(m.group(3))) for m in
         re.finditer(r"train_min=([\d.]+) steps=(\d+) loss=\S+ Set5_PSNR_Y=([\d.]+)", open(f"{out}/torch.txt").read())]
def ours(config):
    rows = []
    for line in open(f"{out}/{config}/metrics.jsonl"):
        j = json.loads(line)
        if "val_psnr" in j and j["step"] > 0:
            rows.append((j["train_s"] / 60, j["step"], j["val_psnr"]))
    return rows
cols = [torch, ours("srgan-paper"), ours("srgan-fast")]
n = max(len(c) for c in cols)
for i in range(n):
    cells = [f"{c[i][2]:.2f} dB @{c[i][1]} steps" if i < len(c) else "-" for c in cols]
    t = next((c[i][0] for c in cols if i < len(c)), 0)
    print(f"{t:<10.1f} " + " ".join(f"{x:<22}" for x in cells))
print("bicubic baseline on Set5: 28.43 dB")
PY
