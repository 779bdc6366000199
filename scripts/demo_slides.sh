#!/usr/bin/env bash
# From slides to a scored submission, offline, on CPU: synthetic slides (one with the wrong
# colour tag, one truncated) -> slides check -> slides fix (a copy) -> features extract with
# the built-in `tiny` encoder -> knn and majority baselines on that folder -> validate ->
# score (offline profile).
#
# Environment: OUT (out/demo/slides)  N_SLIDES (16)  N_TEST (4)  SEED (0)
set -euo pipefail
cd "$(dirname "$0")/.."
REG=${REG:-.venv/bin/reg-eval}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-out/demo/slides}
N_SLIDES=${N_SLIDES:-16}
N_TEST=${N_TEST:-4}
SEED=${SEED:-0}
RAW="$OUT/raw"
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
expect_exit() {  # expect_exit CODE command...: run it, and insist on that exit code
  local want=$1 status=0
  shift
  "$@" || status=$?
  if [ "$status" -ne "$want" ]; then
    echo "demo: expected exit $want from: $*; got $status" >&2
    exit 1
  fi
}

step "Write $N_SLIDES small synthetic slides (tiled JPEG pyramids, 0.5 µm/px)"
$REG slides synth --out "$RAW" --n "$N_SLIDES" --seed "$SEED" --force
REVISED=$(sed -n 2p "$RAW/revised_list.csv")
CORRUPTED=$(sed -n 2p "$RAW/corrupted_id.csv")

step "Check them against the organisers' lists (exit 1: two slides have problems)"
expect_exit 1 $REG slides check "$RAW" --exclude "$RAW/corrupted_id.csv" \
  --revised "$RAW/revised_list.csv"

step "Fix the colour tag of $REVISED in a copy (the source is left as it is)"
rm -rf "$OUT/fixed"
$REG slides fix "$RAW/$REVISED.tiff" --out "$OUT/fixed"
$REG slides check "$OUT/fixed"

step "Slides to extract: the fixed copy and every slide without a problem"
rm -rf "$OUT/ready" && mkdir -p "$OUT/ready"
for slide in "$RAW"/*.tiff; do
  name=$(basename "$slide" .tiff)
  if [ "$name" != "$REVISED" ] && [ "$name" != "$CORRUPTED" ]; then
    ln -s "$(cd "$(dirname "$slide")" && pwd)/$(basename "$slide")" "$OUT/ready/"
  fi
done
ln -s "$(cd "$OUT/fixed" && pwd)/$REVISED.tiff" "$OUT/ready/"
echo "$(ls "$OUT/ready" | wc -l) slides in $OUT/ready"

step "Patch features: tissue detection, 128-px patches at 0.5 µm/px, the tiny encoder"
rm -rf "$OUT/features"
$REG features extract "$OUT/ready" --encoder tiny --out "$OUT/features" --patch-size 128 \
  --batch-size 32 --workers 0 --device cpu --quiet
$REG features extract "$OUT/ready" --encoder tiny --out "$OUT/features" --patch-size 128 \
  --batch-size 32 --workers 0 --device cpu --quiet  # again: every slide is already done

step "Reports for the slides (REG style; the stain stands for the organ)"
$PY - "$RAW/slides.csv" "$CORRUPTED" "$N_TEST" "$SEED" "$OUT" <<'EOF'
import csv, json, sys
import numpy as np
from reg_eval_baselines.report_grammar import render, sample_finding

table, corrupted, n_test, seed, out = sys.argv[1:6]
organ_of = {"eosin": "breast", "haematoxylin": "prostate"}
rows = [r for r in csv.DictReader(open(table)) if not r["id"].startswith(corrupted)]
rng = np.random.default_rng(int(seed))
cases = []
for row in rows:
    finding = sample_finding(rng, organ_of[row["stain"]])
    cases.append({"id": row["id"], "report": render((finding,), shared_site=False,
                                                    trailing_space=False)})
split = len(cases) - int(n_test)
for name, part in (("train.json", cases[:split]), ("test.json", cases[split:])):
    with open(f"{out}/{name}", "w") as handle:
        json.dump(part, handle, indent=2)
print(f"{split} training and {len(cases) - split} test reports in {out}")
EOF

step "Baselines straight from the features folder"
for method in majority knn; do
  $REG baseline train --method "$method" --features "$OUT/features" --train "$OUT/train.json" \
    --out "$OUT/runs/$method" --k 1 --force --quiet
  $REG baseline generate --run "$OUT/runs/$method" --features "$OUT/features" \
    --ids "$OUT/test.json" --out "$OUT/$method.json" --force --quiet
done

step "Score the knn submission with the offline profile"
$REG validate "$OUT/knn.json" --ground-truth "$OUT/test.json"
$REG score --ground-truth "$OUT/test.json" --submission "$OUT/knn.json" --profile offline \
  --output "$OUT/score-knn.json" --force --quiet

printf '\nSlide outputs are in %s (fixed/, features/, runs/, knn.json, score-knn.json)\n' "$OUT"
