from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from reg_eval.metrics.base import Metric, check_paired


class Length(Metric[str]):
    name = "length"

    def options(self) -> dict[str, str]:
        return {"unit": "chars", "case": "mixed"}

    def case_stats(self, refs: Sequence[str], hyps: Sequence[str]) -> np.ndarray:
        check_paired(refs, hyps)
        return np.array([len(h) - len(r) for r, h in zip(refs, hyps, strict=True)], dtype=float)


def test_signature_lists_name_then_options_in_order() -> None:
    assert Length().signature() == "length|unit:chars|case:mixed"


def test_case_stats_and_pairing() -> None:
    assert Length().case_stats(["ab", ""], ["abc", ""]).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="2 references, 1 hypotheses"):
        Length().case_stats(["ab", ""], ["abc"])


def test_metric_needs_case_stats() -> None:
    class Incomplete(Metric[str]):
        name = "incomplete"

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]
