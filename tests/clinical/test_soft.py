"""Soft matching maths with plain vectors: cosines, one-to-one greedy pairs, the guards."""

from __future__ import annotations

import numpy as np
import pytest

from reg_eval.clinical.facts import Fact
from reg_eval.clinical.scores import counts_of, match_facts, precision_recall_f1, soft_match
from reg_eval.clinical.soft import (
    SOFT_CREDIT,
    SOFT_THRESHOLD,
    behaviours_compatible,
    cosine_matrix,
    finer_name,
    greedy_pairs,
    opposed_names,
)


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def test_cosine_matrix_by_hand() -> None:
    left = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    right = np.array([[2.0, 0.0], [0.0, 3.0]])
    expected = np.array([[1.0, 0.0], [2**-0.5, 2**-0.5], [0.0, 0.0]])
    assert cosine_matrix(left, right) == pytest.approx(expected)
    assert cosine_matrix(np.zeros((0, 2)), right).shape == (0, 2)


def test_greedy_pairs_take_the_most_similar_first_one_to_one() -> None:
    sims = np.array([[0.90, 0.95], [0.85, 0.50]])
    # (0, 1) first at 0.95, then row 1 can only take column 0 (0.85)
    assert greedy_pairs(sims, threshold=0.8) == [(0, 1, 0.95), (1, 0, 0.85)]
    assert greedy_pairs(sims, threshold=0.9) == [(0, 1, 0.95)]
    forbidden = np.array([[True, False], [True, True]])
    assert greedy_pairs(sims, forbidden, threshold=0.8) == [(0, 0, 0.90)]
    assert greedy_pairs(np.zeros((0, 3)), threshold=0.5) == []


def test_ties_go_to_the_earlier_reference_fact() -> None:
    sims = np.array([[0.9], [0.9]])
    assert greedy_pairs(sims, threshold=0.8) == [(0, 0, 0.9)]


def test_opposed_names() -> None:
    assert opposed_names("non-small cell carcinoma", "small cell carcinoma")
    assert opposed_names("keratinizing", "non-keratinizing")
    assert opposed_names("noninvasive papillary carcinoma", "invasive papillary carcinoma")
    assert not opposed_names("chronic gastritis", "chronic active gastritis")
    assert not opposed_names("nodular hyperplasia", "nodal metastasis")
    assert opposed_names("high-grade squamous intraepithelial lesion",
                         "low-grade squamous intraepithelial lesion")
    assert opposed_names("acute gastritis", "chronic gastritis")
    assert opposed_names("lymph nodes involved", "lymph nodes examined")
    assert not opposed_names("chronic gastritis", "chronic atrophic gastritis")


def test_finer_name() -> None:
    assert finer_name("adenocarcinoma", "tubular adenocarcinoma")
    assert finer_name("biopsy", "core-needle biopsy")
    assert finer_name("urothelial carcinoma", "invasive urothelial carcinoma")
    assert not finer_name("tubular adenocarcinoma", "adenocarcinoma")  # coarser
    assert not finer_name("adenoma", "fibroadenoma")  # words, not letters
    assert not finer_name("adenoma", "adenoma")
    assert not finer_name("small cell carcinoma", "non-small cell carcinoma")


def test_behaviour_tiers() -> None:
    assert behaviours_compatible("malignant", "malignant")
    assert behaviours_compatible("in_situ", "uncertain")
    assert behaviours_compatible("benign", "non_neoplastic")
    assert not behaviours_compatible("malignant", "in_situ")
    assert not behaviours_compatible("benign", "malignant")
    assert behaviours_compatible(None, "malignant")


def fact(concept_id: str, category: str = "diagnosis", *, negated: bool = False,
         start: int = 0) -> Fact:
    return Fact(concept_id, category, None, negated, concept_id, start)


