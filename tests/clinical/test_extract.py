from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from reg_eval.clinical.extract import FactExtractor
from reg_eval.clinical.facts import parse_label, unique_facts
from reg_eval.clinical.lexicon import CATEGORIES, load_lexicon

MIN_PRECISION = 0.95
MIN_RECALL = 0.95


def test_the_annotated_set_is_large_enough(annotated_pairs: list[dict[str, Any]]) -> None:
    assert len(annotated_pairs) >= 60
    organs = {pair["id"].split("-")[0] for pair in annotated_pairs}
    assert organs == {"breast", "prostate", "stomach", "lung", "colorectum", "cervix", "bladder"}


def test_extraction_precision_and_recall_per_category(
    extractor: FactExtractor, annotated_pairs: list[dict[str, Any]]
) -> None:
    lexicon = load_lexicon()
    found: dict[str, int] = defaultdict(int)
    expected: dict[str, int] = defaultdict(int)
    correct: dict[str, int] = defaultdict(int)
    failures = []
    for pair in annotated_pairs:
        for side in ("ref", "hyp"):
            gold = set(pair[f"{side}_facts"])
            got = {fact.label for fact in unique_facts(extractor.extract(pair[side]))}
            if gold != got:
                failures.append((pair["id"], side, sorted(gold - got), sorted(got - gold)))
            for label in gold:
                concept_id = parse_label(label, "any").concept_id
                expected[lexicon.category_of(concept_id)] += 1
                correct[lexicon.category_of(concept_id)] += label in got
            for label in got:
                concept_id = parse_label(label, "any").concept_id
                found[lexicon.category_of(concept_id)] += 1
    covered = {"organ", "procedure", "diagnosis", "histologic_type", "grade", "size"}
    covered |= {"margin", "invasion", "finding"}
    assert covered <= {category for category in CATEGORIES if expected[category]}
    for category in covered:
        precision = correct[category] / found[category]
        recall = correct[category] / expected[category]
        assert precision >= MIN_PRECISION, (category, precision, failures)
        assert recall >= MIN_RECALL, (category, recall, failures)


@pytest.mark.parametrize(
    "text",
    [
        "core-needle biopsy",
        "core needle biopsy",
        "Core Needle Biopsy",
        "CORE-NEEDLE BIOPSY",
        "core  -  needle\n  biopsy",
        "needle core biopsy",
        "CNB",
    ],
)
def test_case_hyphens_and_spacing_do_not_matter(extractor: FactExtractor, text: str) -> None:
    assert [fact.label for fact in extractor.extract(text)] == ["core_needle_biopsy"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sono guided core biopsy", "sono_guided_core_biopsy"),
        ("Sono-guided core-needle biopsy", "sono_guided_core_biopsy"),
        ("TUR-BT", "transurethral_resection"),
        ("turbt", "transurethral_resection"),
        ("low grade dysplasia", "dysplasia=low"),
        ("Low-Grade Dysplasia", "dysplasia=low"),
        ("invasive ductal carcinoma", "invasive_carcinoma_nst"),
        ("non-small cell carcinoma", "non_small_cell_carcinoma"),
        ("small cell carcinoma", "small_cell_carcinoma"),
        ("Gleason’s score 7 (3+4)", "gleason_score=7 (3+4)"),
        ("CIN3", "cin=3"),
        ("CIN-2", "cin=2"),
        ("CIN 2/3", "cin=2-3"),
    ],
)
def test_longest_match_wins_and_maps_to_one_concept(
    extractor: FactExtractor, text: str, expected: str
) -> None:
    assert [fact.label for fact in extractor.extract(text)] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gleason's score 7 (3+4)", ["gleason_score=7 (3+4)"]),
        ("grade II", ["nottingham_grade=2"]),
        ("grade group 2", ["grade_group=2"]),
        ("tumor volume: 30%", ["tumor_volume=30%"]),
        (
            "Tubule formation: 3, Nuclear grade: 2, Mitoses: 1",
            ["tubule_formation=3", "nuclear_pleomorphism=2", "mitotic_count=1"],
        ),
        ("high nuclear grade", ["nuclear_pleomorphism=high"]),
        ("moderately differentiated", ["differentiation=moderate"]),
        # a bare "grade" without a value is not a fact; a named score without one is
        ("grade cannot be assessed", []),
        ("Gleason score not assessable", ["gleason_score"]),
    ],
)
def test_values_are_carried(extractor: FactExtractor, text: str, expected: list[str]) -> None:
    assert [fact.label for fact in extractor.extract(text)] == expected


