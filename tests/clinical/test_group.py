from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reg_eval.clinical.group import COLUMNS, ClinicalGroup
from reg_eval.groups import GroupResult, ScoringContext, load_group
from reg_eval.metrics.key_jaccard import key_jaccard, keywords

ENTITY_PATTERNS = (
    Path(__file__).resolve().parents[2] / "reg_eval" / "data" / "pathology_entity_patterns.jsonl"
)


@pytest.fixture(scope="module")
def group() -> ClinicalGroup:
    """Exact matching only, so per-case values follow from set arithmetic on the facts."""
    return ClinicalGroup(soft=False, finer=False)


def compute(group: ClinicalGroup, refs: list[str], hyps: list[str], **context: Any) -> GroupResult:
    return group.compute(refs, hyps, ScoringContext(**context))


def test_registered_as_the_clinical_group() -> None:
    assert isinstance(load_group("clinical"), ClinicalGroup)


def test_importing_the_group_does_not_import_spacy() -> None:
    code = "import sys, reg_eval.clinical.group; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_per_case_f1_equals_the_hand_annotated_facts(
    group: ClinicalGroup, annotated_pairs: list[dict[str, Any]]
) -> None:
    refs = [pair["ref"] for pair in annotated_pairs]
    result = compute(group, refs, [pair["hyp"] for pair in annotated_pairs])
    for index, pair in enumerate(annotated_pairs):
        ref, hyp = set(pair["ref_facts"]), set(pair["hyp_facts"])
        matched = len(ref & hyp)
        assert result.per_case["clinical_precision"][index] == pytest.approx(matched / len(hyp))
        assert result.per_case["clinical_recall"][index] == pytest.approx(matched / len(ref))
        expected_f1 = 2 * matched / (len(ref) + len(hyp))
        assert result.per_case["clinical_f1"][index] == pytest.approx(expected_f1), pair["id"]
        assert sorted(result.details[index]["missed"]) == sorted(ref - hyp)
        assert sorted(result.details[index]["invented"]) == sorted(hyp - ref)


def test_result_shape_and_undefined_values(group: ClinicalGroup) -> None:
    refs = ["Prostate, biopsy;\n  No tumor present", "", "Lung, biopsy;\n  Adenocarcinoma"]
    hyps = ["Prostate, biopsy;\n  Negative for malignancy", "", ""]
    result = compute(group, refs, hyps)
    assert result.name == "clinical"
    # The headline leads; the diagnostics follow in their declared order.
    assert list(result.per_case) == [
        "clinical_weighted", *(c for c in COLUMNS if c != "clinical_weighted")
    ]
    assert result.headline == "clinical_weighted"
    for values in result.per_case.values():
        assert values.dtype == np.float64 and values.shape == (3,)
    f1 = result.per_case["clinical_f1"]
    # both empty: undefined (no fact to compare), never a perfect 1.0; one side empty: 0
    assert f1[0] == 1.0 and math.isnan(f1[1]) and f1[2] == 0.0
    assert math.isnan(result.per_case["clinical_precision"][2])  # no hypothesis fact
    # no reference grade anywhere: grade_correct is undefined in every case
    assert np.isnan(result.per_case["grade_correct"]).all()
    organ = result.per_case["organ_correct"]
    assert organ[0] == 1.0 and math.isnan(organ[1]) and organ[2] == 0.0
    assert result.per_case["malignancy_correct"][0] == 1.0  # benign = benign
    assert result.per_case["malignancy_correct"][2] == 0.0  # cancer missed
    assert result.details[2] == {
        "missed": ["lung", "biopsy", "adenocarcinoma"], "invented": [], "soft": []
    }
    json.dumps(result.breakdowns, allow_nan=False)  # JSON-ready: undefined is null