VECTORS = {
    "chronic_gastritis": unit(1.0, 0.1, 0.0),
    "chronic_active_gastritis": unit(1.0, 0.3, 0.0),  # cosine 0.98 with the one above
    "adenocarcinoma": unit(0.0, 1.0, 0.0),
    "tubular_adenoma": unit(0.0, 1.0, 0.1),  # close vector, other behaviour
    "stomach": unit(0.0, 0.0, 1.0),
}
BEHAVIOUR = {
    "chronic_gastritis": "non_neoplastic",
    "chronic_active_gastritis": "non_neoplastic",
    "adenocarcinoma": "malignant",
    "tubular_adenoma": "benign",
}


def test_soft_match_gives_half_credit_to_a_neighbouring_concept() -> None:
    exact = match_facts([fact("stomach", "organ"), fact("chronic_gastritis", start=1)],
                        [fact("stomach", "organ"), fact("chronic_active_gastritis", start=1)])
    assert len(exact.missed) == len(exact.invented) == 1
    soft = soft_match(exact, VECTORS, BEHAVIOUR.get)
    assert [(r.concept_id, h.concept_id) for r, h, _s in soft.soft] == [
        ("chronic_gastritis", "chronic_active_gastritis")
    ]
    assert soft.missed == soft.invented == ()
    counts = counts_of(soft)
    assert (counts.matched, counts.reference, counts.hypothesis) == (1 + SOFT_CREDIT, 2, 2)
    assert precision_recall_f1(counts).f1 == pytest.approx((1 + SOFT_CREDIT) / 2)


def test_soft_match_needs_the_same_behaviour_and_a_category_with_neighbours() -> None:
    vectors = {"hsil": unit(1.0, 0.0), "lsil": unit(1.0, 0.05), "cd117": unit(0.0, 1.0),
               "cd138": unit(0.05, 1.0)}
    behaviour = {"hsil": "in_situ", "lsil": "uncertain"}.get
    tier_only = match_facts([fact("hsil")], [fact("lsil")])
    assert soft_match(tier_only, vectors, behaviour).soft == ()  # one tier, not one behaviour
    markers = match_facts([fact("cd117", "biomarker")], [fact("cd138", "biomarker")])
    assert soft_match(markers, vectors, lambda _c: None).soft == ()


def test_soft_match_never_crosses_behaviour_category_or_polarity() -> None:
    behaviour = match_facts([fact("adenocarcinoma")], [fact("tubular_adenoma")])
    assert soft_match(behaviour, VECTORS, BEHAVIOUR.get).soft == ()
    category = match_facts([fact("chronic_gastritis")],
                           [fact("chronic_active_gastritis", "finding")])
    assert soft_match(category, VECTORS, BEHAVIOUR.get).soft == ()
    polarity = match_facts([fact("chronic_gastritis", negated=True)],
                           [fact("chronic_active_gastritis")])
    assert soft_match(polarity, VECTORS, BEHAVIOUR.get).soft == ()


def test_soft_match_respects_the_threshold_and_missing_vectors() -> None:
    far = {"a": unit(1.0, 0.0), "b": unit(np.cos(0.7), np.sin(0.7))}  # cosine 0.765
    case = match_facts([fact("a")], [fact("b")])
    assert float(np.cos(0.7)) < SOFT_THRESHOLD
    assert soft_match(case, far, lambda _c: None).soft == ()
    assert len(soft_match(case, far, lambda _c: None, threshold=0.7).soft) == 1
    assert soft_match(case, {"a": far["a"]}, lambda _c: None).soft == ()


@pytest.mark.slow
def test_soft_matching_embeds_with_the_semantic_groups_model_identity() -> None:
    """Same model, same identity: concept names and semantic texts share the cache."""
    from reg_eval.clinical.group import _sentence_backend
    from reg_eval.groups import ScoringContext
    from reg_eval.standard.semantic import SemanticGroup

    context = ScoringContext()
    ours, theirs = _sentence_backend(context), SemanticGroup(None).make_backend(context)
    assert ours.identity == theirs.identity
    assert ours.model == theirs.model
    assert ours.namespace == theirs.namespace
