from __future__ import annotations

import re
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from reg_eval.report.diff import word_diff

WORDS = st.lists(st.sampled_from(["grade", "II", "III", "carcinoma", ",", "no", "tumor", ";"]),
                 max_size=12)


def test_a_hand_example_marks_only_the_changed_words() -> None:
    segments = word_diff("Invasive carcinoma, grade II", "Invasive ductal carcinoma, grade III")
    assert segments == [
        ("=", "Invasive "),
        ("+", "ductal "),
        ("=", "carcinoma, grade "),
        ("-", "II "),  # a space keeps the replaced words apart
        ("+", "III"),
    ]


def test_identical_and_empty_texts() -> None:
    assert word_diff("a b", "a b") == [("=", "a b")]
    assert word_diff("", "") == []
    assert word_diff("Breast, biopsy", "") == [("-", "Breast, biopsy")]
    assert word_diff("", "Breast") == [("+", "Breast")]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


@given(WORDS, WORDS, st.sampled_from([" ", "\n  ", "  "]))
def test_hypothesis_is_rebuilt_exactly_and_reference_word_for_word(
    ref_words: list[str], hyp_words: list[str], space: str
) -> None:
    reference, hypothesis = space.join(ref_words), " ".join(hyp_words)
    segments = word_diff(reference, hypothesis)
    assert "".join(t for op, t in segments if op in "=+") == hypothesis
    assert _words("".join(t for op, t in segments if op in "=-")) == _words(reference)
    assert all(a[0] != b[0] for a, b in pairwise(segments))
