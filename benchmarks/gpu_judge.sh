#!/usr/bin/env bash
# The judge layer on a GPU: reg-eval's batched transformers judge against one prompt at a
# time (the organisers' way), and, if vLLM is installed, the served judge against a vLLM
# server on the same GPU; prompts per second and peak GPU memory, on a random-weight model of
# Qwen3-8B's architecture built on the spot (no network needed).
#
# Needs Python >= 3.11 with torch (CUDA build), transformers and tokenizers; vLLM optional.
# Uses .venv/bin/python when the checkout has one, else python3 (override with PYTHON=...).
# Extra arguments go to benchmarks/gpu_judge.py (e.g. --prompts 128, --layers 12,
# --skip-vllm, --tiny --device cpu).
# Results: printed, and written to $OUT/gpu_judge.json when OUT is set
# (else to ${TMPDIR:-/tmp}/reg-eval-gpu-judge/gpu_judge.json).
# GPU_JUDGE_TIMEOUT (seconds, default 540) bounds the whole run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=benchmarks/gpu_prelude.sh
source benchmarks/gpu_prelude.sh
gpu_prelude gpu_judge

"$python_bin" - <<'PY'
import importlib.util, sys
needed = ["torch", "transformers", "tokenizers"]
missing = [name for name in needed if importlib.util.find_spec(name) is None]
if missing:
    sys.exit("gpu_judge: missing Python packages: " + ", ".join(missing)
             + " (needs " + ", ".join(needed) + "; torch with CUDA for the GPU run)")
print("gpu_judge: vLLM " + ("found" if importlib.util.find_spec("vllm") else
                             "not installed: the served judge is not timed"))
PY

export TOKENIZERS_PARALLELISM=false
exec timeout --signal=TERM --kill-after=15 "${GPU_JUDGE_TIMEOUT:-540}" \
    "$python_bin" benchmarks/gpu_judge.py --json "$out_dir/gpu_judge.json" "$@"
