from __future__ import annotations

import pytest

from reg_eval.metrics.pairs import check_paired, per_distinct_pair


def test_check_paired_counts_cases_and_refuses_unequal_lengths() -> None:
    assert check_paired(["ab", ""], ["abc", ""]) == 2
    with pytest.raises(ValueError, match="2 references, 1 hypotheses"):
        check_paired(["ab", ""], ["abc"])


def test_per_distinct_pair_scores_each_distinct_pair_once_in_case_order() -> None:
    calls: list[tuple[str, str]] = []

    def length_gap(ref: str, hyp: str) -> float:
        calls.append((ref, hyp))
        return float(len(hyp) - len(ref))

    refs = ["ab", "a", "ab", "ab", ""]
    hyps = ["abc", "abc", "abc", "a", ""]
    got = per_distinct_pair(refs, hyps, length_gap)
    assert got.tolist() == [1.0, 2.0, 1.0, -1.0, 0.0]
    assert calls == [("ab", "abc"), ("a", "abc"), ("ab", "a"), ("", "")]
    with pytest.raises(ValueError, match="pair up"):
        per_distinct_pair(refs, hyps[:-1], length_gap)
