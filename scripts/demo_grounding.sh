#!/usr/bin/env bash
# REG 2026 Metric B and the overall score, offline, on CPU: ROI probes from the demo slides ->
# the measuring reference answerer -> validate -> a judge (a rule-based stand-in served as an
# OpenAI-compatible endpoint on 127.0.0.1; a real run uses Qwen3-8B, see docs/reg2026.md) ->
# B, then A, B and Overall = 0.7·A + 0.3·B from score-cot.
#
# Needs the slides of scripts/demo_slides.sh (out/demo/slides/ready) and the offline models.
# Environment: SLIDES (out/demo/slides/ready)  OUT (out/demo/grounding)  SEED (0)
#              JUDGE_PORT (8765)
set -euo pipefail
cd "$(dirname "$0")/.."
REG=${REG:-.venv/bin/reg-eval}
PY=${PY:-.venv/bin/python}
SLIDES=${SLIDES:-out/demo/slides/ready}
OUT=${OUT:-out/demo/grounding}
SEED=${SEED:-0}
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "ROI probes from the demo slides: tissue, perturbed copies, background, rois_mapping.txt"
$REG grounding probes "$SLIDES" --out "$OUT/probes" --magnification 20x --patch-size 128 \
  --n-tissue 2 --n-background 1 --seed "$SEED" --force
head -3 "$OUT/probes/rois_mapping.txt"

step "Answer every ROI with the reference answerer (tissue share, stain, texture)"
$REG grounding answer "$OUT/probes" --out "$OUT/answers.json" --force
$REG validate --kind grounding "$OUT/answers.json" --ground-truth "$OUT/probes/rois_mapping.txt"

step "Start the demo judge (rule-based stand-in) on 127.0.0.1"
rm -f "$OUT/judge.port"
# A fixed port (JUDGE_PORT, default 8765; a free one if taken) keeps the judge's address, and
# so its verdict cache, the same from run to run.
$PY scripts/demo_judge_server.py --port "${JUDGE_PORT:-8765}" --port-file "$OUT/judge.port" &
JUDGE_PID=$!
trap 'kill "$JUDGE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$OUT/judge.port" ] && break; sleep 0.1; done
JUDGE="openai:http://127.0.0.1:$(cat "$OUT/judge.port")/v1"

step "Metric B of the answers, three votes (the spread between votes is printed)"
$REG score-grounding --mapping "$OUT/probes/rois_mapping.txt" --answers "$OUT/answers.json" \
  --judge "$JUDGE" --judge-model demo-rules --voting 3 --judge-cache-dir "$OUT/judge-cache" \
  --output "$OUT/metric-b.json" --per-case "$OUT/metric-b-rows.jsonl" --force

step "A chain-of-thought submission for two slides (Metric A, offline profile)"
$PY - "$OUT" <<'PYEOF'
import json, sys
out = sys.argv[1]
def chain(diagnosis):
    return [
        {"question": "What is the organ?", "answer": "Breast",
         "next_question": "What is the final pathology report?"},
        {"question": "What is the final pathology report?", "answer": diagnosis,
         "next_question": ""},
    ]
truth = [{"id": "PIT_01_00001_01.tiff", "chain-of-thought": chain("Invasive carcinoma of no special type.")},
         {"id": "PIT_01_00004_01.tiff", "chain-of-thought": chain("Benign breast tissue.")}]
pred = [{"id": "PIT_01_00001_01.tiff", "chain-of-thought": chain("Invasive carcinoma.")},
        {"id": "PIT_01_00004_01.tiff", "chain-of-thought": chain("Fibroadenoma.")}]
json.dump(truth, open(f"{out}/cot-truth.json", "w"), indent=2)
json.dump(pred, open(f"{out}/cot-submission.json", "w"), indent=2)
PYEOF

step "A, B and the REG 2026 overall score under one signature"
$REG score-cot --ground-truth "$OUT/cot-truth.json" --submission "$OUT/cot-submission.json" \
  --profile offline --quiet --bootstrap 200 \
  --grounding-mapping "$OUT/probes/rois_mapping.txt" --grounding-answers "$OUT/answers.json" \
  --judge "$JUDGE" --judge-model demo-rules --voting 3 --judge-cache-dir "$OUT/judge-cache" \
  --output "$OUT/overall.json" --force

printf '\nGrounding outputs are in %s (probes/, answers.json, metric-b.json, overall.json)\n' "$OUT"
