"""BLEU parity: the Counter-based bleu4 equals a literal per-position loop from the spec."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reg_eval.metrics.bleu4 import bleu4, ngram_counts
from reg_eval.metrics.official import text_pair_stats
from reg_eval.metrics.tokenize import bleu_tokens

LiteralScore = Callable[[str, str], float]


def test_worked_values(
    worked_values: list[tuple[str, str, float, float]], literal_bleu: LiteralScore
) -> None:
    for reference, hypothesis, expected_bleu, _ in worked_values:
        got = bleu4(bleu_tokens(reference), bleu_tokens(hypothesis))
        assert got == pytest.approx(expected_bleu, abs=1e-6), (reference, hypothesis)
        assert got == literal_bleu(reference, hypothesis)


def test_equals_literal_reference_on_generated_reports(
    report_pairs: list[tuple[str, str]], literal_bleu: LiteralScore
) -> None:
    mismatches = [
        (ref, hyp)
        for ref, hyp in report_pairs
        if bleu4(bleu_tokens(ref), bleu_tokens(hyp)) != literal_bleu(ref, hyp)
    ]
    assert mismatches == []
    # The generated pairs must reach the quirks, or the comparison proves little.
    scores = [bleu4(bleu_tokens(r), bleu_tokens(h)) for r, h in report_pairs]
    assert any(s > 1 for s in scores)
    assert any(0 < s < 1 for s in scores)
    short_exact = [
        s
        for (r, h), s in zip(report_pairs, scores, strict=True)
        if r == h and 0 < len(r.split()) < 4
    ]
    assert short_exact
    assert set(short_exact) == {0.0}


TOKENS = st.sampled_from(["a", "b", "c", "A", "biopsy;", "biopsy", "grade", "II", "ii", ","])
SPACES = st.sampled_from([" ", "\n", "  ", "\t"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(TOKENS, max_size=14))
    return "".join(word + draw(SPACES) for word in words)


@settings(max_examples=400, derandomize=True, database=None)
@given(reference=texts(), hypothesis=texts())
def test_equals_literal_reference_on_small_alphabets(
    literal_bleu: LiteralScore, reference: str, hypothesis: str
) -> None:
    assert bleu4(bleu_tokens(reference), bleu_tokens(hypothesis)) == literal_bleu(
        reference, hypothesis
    )


def test_short_hypothesis_scores_zero_even_when_identical() -> None:
    assert bleu4(["a", "b", "c"], ["a", "b", "c"]) == 0.0
    assert bleu4([], []) == 0.0
    assert bleu4([], ["a", "b", "c", "d"]) == 0.0


def test_is_case_sensitive_and_keeps_punctuation() -> None:
    assert bleu4(bleu_tokens("A b c d"), bleu_tokens("a b c d")) == 0.0
    assert bleu4(bleu_tokens("a b c d;"), bleu_tokens("a b c d")) == 0.0
    assert bleu4(bleu_tokens("a b\n c  d"), bleu_tokens(" a\tb c d\n")) == 1.0


def test_ngram_counts() -> None:
    counts = ngram_counts(["a", "b", "c", "d", "a", "b", "c", "d"])
    assert counts[("a", "b", "c", "d")] == 2
    assert sum(counts.values()) == 5
    assert ngram_counts(["a", "b", "c"]) == {}


def test_production_case_stats_equal_literal_reference(
    report_pairs: list[tuple[str, str]], literal_bleu: LiteralScore
) -> None:
    """The per-case BLEU column the scorer uses (distinct texts counted once) is the spec's."""
    refs = [r for r, _ in report_pairs[:300]]
    hyps = [h for _, h in report_pairs[:300]]
    stats, _ = text_pair_stats(refs, hyps)
    assert stats.tolist() == [literal_bleu(r, h) for r, h in zip(refs, hyps, strict=True)]
    with pytest.raises(ValueError, match="pair up"):
        text_pair_stats(refs, hyps[:-1])
