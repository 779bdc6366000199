#!/usr/bin/env bash
# `make demo`: the main job, offline, on the files shipped in examples/ and on synthetic
# slides and features written on the spot.
set -euo pipefail
cd "$(dirname "$0")/.."
REG=.venv/bin/reg-eval
OUT=out/demo
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Validate the two example runs against the ground truth"
for run in examples/submission-a.json examples/submission-b.json; do
  $REG validate "$run" --ground-truth examples/ground-truth.json --exclude examples/corrupted_id.csv
done

step "Validate the broken examples (each must be refused with exit 1)"
for broken in examples/broken/*; do
  set +e
  $REG validate "$broken" --ground-truth examples/ground-truth.json --max-findings 2
  status=$?
  set -e
  if [ "$status" -ne 1 ]; then
    echo "demo: expected exit 1 for $broken, got $status" >&2
    exit 1
  fi
done

step "Prepare the offline models (once; cached afterwards)"
$REG models fetch --profile offline

step "From whole-slide images to a scored submission (synthetic slides, tiny encoder)"
bash scripts/demo_slides.sh

step "REG 2026 visual grounding: probes, the reference answerer, a judge, Metric B and the overall"
bash scripts/demo_grounding.sh

step "Score run A with the offline profile"
$REG score --ground-truth examples/ground-truth.json --submission examples/submission-a.json \
  --profile offline --output "$OUT/score-a.json" --per-case "$OUT/cases-a.csv" --force --quiet

step "Score run B (only its new texts are embedded; the rest comes from the cache)"
$REG score --ground-truth examples/ground-truth.json --submission examples/submission-b.json \
  --profile offline --output "$OUT/score-b.json" --per-case "$OUT/cases-b.jsonl" --force --quiet

step "Does B really beat A? Paired approximate randomization"
$REG compare examples/submission-a.json examples/submission-b.json \
  --ground-truth examples/ground-truth.json --profile offline --output "$OUT/compare.json" \
  --force --quiet

step "Error-analysis report of B against A (one self-contained HTML file, nothing re-scored)"
$REG report --results "$OUT/score-b.json" --per-case "$OUT/cases-b.jsonl" \
  --ground-truth examples/ground-truth.json --submission examples/submission-b.json \
  --against examples/submission-a.json --against-results "$OUT/score-a.json" \
  --against-per-case "$OUT/cases-a.csv" --out "$OUT/report-b-vs-a.html" --force

step "Leaderboard: both runs beside the official phase-2 rows"
$REG leaderboard "$OUT/score-a.json" "$OUT/score-b.json" \
  --per-case "$OUT/cases-a.csv" --per-case "$OUT/cases-b.jsonl" --official reg2025-phase2 \
  --out "$OUT/leaderboard.md" --force
cat "$OUT/leaderboard.md"

step "Reference baselines end to end on a synthetic benchmark"
bash scripts/demo_baselines.sh

printf '\nOutputs are in %s:\n' "$OUT"
printf '  slides:      %s\n' "$OUT/slides (fixed copy, features/, knn.json, score-knn.json)"
printf '  grounding:   %s\n' "$OUT/grounding (probes/, answers.json, metric-b.json, overall.json)"
printf '  report:      %s\n' "$OUT/report-b-vs-a.html"
printf '  leaderboard: %s\n' "$OUT/leaderboard.md"
printf '  scores:      %s %s (per case: %s %s)\n' "$OUT/score-a.json" "$OUT/score-b.json" \
  "$OUT/cases-a.csv" "$OUT/cases-b.jsonl"