def test_facts_keep_their_span_and_category(extractor: FactExtractor) -> None:
    text = "Prostate, biopsy;\n  No tumor present"
    facts = extractor.extract(text)
    assert [(f.concept_id, f.category, f.value, f.negated, f.text) for f in facts] == [
        ("prostate", "organ", None, False, "Prostate"),
        ("biopsy", "procedure", None, False, "biopsy"),
        ("tumor", "diagnosis", None, True, "tumor"),
    ]
    assert all(text[f.start : f.start + len(f.text)] == f.text for f in facts)


def test_extract_many_keeps_order(extractor: FactExtractor) -> None:
    results = extractor.extract_many(["Lung", "", "Breast"])
    assert [[f.concept_id for f in facts] for facts in results] == [["lung"], [], ["breast"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an organ named inside a procedure term is the site as well
        ("Endometrial biopsy: endometrioid carcinoma", ["endometrium", "endometrial_biopsy"]),
        ("Thyroid lobectomy: papillary carcinoma", ["thyroid", "lobectomy"]),
        ("Transbronchial lung biopsy", ["transbronchial_biopsy", "lung"]),
        ("Bladder biopsy", ["urinary_bladder", "cystoscopic_biopsy"]),
        # the adjective of an organ names the site
        ("Gastric biopsy", ["stomach", "biopsy"]),
        ("Rectal biopsy", ["colorectum", "biopsy"]),
        ("Colonic biopsy", ["colorectum", "biopsy"]),
        ("Renal mass, core biopsy", ["kidney", "core_needle_biopsy"]),
        ("Hepatic lesion, needle biopsy", ["liver", "core_needle_biopsy"]),
        ("Pulmonary nodule, wedge resection", ["lung", "wedge_resection"]),
        ("Ovarian cyst, cystectomy of ovary", ["ovary", "salpingo_oophorectomy", "ovary"]),
        ("Testicular mass, excision", ["testis", "excision"]),
        ("Prostatic biopsies", ["prostate", "biopsy"]),
        ("Oesophageal biopsy; esophageal biopsy", ["oesophagus", "biopsy"] * 2),
        ("Duodenal biopsy", ["duodenum", "biopsy"]),
        ("Pancreatic mass", ["pancreas"]),
        ("Cutaneous lesion, punch biopsy", ["skin", "punch_biopsy"]),
        ("Myometrial nodule", ["myometrium"]),
        ("Dura, resection", ["meninges", "excision"]),
        # a longer term still wins over the adjective
        ("Renal pelvis", ["renal_pelvis"]),
        ("Hepatic flexure", ["colorectum"]),
        # the endoscopy named after the biopsy
        ("Rectum, biopsy (colonoscopy)", ["colorectum", "colonoscopic_biopsy"]),
        ("Duodenum, biopsies (endoscopy)", ["duodenum", "endoscopic_biopsy"]),
    ],
)
def test_organ_sites_and_procedures(
    extractor: FactExtractor, text: str, expected: list[str]
) -> None:
    facts = [f for f in extractor.extract(text) if f.category in ("organ", "procedure")]
    assert [f.concept_id for f in facts] == expected


def test_an_organ_inside_a_procedure_keeps_its_own_span(extractor: FactExtractor) -> None:
    text = "Thyroid lobectomy"
    facts = extractor.extract(text)
    assert [(f.concept_id, f.text, f.start) for f in facts] == [
        ("thyroid", "Thyroid", 0),
        ("lobectomy", "Thyroid lobectomy", 0),
    ]
