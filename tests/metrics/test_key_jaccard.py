from __future__ import annotations

import numpy as np
import pytest

from reg_eval.metrics.key_jaccard import key_jaccard, keywords
from reg_eval.metrics.official import official_case_stats


def literal_key(ref_entities: list[str], hyp_entities: list[str]) -> float:
    """Straight from the spec: lower-cased entity texts of 3+ characters, Jaccard, 0 if empty."""
    ref = set()
    for text in ref_entities:
        if len(text) >= 3:
            ref.add(text.lower())
    hyp = set()
    for text in hyp_entities:
        if len(text) >= 3:
            hyp.add(text.lower())
    if len(ref) == 0 and len(hyp) == 0:
        return 0
    return len(ref & hyp) / len(ref | hyp)


def test_keywords_lower_case_and_drop_short_entities() -> None:
    assert keywords(["Adenocarcinoma", "adenocarcinoma", "GI", "Lung"]) == {
        "adenocarcinoma",
        "lung",
    }
    assert keywords([]) == frozenset()
    assert keywords(["ab", "abc"], min_chars=2) == {"ab", "abc"}


def test_length_test_uses_the_original_text() -> None:
    # "İa" has 2 characters; lower-cased it has 3 ("i̇a"), so the official rule drops it.
    assert len("İa") == 2
    assert len("İa".lower()) == 3
    assert keywords(["İa"]) == frozenset()
    assert keywords(["İab"]) == {"i̇ab"}


def test_both_empty_scores_zero_not_one() -> None:
    assert key_jaccard(frozenset(), frozenset()) == 0.0
    assert key_jaccard(keywords(["GI"]), keywords(["ab"])) == 0.0


@pytest.mark.parametrize(
    ("ref", "hyp"),
    [
        (["Lung", "Adenocarcinoma"], ["lung", "adenocarcinoma"]),
        (["Lung", "Adenocarcinoma"], ["lung"]),
        (["Stomach", "gastritis", "Metaplasia"], ["stomach", "adenoma", "dysplasia"]),
        (["Lung"], []),
        ([], ["Lung"]),
        (["GI", "pT1"], ["pt1", "N0"]),
    ],
)
def test_equals_literal_reference(ref: list[str], hyp: list[str]) -> None:
    assert key_jaccard(keywords(ref), keywords(hyp)) == literal_key(ref, hyp)


def test_production_case_stats() -> None:
    """The KEY column the scorer computes from each case's entity texts."""
    no_vectors = np.zeros((2, 2))
    stats = official_case_stats(
        ["", ""], ["", ""], [["Lung", "Adenocarcinoma"], []], [["lung"], []], no_vectors, no_vectors
    )
    assert stats.key.tolist() == [0.5, 0.0]
