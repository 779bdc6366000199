#!/usr/bin/env bash
# Patch-feature extraction on a GPU: 16 synthetic 8192x6144 slides at 0.25 µm/px, 256-px
# patches at 0.25 µm/px on tissue, a ViT-B/16-sized encoder
# with random weights (a local transformers folder, no hub), float32 then bfloat16 autocast.
# Prints tiles/s, peak GPU memory and the largest fp32-bf16 feature difference; writes
# $OUT/gpu_features.json.
#
#   bash benchmarks/gpu_features.sh            # the GPU run (needs CUDA)
#   bash benchmarks/gpu_features.sh --tiny     # the same path in miniature on CPU
#
# Uses .venv/bin/python when the checkout has one (override with PYTHON=...).
# OUT (default out/gpu_features) holds the slides, both feature folders and the summary.
# GPU_FEATURES_TIMEOUT (seconds, default 540) bounds the whole run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
OUT=${OUT:-out/gpu_features}
mkdir -p "$OUT"
"$PYTHON" - <<'PY'
import torch
print(f"torch {torch.__version__}; cuda: {torch.cuda.is_available()}"
      + (f" ({torch.cuda.get_device_name()})" if torch.cuda.is_available() else ""))
PY
timeout "${GPU_FEATURES_TIMEOUT:-540}" "$PYTHON" benchmarks/gpu_features.py --out "$OUT" "$@"
