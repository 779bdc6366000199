"""The GPU judge benchmark's workload: Metric B's own prompts, counted in ROIs and pairs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from reg_eval.reg2026.grounding_prompts import background_prompt

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_judge.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_judge", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_judge"] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_the_workload_is_metric_b_units_of_three_rois() -> None:
    module = _load()
    work = module.workload(8, seed=0)
    # 8 prompts need 3 units (3 prompts each): 9 ROIs, a B2 and a B3 pair per unit.
    assert (len(work.prompts), work.rois, work.pairs) == (9, 9, 6)
    assert len(set(work.prompts)) == 9
    background = [p for p in work.prompts if "NO tissue, background only" in p]
    similarity = [p for p in work.prompts if "Answer A:" in p]
    assert (len(background), len(similarity)) == (3, 6)
    question = "What is the dominant content in this ROI? Answer briefly."
    firsts = {background_prompt(question, f"{text} (region 0)") for text in (
        "No tissue, background only.", "Blank glass with no cells.",
        "Background; a few fibres of mounting medium.")}
    assert background[0] in firsts
    assert module.workload(8, seed=0) == work  # seeded
    assert module.workload(3, seed=0).rois == 3
