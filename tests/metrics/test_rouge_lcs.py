"""ROUGE parity: rapidfuzz's LCS on token lists equals a textbook DP, and F1 matches exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reg_eval.metrics.official import text_pair_stats
from reg_eval.metrics.rouge_lcs import lcs_length, rouge_lcs_f1
from reg_eval.metrics.tokenize import rouge_tokens

LiteralScore = Callable[[str, str], float]


def test_worked_values(
    worked_values: list[tuple[str, str, float, float]], literal_rouge: LiteralScore
) -> None:
    for reference, hypothesis, _, expected_rouge in worked_values:
        got = rouge_lcs_f1(rouge_tokens(reference), rouge_tokens(hypothesis))
        assert got == pytest.approx(expected_rouge, abs=1e-6), (reference, hypothesis)
        assert got == literal_rouge(reference, hypothesis)


def test_equals_literal_reference_on_generated_reports(
    report_pairs: list[tuple[str, str]], literal_rouge: LiteralScore
) -> None:
    mismatches = [
        (ref, hyp)
        for ref, hyp in report_pairs
        if rouge_lcs_f1(rouge_tokens(ref), rouge_tokens(hyp)) != literal_rouge(ref, hyp)
    ]
    assert mismatches == []


def test_lcs_compares_whole_tokens() -> None:
    assert lcs_length(["ab", "c"], ["a", "bc"]) == 0
    assert lcs_length(["a", "b", "c"], ["a", "c"]) == 2
    assert lcs_length(["a", "b", "a"], ["b", "a", "a"]) == 2
    assert lcs_length(["carcinoma,", "grade"], ["carcinoma", "grade"]) == 1


def test_lcs_empty_sides() -> None:
    assert lcs_length([], []) == 0
    assert lcs_length([], ["a"]) == 0
    assert lcs_length(["a"], []) == 0
    assert rouge_lcs_f1([], []) == 0.0
    assert rouge_lcs_f1(["a"], []) == 0.0
    assert rouge_lcs_f1([], ["a"]) == 0.0
    assert rouge_lcs_f1(["a"], ["b"]) == 0.0


TOKENS = st.sampled_from(["a", "b", "c", "A", "B", "biopsy;", "biopsy", "ß", "İ", "x y"])


@settings(max_examples=400, derandomize=True, database=None)
@given(ref=st.lists(TOKENS, max_size=25), hyp=st.lists(TOKENS, max_size=25))
def test_lcs_equals_dynamic_programme(
    literal_lcs: Callable[[list[str], list[str]], int],
    literal_rouge: LiteralScore,
    ref: list[str],
    hyp: list[str],
) -> None:
    assert lcs_length(ref, hyp) == literal_lcs(ref, hyp)
    text_ref, text_hyp = " ".join(ref), "\n".join(hyp)
    assert rouge_lcs_f1(rouge_tokens(text_ref), rouge_tokens(text_hyp)) == literal_rouge(
        text_ref, text_hyp
    )


def test_production_case_stats_equal_literal_reference(
    report_pairs: list[tuple[str, str]], literal_rouge: LiteralScore
) -> None:
    """The per-case ROUGE column the scorer uses (distinct texts tokenised once) is the spec's."""
    refs = [r for r, _ in report_pairs[:300]]
    hyps = [h for _, h in report_pairs[:300]]
    _, stats = text_pair_stats(refs, hyps)
    assert stats.tolist() == [literal_rouge(r, h) for r, h in zip(refs, hyps, strict=True)]
