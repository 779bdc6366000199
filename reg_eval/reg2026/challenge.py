"""The REG 2026 evaluation of one algorithm-phase upload: Metric A from the whole-slide jobs,
Metric B from the region-of-interest jobs, and the overall score, with `metrics.json` in the
organisers' aggregate names.

The ground-truth folder is laid out as the organisers' container expects it:
`metric_A/chain-of-thoughts-ground-truth.json`, `metric_B/rois_mapping.txt` and, optionally,
`manifest.json` (which gives each job its case title).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reg_eval.errors import UsageError
from reg_eval.reg2026.overall import OverallResult

METRIC_A_FILE = Path("metric_A") / "chain-of-thoughts-ground-truth.json"
MAPPING_FILE = Path("metric_B") / "rois_mapping.txt"
MANIFEST_FILE = Path("manifest.json")


@dataclass(frozen=True)
class ChallengeInputs:
    metric_a: Path
    mapping: Path
    manifest: Path | None


def find_inputs(ground_truth: Path) -> ChallengeInputs:
    """The organisers' ground-truth files under `ground_truth`, each named if missing."""
    ground_truth = Path(ground_truth)
    missing = [str(ground_truth / name) for name in (METRIC_A_FILE, MAPPING_FILE)
               if not (ground_truth / name).is_file()]
    if missing:
        raise UsageError(
            f"the REG 2026 ground truth needs {' and '.join(missing)}",
            hint=f"lay the folder out as the organisers do: {METRIC_A_FILE}, {MAPPING_FILE} and "
            f"optionally {MANIFEST_FILE}",
        )
    manifest = ground_truth / MANIFEST_FILE
    return ChallengeInputs(ground_truth / METRIC_A_FILE, ground_truth / MAPPING_FILE,
                           manifest if manifest.is_file() else None)


def _finite(value: float, where: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metrics.json would hold a non-finite number at {where}")
    return number


def challenge_metrics(result: OverallResult) -> dict[str, Any]:
    """`{"aggregates": {...}, "results": []}` with the organisers' keys, numbers only."""
    a = result.cot.means
    b = result.grounding.means
    aggregates: dict[str, Any] = {
        "overall_score": result.overall,
        "workflow_final_ranking_score": a["A"],
        "visual_final_score": b["B"],
        "binary_path_validity": a["bpv"],
        "edge_f1": a["edge_f1"],
        "mess": a["mess"],
        "final_report_score": a["final_report"],
        "background_rejection": b["B1"],
        "input_sensitivity": b["B2"],
        "cross_region_consistency": b["B3"],
    }
    out = {key: _finite(value, f"aggregates.{key}") for key, value in aggregates.items()}
    out["n_cases"] = result.cot.n_cases
    out["n_rois_and_pairs"] = {name: len(result.grounding.scores[name])
                               for name in ("B1", "B2", "B3")}
    out["comparable_with_leaderboard"] = int(result.signature.comparable_with_leaderboard)
    return {"aggregates": out, "results": []}
