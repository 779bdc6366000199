"""Soft matching: pair leftover facts of one category by the similarity of their concepts.

Pure maths over plain vectors; which model makes the vectors is the group's business.

After exact and value matching, a missed reference fact and an invented hypothesis fact may
still name *nearly* the same thing: "chronic gastritis" against "chronic active gastritis",
"adenocarcinoma" against "tubular adenocarcinoma". Such a pair is soft-matched when

- both facts have the same category, not one of `NO_SOFT_CATEGORIES` (markers and
  measurements), and the same polarity (negated, uncertain),
- their concepts have the same behaviour (`same_behaviour`): a carcinoma in situ is never
  the near neighbour of an invasive carcinoma, whatever the words,
- neither name is the other's negation or opposite (`opposed_names`): "non-small cell
  carcinoma" and "small cell carcinoma", or "high-grade" and "low-grade squamous
  intraepithelial lesion", have close vectors (0.91, 0.98) and opposite meanings,
- the cosine of the concepts' name vectors is at least `SOFT_THRESHOLD`.

Pairs are taken greedily, most similar first (ties: earlier reference fact, then earlier
hypothesis fact), each fact at most once. A soft match earns `SOFT_CREDIT` of a match in
precision, recall and F1: the hypothesis named a neighbouring concept, not the concept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

SOFT_THRESHOLD = 0.80
"""Cosine of all-MiniLM-L6-v2 vectors of the concepts' preferred names. Set by reading every
same-category pair of the shipped lexicon, not fitted to any rating: at 0.80 "chronic
gastritis" ~ "chronic active gastritis" (0.93) and "urothelial carcinoma" ~ "invasive
urothelial carcinoma" (0.86) pair, while "tumor" ~ "carcinoma" (0.79), two procedures
(at most 0.78) or two sites do not. docs/clinical-metrics.md lists the pairs."""
SOFT_CREDIT = 0.5
"""Half a match: the neighbouring concept is close, but a pathologist would correct it."""


def cosine_matrix(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Cosines of every row of `left` with every row of `right`; a zero vector gives 0."""
    a = np.asarray(left, dtype=np.float64)
    b = np.asarray(right, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        return np.zeros((a.shape[0] if a.ndim == 2 else 0, b.shape[0] if b.ndim == 2 else 0))
    norms = np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :]
    dots = a @ b.T
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def greedy_pairs(
    similarity: np.ndarray, allowed: np.ndarray | None = None, *, threshold: float
) -> list[tuple[int, int, float]]:
    """One-to-one (row, column, similarity) pairs, most similar first, all >= threshold.

    `allowed[i, j]` False forbids a pair (other category, polarity or behaviour).
    """
    sims = np.asarray(similarity, dtype=np.float64)
    if sims.size == 0:
        return []
    mask = sims >= threshold
    if allowed is not None:
        mask &= np.asarray(allowed, dtype=bool)
    rows, cols = np.nonzero(mask)
    order = sorted(zip(rows.tolist(), cols.tolist(), strict=True), key=lambda p: (-sims[p], p))
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for row, col in order:
        if row in used_rows or col in used_cols:
            continue
        used_rows.add(row)
        used_cols.add(col)
        pairs.append((row, col, float(sims[row, col])))
    return sorted(pairs)


BEHAVIOUR_TIERS = {
    "malignant": "malignant",
    "in_situ": "precursor",
    "uncertain": "precursor",
    "benign": "benign",
    "non_neoplastic": "benign",
}
"""Three tiers a treating clinician acts on: treat as cancer, watch or excise, reassure."""


def same_behaviour(reference: str | None, hypothesis: str | None) -> bool:
    """For soft pairs: the very same behaviour (an in-situ lesion and one of uncertain
    behaviour share a tier but are not neighbours), or none stated on either side."""
    return reference == hypothesis


def behaviours_compatible(reference: str | None, hypothesis: str | None) -> bool:
    """Same tier, or at least one side without a stated behaviour (organ, grade, finding)."""
    if reference is None or hypothesis is None:
        return True
    return BEHAVIOUR_TIERS.get(reference, reference) == BEHAVIOUR_TIERS.get(hypothesis, hypothesis)


_NEGATING_WORDS = frozenset({"non", "not", "no", "without", "absent", "negative"})
_CONTRASTS = (
    frozenset({"high", "low", "intermediate"}),
    frozenset({"acute", "chronic"}),
    frozenset({"benign", "malignant"}),
    frozenset({"well", "moderately", "poorly"}),
    frozenset({"positive", "negative"}),
    frozenset({"involved", "examined"}),
    frozenset({"primary", "secondary", "metastatic"}),
)
"""Words that name opposite ends of one scale: two names differing by them are opposites
("high-grade" against "low-grade squamous intraepithelial lesion", 0.98 in MiniLM)."""
NO_SOFT_CATEGORIES = frozenset({"biomarker", "lymph_node", "stage", "size", "margin"})
"""Categories whose concepts are distinct markers or measurements with code-like names
("CD117" ~ "CD138" is 0.91): a near name there is another thing, never a neighbour."""
_WORD = re.compile(r"[a-z0-9]+")


def opposed_names(left: str, right: str) -> bool:
    """Does one name negate the other ("non-small cell carcinoma" / "small cell carcinoma",
    "noninvasive ..." / "invasive ...")? Then they are opposites, however close the vectors."""
    a, b = set(_WORD.findall(left.lower())), set(_WORD.findall(right.lower()))
    for word in a ^ b:
        if word in _NEGATING_WORDS:
            return True
        if word.startswith("non") and word[3:] in (a | b):
            return True
    return any((a - b) & scale and (b - a) & scale for scale in _CONTRASTS)


def finer_name(reference: str, hypothesis: str) -> bool:
    """Is the hypothesis name the reference name with words put in front ("tubular
    adenocarcinoma" for "adenocarcinoma", "core-needle biopsy" for "biopsy")? Then the
    hypothesis names a finer kind of the same thing. Negated names never count
    ("non-small cell carcinoma" is not a kind of "small cell carcinoma")."""
    ref = _WORD.findall(reference.lower())
    hyp = _WORD.findall(hypothesis.lower())
    if not ref or len(hyp) <= len(ref) or hyp[len(hyp) - len(ref) :] != ref:
        return False
    return not opposed_names(reference, hypothesis)


def allowed_matrix(
    reference_keys: Sequence[tuple[str, object, str | None, str]],
    hypothesis_keys: Sequence[tuple[str, object, str | None, str]],
) -> np.ndarray:
    """(category, polarity, behaviour, name) of each side -> which pairs may soft-match."""
    allowed = np.zeros((len(reference_keys), len(hypothesis_keys)), dtype=bool)
    for i, (r_category, r_polarity, r_behaviour, r_name) in enumerate(reference_keys):
        for j, (h_category, h_polarity, h_behaviour, h_name) in enumerate(hypothesis_keys):
            allowed[i, j] = (
                r_category == h_category
                and r_category not in NO_SOFT_CATEGORIES
                and r_polarity == h_polarity
                and same_behaviour(r_behaviour, h_behaviour)
                and not opposed_names(r_name, h_name)
            )
    return allowed
