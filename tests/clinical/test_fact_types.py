"""Every fact type, on the scoring side: exact, synonym, soft, negated and value matches.

The categories are the ones agreed for the lexicon (a lexicon that adds them needs no change
in scoring) plus any the shipped lexicon has. The second half reads real report text with
the shipped lexicon for the categories it has today.
"""

from __future__ import annotations

import numpy as np
import pytest

from reg_eval.clinical.facts import Fact
from reg_eval.clinical.group import ClinicalGroup
from reg_eval.clinical.lexicon import CATEGORIES
from reg_eval.clinical.scores import counts_of, match_facts, soft_match
from reg_eval.clinical.soft import NO_SOFT_CATEGORIES, SOFT_CREDIT
from reg_eval.groups import ScoringContext

AGREED = ("organ", "procedure", "diagnosis", "histologic_type", "grade", "stage", "size",
          "margin", "invasion", "lymph_node", "biomarker", "finding")
ALL_CATEGORIES = tuple(dict.fromkeys((*AGREED, *CATEGORIES)))

VALUE_PAIRS = {
    "grade": ("7 (3+4)", "7 (3+4)", "7 (4+3)"),
    "stage": ("pT2", "pT2a", "pT3"),
    "size": ("12 mm", "1.2 cm", "15 mm"),
    "margin": ("2 mm", "2.0 mm", "5 mm"),
    "lymph_node": ("2/14", "2/14", "3/14"),
    "biomarker": ("90%", "95%", "40%"),
    "invasion": ("1", "1", "2"),
}
"""(reference value, a hypothesis value that agrees as a value, one that does not)."""


def fact(category: str, concept_id: str = "x", value: str | None = None, *,
         negated: bool = False, text: str = "", start: int = 0) -> Fact:
    return Fact(concept_id, category, value, negated, text or concept_id, start)


def matched(ref: list[Fact], hyp: list[Fact]) -> float:
    return counts_of(match_facts(ref, hyp)).matched


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_exact(category: str) -> None:
    assert matched([fact(category)], [fact(category)]) == 1
    assert matched([fact(category, "a")], [fact(category, "b")]) == 0


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_synonym(category: str) -> None:
    """Two wordings of one concept are one fact: scoring compares concepts, never words."""
    ref = fact(category, "concept", text="first wording")
    hyp = fact(category, "concept", text="another wording", start=40)
    assert matched([ref], [hyp]) == 1


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_finer_kind(category: str) -> None:
    """A hypothesis naming a finer kind of the reference concept (by the relation given)."""
    def finer(reference: str, hypothesis: str) -> bool:
        return (reference, hypothesis) == ("kind", "finer_kind")

    ref, hyp = [fact(category, "kind")], [fact(category, "finer_kind")]
    assert counts_of(match_facts(ref, hyp, finer)).matched == 1
    assert counts_of(match_facts(hyp, ref, finer)).matched == 0  # coarser: not stated
    assert counts_of(match_facts(ref, hyp)).matched == 0


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_soft(category: str) -> None:
    vectors = {"near_a": np.array([1.0, 0.05]), "near_b": np.array([1.0, 0.1]),
               "far": np.array([0.0, 1.0])}
    case = match_facts([fact(category, "near_a")], [fact(category, "near_b")])
    soft = soft_match(case, vectors, lambda _c: None)
    if category in NO_SOFT_CATEGORIES:  # markers and measurements: a near name is another
        assert soft.soft == () and counts_of(soft).matched == 0
        return
    assert counts_of(soft).matched == SOFT_CREDIT
    assert [(r.concept_id, h.concept_id) for r, h, _s in soft.soft] == [("near_a", "near_b")]
    far = soft_match(match_facts([fact(category, "near_a")], [fact(category, "far")]),
                     vectors, lambda _c: None)
    assert far.soft == ()
    other = "finding" if category != "finding" else "organ"
    crossed = soft_match(match_facts([fact(category, "near_a")], [fact(other, "near_b")]),
                         vectors, lambda _c: None)
    assert crossed.soft == ()


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_negated(category: str) -> None:
    assert matched([fact(category, negated=True)], [fact(category, negated=True)]) == 1
    assert matched([fact(category, negated=True)], [fact(category)]) == 0
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([1.0, 0.01])}
    flipped = match_facts([fact(category, "a", negated=True)], [fact(category, "b")])
    assert soft_match(flipped, vectors, lambda _c: None).soft == ()


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_value(category: str) -> None:
    ref_value, agreeing, differing = VALUE_PAIRS.get(category, ("2", "2", "3"))
    assert matched([fact(category, value=ref_value)], [fact(category, value=agreeing)]) == 1
    assert matched([fact(category, value=ref_value)], [fact(category, value=differing)]) == 0
    assert matched([fact(category)], [fact(category, value=differing)]) == 1
    assert matched([fact(category, value=ref_value)], [fact(category)]) == 0


# -- the same five on real text, for the categories of the shipped lexicon ------------------

REAL = {
    # category: (reference, synonym, negated, soft (another concept), value (agreeing))
    "organ": ("Urinary bladder, biopsy; chronic cystitis",
              "Bladder, biopsy; chronic cystitis",
              None, None, None),
    "procedure": ("Bladder, transurethral resection; chronic cystitis",
                  "Bladder, TURBT; chronic cystitis",
                  None, None, None),
    "diagnosis": ("Stomach, endoscopic biopsy; chronic gastritis",
                  "Stomach, endoscopic biopsy; chronic superficial gastritis",
                  "Stomach, endoscopic biopsy; no chronic gastritis",
                  "Stomach, endoscopic biopsy; chronic active gastritis",
                  None),
    "grade": ("Prostate, biopsy; acinar adenocarcinoma, Gleason score 7, tumor volume: 30%",
              "Prostate, biopsy; acinar adenocarcinoma, Gleason sum 7, tumour extent 30 %",
              None, None,
              "Prostate, biopsy; acinar adenocarcinoma, Gleason score 3+4=7, tumor volume: 33%"),
    "finding": ("Colon, biopsy; adenocarcinoma with lymphovascular invasion",
                "Colon, biopsy; adenocarcinoma with LVI",
                "Colon, biopsy; adenocarcinoma, lymphovascular invasion: not identified",
                None, None),
}


@pytest.fixture(scope="module")
def soft_group() -> ClinicalGroup:
    return ClinicalGroup(soft=True)


def scores(group: ClinicalGroup, reference: str, hypothesis: str) -> tuple[float, dict]:
    result = group.compute([reference], [hypothesis], ScoringContext())
    return float(result.per_case["clinical_f1"][0]), result.details[0]


@pytest.mark.slow
@pytest.mark.parametrize("category", [c for c in CATEGORIES if c in REAL])
def test_real_text(soft_group: ClinicalGroup, category: str) -> None:
    reference, synonym, negated, soft, value = REAL[category]
    assert scores(soft_group, reference, reference)[0] == 1.0
    assert scores(soft_group, reference, synonym)[0] == 1.0
    if negated is not None:
        f1, details = scores(soft_group, reference, negated)
        assert f1 < 1.0 and any(label.startswith("not:") for label in details["invented"])
    if soft is not None:
        f1, details = scores(soft_group, reference, soft)
        assert details["soft"] and 0.0 < f1 < 1.0
    if value is not None:
        assert scores(soft_group, reference, value)[0] == 1.0
