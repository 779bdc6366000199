#!/usr/bin/env bash
# EMB on a GPU: the official per-text float32 loop against reg-eval's batched float32 and bf16,
# with a ~1.03 B-parameter random-weight Llama built on the spot (no network needed).
#
# Needs Python >= 3.11 with numpy, torch (CUDA build), transformers, tokenizers and tqdm.
# Uses .venv/bin/python when the checkout has one, else python3 (override with PYTHON=...).
# Extra arguments go to benchmarks/gpu_score.py (e.g. --batch-size 64, --tiny --device cpu).
# Results: printed, and written to $OUT/gpu_score.json when OUT is set
# (else to ${TMPDIR:-/tmp}/reg-eval-gpu-score/gpu_score.json).
# GPU_SCORE_TIMEOUT (seconds, default 540) bounds the whole run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=benchmarks/gpu_prelude.sh
source benchmarks/gpu_prelude.sh
gpu_prelude gpu_score

"$python_bin" - <<'PY'
import importlib.util, sys
needed = ["numpy", "torch", "transformers", "tokenizers", "tqdm"]
missing = [name for name in needed if importlib.util.find_spec(name) is None]
if missing:
    sys.exit("gpu_score: missing Python packages: " + ", ".join(missing)
             + " (needs " + ", ".join(needed) + "; torch with CUDA for the GPU run)")
PY

export TOKENIZERS_PARALLELISM=false
exec timeout --signal=TERM --kill-after=15 "${GPU_SCORE_TIMEOUT:-540}" \
    "$python_bin" benchmarks/gpu_score.py --json "$out_dir/gpu_score.json" "$@"
