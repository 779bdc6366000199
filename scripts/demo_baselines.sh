#!/usr/bin/env bash
# Reference baselines end to end, offline, on CPU: synthetic benchmark -> majority, knn and a
# small prefix-lm -> validate -> score (offline profile) -> leaderboard against majority.
#
# Sizes come from the environment, so benchmarks/synthetic_leaderboard.sh reuses this script:
#   OUT (out/demo/baselines)  N_TRAIN (300)  N_TEST (100)  DIM (64)  PATCHES (16..32)
#   DIFFICULTY (0.5)  SEED (0)
#   prefix-lm: PLM_LAYERS (4: the first 4 blocks of SmolLM2-135M)  PLM_EPOCHS (2)
#              PLM_BATCH (8)  PLM_LM_LR (5e-4)
set -euo pipefail
cd "$(dirname "$0")/.."
REG=${REG:-.venv/bin/reg-eval}
OUT=${OUT:-out/demo/baselines}
N_TRAIN=${N_TRAIN:-300}
N_TEST=${N_TEST:-100}
DIM=${DIM:-64}
PATCHES=${PATCHES:-16..32}
DIFFICULTY=${DIFFICULTY:-0.5}
SEED=${SEED:-0}
PLM_LAYERS=${PLM_LAYERS:-4}
PLM_EPOCHS=${PLM_EPOCHS:-2}
PLM_BATCH=${PLM_BATCH:-8}
PLM_LM_LR=${PLM_LM_LR:-5e-4}
BENCH="$OUT/bench"
METHODS=(majority knn prefix-lm)
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
timed() { local start=$SECONDS; "$@"; echo "   ($((SECONDS - start)) s)"; }

step "Synthetic REG-like benchmark: $N_TRAIN train / $N_TEST test, dim $DIM, difficulty $DIFFICULTY"
$REG synth --out "$BENCH" --n-train "$N_TRAIN" --n-test "$N_TEST" --dim "$DIM" \
  --patches "$PATCHES" --difficulty "$DIFFICULTY" --seed "$SEED" --force

step "Train each baseline into its run directory"
timed $REG baseline train --method majority --features "$BENCH/features" \
  --train "$BENCH/train.json" --out "$OUT/runs/majority" --force --quiet
timed $REG baseline train --method knn --features "$BENCH/features" \
  --train "$BENCH/train.json" --out "$OUT/runs/knn" --k 5 --vote --force --quiet
# SmolLM2-135M from the offline model cache, cut to its first blocks so that it trains in
# 76 optimiser steps: 2-6 minutes on two (shared) CPU cores; on a GPU drop --lm-layers.
timed $REG baseline train --method prefix-lm --features "$BENCH/features" \
  --train "$BENCH/train.json" --out "$OUT/runs/prefix-lm" --lm offline \
  --lm-layers "$PLM_LAYERS" --epochs "$PLM_EPOCHS" --batch-size "$PLM_BATCH" \
  --lm-lr "$PLM_LM_LR" --lr 1e-3 --warmup-steps 5 --prefix-tokens 4 --mlp-hidden 256 \
  --max-report-tokens 96 --seed "$SEED" --device cpu --force
tail -n 1 "$OUT/runs/prefix-lm/metrics.jsonl"

step "Generate the test reports (each file is validated as it is written)"
for method in "${METHODS[@]}"; do
  timed $REG baseline generate --run "$OUT/runs/$method" --features "$BENCH/features" \
    --ids "$BENCH/test.json" --out "$OUT/$method.json" --max-new-tokens 96 --batch-size 50 \
    --device cpu --force --quiet
done

step "Validate the three submissions against the ground truth"
for method in "${METHODS[@]}"; do
  $REG validate "$OUT/$method.json" --ground-truth "$BENCH/test.json"
done

step "Score them with the offline profile"
for method in "${METHODS[@]}"; do
  timed $REG score --ground-truth "$BENCH/test.json" --submission "$OUT/$method.json" \
    --profile offline --output "$OUT/score-$method.json" --per-case "$OUT/cases-$method.jsonl" \
    --force --quiet > "$OUT/score-$method.txt"
  echo "   $method: ranking $(.venv/bin/python -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["ranking"], 4))' "$OUT/score-$method.json") (tables in $OUT/score-$method.txt)"
done

step "Leaderboard: CIs, and the paired test of each baseline against majority"
if $REG leaderboard --help >/dev/null 2>&1; then
  $REG leaderboard "$OUT/score-majority.json" "$OUT/score-knn.json" \
    "$OUT/score-prefix-lm.json" --baseline "$OUT/score-majority.json" \
    --per-case "$OUT/cases-majority.jsonl" --per-case "$OUT/cases-knn.jsonl" \
    --per-case "$OUT/cases-prefix-lm.jsonl" --out "$OUT/leaderboard.md" --force
  cat "$OUT/leaderboard.md"
fi
$REG compare "$OUT/majority.json" "$OUT/knn.json" "$OUT/prefix-lm.json" \
  --ground-truth "$BENCH/test.json" --profile offline --output "$OUT/compare.json" \
  --force --quiet

printf '\nBaseline outputs are in %s (runs/, *.json submissions, score-*.json, compare.json)\n' \
  "$OUT"
