"""The REG 2026 challenge score: Overall = 0.7·A + 0.3·B, from a Metric A and a Metric B run.

One signature covers both: Metric A's fields as they are, Metric B's prefixed `b_` (its judge
fields keep their `judge_` and `gen_` names), and the number is comparable only if both are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reg_eval.reg2026.grounding import GroundingResult
from reg_eval.reg2026.metric_b import overall
from reg_eval.reg2026.scoring import CotResult
from reg_eval.signature import Signature

COMPUTED = "reg2026-overall=0.7*A+0.3*B"
WEIGHTS = {"A": 0.7, "B": 0.3}


def overall_signature(a: Signature, b: Signature) -> Signature:
    """Both runs' fields under one name; any reason against either carries over."""
    fields: dict[str, object] = {"a": a.computed, **dict(a.fields), "b": b.computed}
    for key, value in b.fields:
        name = key if key.startswith(("judge_", "gen_", "prompts_")) else f"b_{key}"
        fields[name] = value
    return Signature.build(
        COMPUTED, fields,
        comparable_with_leaderboard=a.comparable_with_leaderboard
        and b.comparable_with_leaderboard,
        not_comparable_because=[*a.not_comparable_because, *b.not_comparable_because],
    )


@dataclass
class OverallResult:
    """Metric A, Metric B and the overall score of one submission."""

    cot: CotResult
    grounding: GroundingResult
    signature: Signature
    messages: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, cot: CotResult, grounding: GroundingResult) -> OverallResult:
        return cls(cot, grounding, overall_signature(cot.signature, grounding.signature),
                   [*cot.messages, *grounding.messages])

    @property
    def a(self) -> float:
        return self.cot.means["A"]

    @property
    def b(self) -> float:
        return self.grounding.means["B"]

    @property
    def overall(self) -> float:
        return overall(self.a, self.b)

    def to_dict(self) -> dict[str, Any]:
        metric_a = self.cot.to_dict()
        metric_a.pop("metric_b", None)
        return {
            "signature": self.signature.to_dict(),
            "overall": self.overall,
            "A": self.a,
            "B": self.b,
            "weights": dict(WEIGHTS),
            "metric_a": metric_a,
            "metric_b": self.grounding.to_dict(),
        }

    def per_case_rows(self) -> list[dict[str, Any]]:
        """Metric A's case rows, then Metric B's ROI and pair rows, each naming its metric."""
        return [
            *({"metric": "A", **row} for row in self.cot.per_case_rows()),
            *({"metric": "B", **row} for row in self.grounding.per_case_rows()),
        ]
