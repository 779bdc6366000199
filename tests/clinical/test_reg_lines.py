"""REG-style diagnosis lines: nearly all must yield a fact, and a subset exactly the right ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from reg_eval.clinical.extract import FactExtractor

LINES_FILE = Path(__file__).resolve().parent / "data" / "reg_diagnosis_lines.txt"
MIN_YIELD = 0.95


def diagnosis_lines() -> list[str]:
    lines = LINES_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def labels(extractor: FactExtractor, text: str) -> list[str]:
    return [fact.label for fact in extractor.extract(text)]


def test_at_least_95_percent_of_the_lines_yield_a_fact(extractor: FactExtractor) -> None:
    lines = diagnosis_lines()
    assert len(lines) >= 120
    silent = [
        line for line, facts in zip(lines, extractor.extract_many(lines), strict=True) if not facts
    ]
    assert 1 - len(silent) / len(lines) >= MIN_YIELD, silent


# Written by hand from the lines; each is a line of reg_diagnosis_lines.txt.
EXPECTED = {
    "- Type: Solid": ["solid_pattern"],
    "- Type: Cribriform": ["cribriform_pattern"],
    "- Type: Micropapillary": ["micropapillary_pattern"],
    "- Type: Papillary": ["papillary_pattern"],
    "- Type: Comedo": ["comedo_pattern"],
    "- Type: Solid and cribriform": ["solid_pattern", "cribriform_pattern"],
    "- Nuclear grade: High": ["nuclear_pleomorphism=high"],
    "- Necrosis: Absent": ["not:necrosis"],
    "- Microcalcification: Not identified": ["not:microcalcification"],
    "- Muscle proper: Not identified": ["not:muscularis_propria"],
    "- Muscle proper: Present": ["muscularis_propria"],
    "- Lamina propria invasion: Present": ["lamina_propria_invasion"],
    "Atypical ductal hyperplasia": ["atypical_ductal_hyperplasia"],
    "Columnar cell lesion": ["columnar_cell_lesion"],
    "Columnar cell change with apocrine metaplasia": [
        "columnar_cell_lesion",
        "apocrine_metaplasia",
    ],
    "Sclerosing adenosis": ["sclerosing_adenosis"],
    "Duct ectasia": ["duct_ectasia"],
    "Intraductal papilloma": ["intraductal_papilloma"],
    "Fibroadenoma": ["fibroadenoma"],
    "Fibrocystic change": ["fibrocystic_change"],
    "Flat epithelial atypia": ["flat_epithelial_atypia"],
    "Ductal carcinoma in situ, solid type, high nuclear grade, with comedonecrosis": [
        "ductal_carcinoma_in_situ",
        "solid_pattern",
        "nuclear_pleomorphism=high",
        "necrosis",
    ],
    "Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2, tumor volume: 30%": [
        "acinar_adenocarcinoma",
        "gleason_score=7 (3+4)",
        "grade_group=2",
        "tumor_volume=30%",
    ],
    "Acinar adenocarcinoma, Gleason's score 8 (4+4), grade group 4, tumor volume: 60%, "
    "perineural invasion: present": [
        "acinar_adenocarcinoma",
        "gleason_score=8 (4+4)",
        "grade_group=4",
        "tumor_volume=60%",
        "perineural_invasion",
    ],
    "No tumor present": ["not:tumor"],
    "Benign prostatic tissue": ["not:tumor"],
    "Atypical small acinar proliferation": ["asap"],
    "Chronic gastritis with interstinal metaplasia": ["chronic_gastritis", "intestinal_metaplasia"],
    "Chronic gastritis, Helicobacter pylori: Positive": ["chronic_gastritis", "helicobacter"],
    "Erosion": ["erosion"],
    "Ulcer": ["ulcer"],
    "Chronic gastritis with erosion": ["chronic_gastritis", "erosion"],
    "Poorly cohesive carcinoma, signet ring cell type": [
        "poorly_cohesive_carcinoma",
        "signet_ring_cell_carcinoma",
    ],
    "Diffuse large B-cell lymphoma": ["diffuse_large_b_cell_lymphoma"],
    "Lymphoma": ["lymphoma"],
    "Malignant lymphoma, B-cell type": ["lymphoma"],
    "Tubulovillous adenoma with high grade dysplasia": ["tubulovillous_adenoma", "dysplasia=high"],
    "Non-small cell carcinoma, favor adenocarcinoma": [
        "non_small_cell_carcinoma",
        "maybe:adenocarcinoma",
    ],
    "Adenocarcinoma, lepidic predominant": ["adenocarcinoma", "lepidic_predominant"],
    "Non-invasive papillary urothelial carcinoma, low grade": [
        "noninvasive_papillary_urothelial_carcinoma",
        "two_tier_grade=low",
    ],
    "Invasive urothelial carcinoma, high grade, with lamina propria invasion": [
        "invasive_urothelial_carcinoma",
        "two_tier_grade=high",
        "lamina_propria_invasion",
    ],
    "High-grade squamous intraepithelial lesion (HSIL; CIN 3)": ["hsil", "hsil", "cin=3"],
    "Squamous cell carcinoma, non-keratinizing": ["squamous_cell_carcinoma", "non_keratinizing"],
    "Endometrioid carcinoma, FIGO grade 1": ["endometrioid_carcinoma", "figo_grade=1"],
    "Clear cell renal cell carcinoma, WHO/ISUP grade 2": [
        "clear_cell_renal_cell_carcinoma",
        "who_isup_grade=2",
    ],
    "Metastatic carcinoma in 2 of 15 lymph nodes": [
        "metastatic_carcinoma",
        "lymph_nodes_involved=2/15",
    ],
    "Lymphovascular invasion: Not identified": ["not:lymphovascular_invasion"],
    "Margins: Negative": ["margin=negative"],
    "Suspicious for carcinoma": ["maybe:carcinoma"],
    "Atypical glands, carcinoma cannot be excluded": ["atypical_cells", "maybe:carcinoma"],
    "Consistent with chronic gastritis": ["chronic_gastritis"],
    "No evidence of dysplasia or malignancy": ["not:dysplasia", "not:tumor"],
}


def test_the_expected_lines_are_lines_of_the_file() -> None:
    assert set(EXPECTED) <= set(diagnosis_lines())
    assert len(EXPECTED) >= 40


@pytest.mark.parametrize(("line", "expected"), list(EXPECTED.items()))
def test_exact_facts_of_a_line(extractor: FactExtractor, line: str, expected: list[str]) -> None:
    assert labels(extractor, line) == expected


def test_a_whole_report_reads_header_and_lines(extractor: FactExtractor) -> None:
    report = (
        "Breast, right, core-needle biopsy;\n"
        "  Ductal carcinoma in situ\n"
        "  - Type: Cribriform\n"
        "  - Nuclear grade: Intermediate\n"
        "  - Necrosis: Absent\n"
        "  - Microcalcification: Present"
    )
    assert labels(extractor, report) == [
        "breast",
        "core_needle_biopsy",
        "ductal_carcinoma_in_situ",
        "cribriform_pattern",
        "nuclear_pleomorphism=intermediate",
        "not:necrosis",
        "microcalcification",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[REDACTED]",
        "[specific diagnosis]",
        "[tumor type], [grade]",
        "<diagnosis>",
        "{{organ}}, {{procedure}}",
        "Diagnosis: ____",
        "[X+Y]",
    ],
)
def test_template_debris_is_no_fact(extractor: FactExtractor, text: str) -> None:
    assert labels(extractor, text) == []


def test_debris_beside_real_text_keeps_the_real_facts(extractor: FactExtractor) -> None:
    text = "Breast, [REDACTED] biopsy; [specific diagnosis] with necrosis"
    assert labels(extractor, text) == ["breast", "biopsy", "necrosis"]
