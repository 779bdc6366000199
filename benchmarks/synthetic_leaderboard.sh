#!/usr/bin/env bash
# Regenerates leaderboards/synthetic.md: majority, knn and prefix-lm on the synthetic
# benchmark at the default difficulty (0.5) and at the highest (1.0), offline, on CPU.
# Each difficulty is one run of scripts/demo_baselines.sh (same sizes and settings as the
# demo); the table is assembled from the score and compare outputs by synthetic_leaderboard.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export REG=${REG:-.venv/bin/reg-eval}
ROOT=${ROOT:-out/leaderboards/synthetic}
start=$SECONDS
for difficulty in 0.5 1.0; do
  OUT="$ROOT/d$difficulty" DIFFICULTY=$difficulty bash scripts/demo_baselines.sh
done
.venv/bin/python benchmarks/synthetic_leaderboard.py --root "$ROOT" --difficulties 0.5 1.0 \
  --out leaderboards/synthetic.md --command "bash benchmarks/synthetic_leaderboard.sh" \
  --seconds $((SECONDS - start))
