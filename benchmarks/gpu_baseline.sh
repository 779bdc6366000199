#!/usr/bin/env bash
# prefix-lm on a GPU: one epoch on 8,000 synthetic slides with 1,536-dim features in bf16
# (SmolLM2-135M from the offline model cache), 1,000 generated reports, the offline score.
# Prints time per epoch, tokens/s, peak GPU memory and the score; writes $OUT/timings.json.
#
#   bash benchmarks/gpu_baseline.sh            # the GPU run (needs CUDA)
#   bash benchmarks/gpu_baseline.sh --tiny     # the same path in miniature on CPU
#
# Uses .venv/bin/python when the checkout has one (override with PYTHON=...).
# OUT (default out/gpu_baseline) holds the benchmark, the run directory and the outputs.
# GPU_BASELINE_TIMEOUT (seconds, default 540) bounds the whole run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
OUT=${OUT:-out/gpu_baseline}
mkdir -p "$OUT"
"$PYTHON" - <<'PY'
import torch
print(f"torch {torch.__version__}; cuda: {torch.cuda.is_available()}"
      + (f" ({torch.cuda.get_device_name()})" if torch.cuda.is_available() else ""))
PY
timeout "${GPU_BASELINE_TIMEOUT:-540}" "$PYTHON" benchmarks/gpu_baseline.py \
  --out "$OUT" "$@"
