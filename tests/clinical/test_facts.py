from __future__ import annotations

from reg_eval.clinical.facts import Fact, parse_label, unique_facts


def test_labels_read_like_the_report() -> None:
    assert Fact("gleason_score", "grade", "7 (3+4)", False, "x").label == "gleason_score=7 (3+4)"
    assert Fact("tumor", "diagnosis", None, True, "x").label == "not:tumor"
    assert Fact("dysplasia", "grade", "high", True, "x").label == "not:dysplasia=high"


def test_parse_label_inverts_label() -> None:
    for label in ("breast", "not:tumor", "gleason_score=7 (3+4)", "not:dysplasia=low"):
        assert parse_label(label, "any").label == label


def test_unique_facts_keeps_the_first_mention_in_text_order() -> None:
    late = Fact("tumor", "diagnosis", None, True, "no tumour", start=30)
    early = Fact("tumor", "diagnosis", None, True, "No tumor", start=2)
    other = Fact("breast", "organ", None, False, "Breast", start=0)
    assert unique_facts([late, early, other]) == [other, early]