def test_a_report_that_says_nothing_is_not_field_correct(group: ClinicalGroup) -> None:
    """The issue's grade_correct that rewarded silence: now undefined, or wrong."""
    ref = "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II"
    result = compute(group, [ref, "Breast, core-needle biopsy;\n  Fibroadenoma"],
                     ["", "Breast, core-needle biopsy;\n  Fibroadenoma, grade 2"])
    assert result.per_case["grade_correct"][0] == 0.0  # the reference has a grade
    assert result.per_case["diagnosis_correct"][0] == 0.0
    assert result.per_case["clinical_f1"][0] == 0.0
    assert math.isnan(result.per_case["grade_correct"][1])  # reference has none
    assert result.per_case["clinical_precision"][1] == pytest.approx(3 / 4)  # invented grade


def test_official_key_gives_zero_where_clinical_gives_one() -> None:
    assert key_jaccard(frozenset(), frozenset()) == 0.0


def test_breakdowns_by_category_and_organ(group: ClinicalGroup) -> None:
    refs = [
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
        "Colon, colonoscopic biopsy;\n  Tubular adenoma with low-grade dysplasia",
    ]
    hyps = [
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade III",
        "Rectum, colonoscopic biopsy;\n  Tubular adenoma with low-grade dysplasia",
    ]
    result = compute(group, refs, hyps)
    by_category = {row["category"]: row for row in result.breakdowns["clinical_by_category"]}
    assert set(by_category) == {"organ", "procedure", "diagnosis", "grade"}  # no finding anywhere
    grade = by_category["grade"]
    # grade: case 1 has 0 of 1, case 2 has 1 of 1
    counts = ("cases", "reference_facts", "hypothesis_facts", "matched")
    assert tuple(grade[name] for name in counts) == (2, 2, 2, 1)
    assert grade["micro_f1"] == pytest.approx(0.5)
    assert grade["macro_f1"] == pytest.approx(0.5)
    by_organ = {row["organ"]: row for row in result.breakdowns["clinical_by_organ"]}
    assert list(by_organ) == ["Breast", "Colorectum"]
    assert by_organ["Breast"]["micro_f1"] == pytest.approx(6 / 8)
    assert by_organ["Colorectum"]["micro_f1"] == 1.0
    overall = result.breakdowns["clinical_overall"]
    assert overall["micro_f1"] == pytest.approx(7 / 8)
    assert result.corpus["clinical_micro_f1"] == pytest.approx(7 / 8)
    # organs from the context win over organ_of(reference)
    relabelled = compute(group, refs, hyps, organs=("Lung", "Lung"))
    assert [row["organ"] for row in relabelled.breakdowns["clinical_by_organ"]] == ["Lung"]


def test_signature(group: ClinicalGroup) -> None:
    signature = compute(group, ["Lung"], ["Lung"]).signature
    assert re.fullmatch(
        r"lexicon sha256:[0-9a-f]{16}\|rules:negex-v2\|match:concept\+value\+polarity"
        r"\|soft:off\|severity-v2\|spacy-3\.7\.\d+",
        signature["clinical"],
    )
    assert "|match:concept+value+polarity+finer|" in ClinicalGroup().signature()["clinical"]


def test_a_finer_kind_of_the_reference_concept_matches() -> None:
    """The reference says "adenocarcinoma"; "tubular adenocarcinoma" is one (nothing wrong),
    while the reverse leaves the finer reference fact unstated."""
    group = ClinicalGroup()
    coarse = "Stomach, endoscopic biopsy;\n  Adenocarcinoma"
    fine = "Stomach, endoscopic biopsy;\n  Tubular adenocarcinoma"
    result = compute(group, [coarse, fine], [fine, coarse])
    assert result.per_case["clinical_f1"].tolist() == [1.0, pytest.approx(2 / 3)]
    assert result.per_case["diagnosis_correct"].tolist() == [1.0, 0.0]
    assert compute(ClinicalGroup(finer=False), [coarse], [fine]).per_case["clinical_f1"][0] < 1


