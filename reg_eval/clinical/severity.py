"""How much each clinical error weighs: category weights, behaviour and the malignancy tier.

Pure functions; the weights are written down and argued in docs/clinical-metrics.md
("Severity"), chosen from what each statement changes for the patient, never fitted to
ratings. Changing any number here changes scores: bump `SEVERITY_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from reg_eval.clinical.facts import Fact

SEVERITY_VERSION = "severity-v2"

CATEGORY_WEIGHTS: Mapping[str, float] = {
    "diagnosis": 3.0,
    "histologic_type": 2.0,
    "grade": 2.0,
    "stage": 2.0,
    "margin": 2.0,
    "lymph_node": 2.0,
    "biomarker": 2.0,
    "invasion": 1.5,
    "size": 1.0,
    "organ": 1.0,
    "procedure": 0.5,
    "finding": 0.5,
}
DEFAULT_WEIGHT = 1.0
"""For a category the table does not name (a lexicon may add one)."""

TIERS = ("benign", "intermediate", "malignant")
"""What a treating clinician does with the report: reassure, excise or watch, treat as cancer."""
TIER_OF_BEHAVIOUR: Mapping[str, str] = {
    "malignant": "malignant",
    "in_situ": "intermediate",
    "uncertain": "intermediate",
    "benign": "benign",
    "non_neoplastic": "benign",
}
MALIGNANCY_PENALTY_PER_STEP = 0.25
"""The weighted score is multiplied by 1 - 0.25 per tier between the two reports: benign
against malignant (two steps) halves it; a hypothesis with no diagnosis at all where the
reference has one costs one step."""

# Behaviour of a concept whose lexicon entry does not state one, read from its id. Checked
# in this order; the first rule whose word occurs in the id decides.
_BEHAVIOUR_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("in_situ", ("in_situ", "noninvasive", "non_invasive", "hsil", "hgpin", "_cis")),
    ("uncertain", ("atypical", "dysplasia", "intraepithelial_neoplasia", "borderline")),
    (
        "malignant",
        (
            "carcinoma", "sarcoma", "lymphoma", "melanoma", "leukemia", "leukaemia", "blastoma",
            "mesothelioma", "seminoma", "myeloma", "malignan", "tumor", "tumour", "cancer",
        ),
    ),
    (
        "non_neoplastic",
        (
            "itis", "metaplasia", "inflammation", "ulcer", "erosion", "granulom", "necrosis",
            "reactive", "fibrosis", "atrophy", "normal", "benign",
        ),
    ),
    (
        "benign",
        (
            "adenoma", "polyp", "papilloma", "hyperplasia", "nevus", "naevus", "lipoma",
            "leiomyoma", "fibroma", "hamartoma", "cyst", "fibrocystic", "lsil", "hemangioma",
            "schwannoma", "serrated_lesion",
        ),
    ),
)


DESCRIPTION_FACTOR = 0.5
"""A fact stated in the description of a report that has a diagnosis section counts half:
the diagnosis section is what the clinician acts on; the description is its evidence."""
GENERIC_FACTOR = 0.2
"""A generic morphology fact (below) the reference does not state costs a fifth of its
weight: it says nothing about which lesion this is, so it should neither earn nor cost much."""
CONTRADICTION_PENALTY = 0.25
"""A report whose description puts the case in another malignancy tier than its diagnosis
section must be amended before anyone acts on it: as costly as one tier of malignancy."""
GENERIC_MORPHOLOGY: frozenset[str] = frozenset({
    "nuclear_pleomorphism", "mitotic_count", "atypia_finding", "atypical_cells", "necrosis",
    "fibrosis", "hemorrhage", "edema", "inflammation", "chronic_inflammation",
    "infiltrative_subtype", "tumor", "immunohistochemistry", "no_diagnostic_abnormality",
})
"""Concepts that describe how almost any neoplasm (or any tissue) looks: pleomorphism,
mitoses, necrosis, desmoplasia (read as fibrosis), atypia, an infiltrative pattern,
inflammation, haemorrhage, "the tumour", "unremarkable". Generic only without a value: a
Nottingham component ("nuclear grade 2", "mitoses: 1") is a specific statement. "No tumour"
(negated `tumor`) is a diagnosis, not description."""


def is_generic(fact: Fact) -> bool:
    """Is the fact generic morphology (see `GENERIC_MORPHOLOGY`)?"""
    if fact.concept_id not in GENERIC_MORPHOLOGY or fact.value is not None:
        return False
    return not (fact.concept_id == "tumor" and fact.negated)


def category_weight(category: str) -> float:
    return CATEGORY_WEIGHTS.get(category, DEFAULT_WEIGHT)


def behaviour_from_id(concept_id: str) -> str | None:
    """The fallback reading of behaviour from a concept id; None for modifiers and sites."""
    for behaviour, words in _BEHAVIOUR_RULES:
        if any(word in concept_id for word in words):
            return behaviour
    return None


def behaviour_table(concepts: Iterable[object]) -> dict[str, str | None]:
    """concept id -> behaviour for diagnosis-like concepts: the lexicon's `behaviour` field
    where a concept has one, else `behaviour_from_id` for diagnosis and histologic type."""
    table: dict[str, str | None] = {}
    for concept in concepts:
        concept_id = str(getattr(concept, "id"))  # noqa: B009 - any object with an id
        stated = getattr(concept, "behaviour", None)
        category = getattr(concept, "category", "")
        if stated:
            table[concept_id] = str(stated)
        elif category in ("diagnosis", "histologic_type"):
            table[concept_id] = behaviour_from_id(concept_id)
        else:
            table[concept_id] = None
    return table


def is_uncertain(fact: Fact) -> bool:
    """Facts may carry `uncertain` ("suspicious for", "cannot be excluded"); old ones do not."""
    return bool(getattr(fact, "uncertain", False))


def report_tier(facts: Iterable[Fact], behaviour_of: Callable[[str], str | None]) -> str | None:
    """The malignancy tier a report states, or None when it states no diagnosis.

    The gravest affirmed diagnosis decides. A diagnosis stated only as uncertain ("suspicious
    for carcinoma") counts as intermediate: it sends the patient back for more tissue, not to
    treatment. A report whose only diagnoses are negated ("no tumour", "negative for
    malignancy") is benign.
    """
    affirmed: list[str] = []
    negated_any = False
    for fact in facts:
        behaviour = behaviour_of(fact.concept_id)
        if behaviour is None:
            continue
        if fact.negated:
            negated_any = True
            continue
        tier = TIER_OF_BEHAVIOUR.get(behaviour)
        if tier is None:
            continue
        if is_uncertain(fact) and tier == "malignant":
            tier = "intermediate"
        affirmed.append(tier)
    if affirmed:
        return max(affirmed, key=TIERS.index)
    return "benign" if negated_any else None


def malignancy_steps(reference: str | None, hypothesis: str | None) -> float:
    """Tiers between the two reports; NaN where the reference states no diagnosis."""
    if reference is None:
        return float("nan")
    if hypothesis is None:
        return 1.0
    return float(abs(TIERS.index(reference) - TIERS.index(hypothesis)))
