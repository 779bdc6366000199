"""MICCAI REG 2025 report score as a Hugging Face `evaluate` metric.

Load it with `evaluate.load("<folder>/reg2025")`; `reg-eval hf-metric-path` prints the folder.
All logic lives in `reg_eval`, because this script runs from a copy in the modules cache.
"""

from __future__ import annotations

from typing import Any

import datasets
import evaluate

from reg_eval.hf_metric.compute import CITATION, DESCRIPTION, KWARGS_DESCRIPTION, compute_reg2025


@evaluate.utils.file_utils.add_start_docstrings(DESCRIPTION, KWARGS_DESCRIPTION)
class Reg2025(evaluate.Metric):
    """The official ranking score, its components, their CIs and the signature."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=DESCRIPTION,
            citation=CITATION,
            inputs_description=KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("string"),
                    "references": datasets.Value("string"),
                }
            ),
            homepage="https://reg2025.grand-challenge.org/",
            reference_urls=["https://reg2025.grand-challenge.org/"],
        )

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        profile: str = "offline",
        **options: Any,
    ) -> dict[str, Any]:
        return compute_reg2025(predictions, references, profile=profile, **options)
