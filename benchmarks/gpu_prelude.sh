# Sourced by the GPU benchmark scripts: `gpu_prelude NAME` picks the Python ($PYTHON, else
# .venv/bin/python, else python3) into `python_bin`, makes the results folder `out_dir`
# ($OUT, else ${TMPDIR:-/tmp}/reg-eval-NAME with "_" as "-") and prints what it runs on.
gpu_prelude() {
    local name=$1
    if [[ -n "${PYTHON:-}" ]]; then
        python_bin="$PYTHON"
    elif [[ -x .venv/bin/python ]]; then
        python_bin=.venv/bin/python
    else
        python_bin=python3
    fi
    out_dir="${OUT:-${TMPDIR:-/tmp}/reg-eval-${name//_/-}}"
    mkdir -p "$out_dir"
    echo "$name: python $("$python_bin" -c 'import sys; print(sys.version.split()[0])') ($python_bin)"
    if command -v nvidia-smi >/dev/null 2>&1; then
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    fi
}
