"""The REG score as a Hugging Face `evaluate` module, shipped as a folder of its own.

`evaluate.load(str(metric_path()))` loads it with no network: the folder holds one script
named after the folder, whose only imports are `datasets`, `evaluate` and `reg_eval`.
"""

from __future__ import annotations

from pathlib import Path

from reg_eval.errors import UsageError

METRICS = ("reg2025",)
_HERE = Path(__file__).resolve().parent


def metric_path(name: str = "reg2025") -> Path:
    """The folder to give `evaluate.load`."""
    if name not in METRICS:
        raise UsageError(f"unknown evaluate module {name!r}", hint=f"use {', '.join(METRICS)}")
    folder = _HERE / name
    if not (folder / f"{name}.py").is_file():
        raise UsageError(
            f"the evaluate module script {folder / (name + '.py')} is missing",
            hint="reinstall reg-eval; the installation is incomplete",
        )
    return folder