def test_mismatched_lengths_are_refused(group: ClinicalGroup) -> None:
    from reg_eval.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="2 references but 1 hypotheses"):
        compute(group, ["a", "b"], ["a"])


# -- clinical F1 against the official KEY on wrong-organ and wrong-grade reports ----------

# (reference, paraphrase of it, report with the wrong organ or grade)
RANKING_CASES = [
    (
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
        "Breast, core needle biopsy: invasive ductal carcinoma, Nottingham grade 2",
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade III",
    ),
    (
        "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2, "
        "tumor volume: 30%",
        "Prostate gland, biopsy: acinar adenocarcinoma, Gleason score 3+4=7, ISUP grade group 2, "
        "tumour volume 30 %",
        "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (4+3), grade group 3, "
        "tumor volume: 30%",
    ),
    (
        "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2, "
        "tumor volume: 30%",
        "Prostate gland, biopsy: acinar adenocarcinoma, Gleason score 3+4=7, ISUP grade group 2, "
        "tumour volume 30 %",
        "Bladder, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2, "
        "tumor volume: 30%",
    ),
    (
        "Urinary bladder, transurethral resection;\n  Non-invasive papillary urothelial carcinoma, "
        "low grade",
        "Bladder, TURBT;\n  Noninvasive papillary urothelial carcinoma, low-grade",
        "Urinary bladder, transurethral resection;\n  Non-invasive papillary urothelial carcinoma, "
        "high grade",
    ),
    (
        "Uterine cervix, punch biopsy;\n  High-grade squamous intraepithelial lesion (HSIL; CIN 3)",
        "Cervix, punch biopsy: HSIL (CIN III)",
        "Lung, punch biopsy;\n  High-grade squamous intraepithelial lesion (HSIL; CIN 3)",
    ),
]


def stand_in_key() -> Any:
    """KEY with the shipped offline entity-ruler patterns in place of en_core_sci_lg."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    lines = ENTITY_PATTERNS.read_text(encoding="utf-8").splitlines()
    ruler.add_patterns([json.loads(line) for line in lines if line.strip()])

    def key(reference: str, hypothesis: str) -> float:
        return key_jaccard(
            keywords(e.text for e in nlp(reference).ents),
            keywords(e.text for e in nlp(hypothesis).ents),
        )

    return key


def test_clinical_f1_ranks_paraphrase_above_wrong_organ_or_grade_and_key_does_not(
    group: ClinicalGroup,
) -> None:
    key = stand_in_key()
    key_misranks = 0
    for reference, paraphrase, wrong in RANKING_CASES:
        result = compute(group, [reference, reference], [paraphrase, wrong])
        f1_paraphrase, f1_wrong = result.per_case["clinical_f1"]
        assert f1_paraphrase == 1.0
        assert f1_wrong < f1_paraphrase
        assert result.per_case["organ_correct"][1] * result.per_case["grade_correct"][1] == 0.0
        assert result.per_case["clinical_weighted"][1] < 1.0
        if key(reference, wrong) >= key(reference, paraphrase):
            key_misranks += 1
    assert key_misranks >= 3


def test_a_part_of_the_reference_organ_is_a_finer_site() -> None:
    """Endometrium and myometrium are parts of the uterus; the meninges are taken with the
    brain (the CNS site of a meningioma). Not the other way round."""
    group = ClinicalGroup()
    assert group.is_finer("uterus", "endometrium")
    assert group.is_finer("uterus", "myometrium")
    assert group.is_finer("brain", "meninges")
    assert not group.is_finer("endometrium", "uterus")
    assert not group.is_finer("meninges", "brain")
    result = compute(
        group,
        ["Brain, resection;\n  Meningioma", "Dura, resection;\n  Meningioma"],
        ["Dura, resection;\n  Meningioma", "Brain, resection;\n  Meningioma"],
    )
    assert result.per_case["organ_correct"].tolist() == [1.0, 0.0]
