"""Every fact category: an exact term, a synonym, a negation, an uncertainty and a value."""

from __future__ import annotations

import pytest

from reg_eval.clinical.extract import FactExtractor
from reg_eval.clinical.lexicon import CATEGORIES, load_lexicon

# (category, what is tested, text, expected labels), written by hand.
CASES = [
    ("organ", "exact", "Lung, biopsy", ["lung", "biopsy"]),
    ("organ", "synonym", "Right upper lobe, wedge resection", ["lung", "wedge_resection"]),
    ("organ", "negated", "No lung tissue present", ["not:lung"]),
    ("organ", "uncertain", "Possibly lymph node", ["maybe:lymph_node"]),
    ("procedure", "exact", "Core-needle biopsy", ["core_needle_biopsy"]),
    ("procedure", "synonym", "Tru-cut biopsy", ["core_needle_biopsy"]),
    ("procedure", "negated", "Not a biopsy", ["not:biopsy"]),
    ("procedure", "uncertain", "Probably a polypectomy", ["maybe:polypectomy"]),
    ("diagnosis", "exact", "Ductal carcinoma in situ", ["ductal_carcinoma_in_situ"]),
    ("diagnosis", "synonym", "Infiltrating ductal carcinoma", ["invasive_carcinoma_nst"]),
    ("diagnosis", "negated", "No invasive carcinoma", ["not:carcinoma"]),
    ("diagnosis", "uncertain", "Suspicious for lymphoma", ["maybe:lymphoma"]),
    ("histologic_type", "exact", "Cribriform pattern", ["cribriform_pattern"]),
    ("histologic_type", "synonym", "Type: Solid", ["solid_pattern"]),
    (
        "histologic_type",
        "negated",
        "Cribriform component not identified",
        ["not:cribriform_pattern"],
    ),
    (
        "histologic_type",
        "uncertain",
        "Possible micropapillary pattern",
        ["maybe:micropapillary_pattern"],
    ),
    ("grade", "exact", "Gleason score 3+4=7", ["gleason_score=7 (3+4)"]),
    ("grade", "synonym", "SBR grade II", ["nottingham_grade=2"]),
    ("grade", "negated", "No high-grade dysplasia", ["not:dysplasia=high"]),
    ("grade", "uncertain", "Possible high-grade dysplasia", ["maybe:dysplasia=high"]),
    (
        "grade",
        "value",
        "WHO/ISUP grade 3, FIGO grade 2, Tumour budding: low",
        ["who_isup_grade=3", "figo_grade=2", "tumor_budding=low"],
    ),
    ("stage", "exact", "pT2a pN0", ["t_category=2a", "n_category=0"]),
    ("stage", "synonym", "T3 N0 M0", ["t_category=3", "n_category=0", "m_category=0"]),
    ("stage", "negated", "No FIGO stage assigned", ["not:figo_stage"]),
    ("stage", "uncertain", "FIGO stage IIIC1 is suspected", ["maybe:figo_stage=3c1"]),
    (
        "stage",
        "value",
        "ypT1c ypN1a, AJCC stage IIA",
        ["t_category=1c", "n_category=1a", "stage_group=2a"],
    ),
    ("size", "exact", "Tumour size: 22 mm", ["tumor_size=22 mm"]),
    ("size", "synonym", "Greatest dimension 3.5 cm", ["tumor_size=35 mm"]),
    ("size", "negated", "No measurable tumor volume", ["not:tumor_volume"]),
    ("size", "uncertain", "Breslow thickness cannot be determined", ["maybe:breslow_thickness"]),
    (
        "size",
        "value",
        "Tumor size: 2.3 x 1.5 x 1.0 cm; tumour volume: 15%; a 4 mm nodule",
        ["tumor_size=23 mm", "tumor_volume=15%", "dimension=4 mm"],
    ),
    ("margin", "exact", "Margins: involved", ["margin=positive"]),
    ("margin", "synonym", "Resection margins are clear", ["margin=negative"]),
    ("margin", "negated", "Surgical margin negative", ["margin=negative"]),
    ("margin", "uncertain", "Margins: cannot be assessed", ["margin=not assessable"]),
    (
        "margin",
        "value",
        "Deep margin: positive, closest margin 0.5 cm",
        ["deep_margin=positive", "margin=5 mm"],
    ),
    ("invasion", "exact", "Lymphovascular invasion: present", ["lymphovascular_invasion"]),
    ("invasion", "synonym", "Angiolymphatic invasion identified", ["lymphovascular_invasion"]),
    ("invasion", "negated", "LVI: No", ["not:lymphovascular_invasion"]),
    ("invasion", "uncertain", "Perineural invasion is suspected", ["maybe:perineural_invasion"]),
    ("invasion", "value", "Myometrial invasion: 30%", ["myometrial_invasion=30%"]),
    ("lymph_node", "exact", "Lymph nodes examined: 18", ["lymph_nodes_examined=18"]),
    ("lymph_node", "synonym", "Nodal metastasis", ["lymph_node_metastasis"]),
    ("lymph_node", "negated", "No lymph node metastasis", ["not:lymph_node_metastasis"]),
    (
        "lymph_node",
        "uncertain",
        "Lymph node metastasis cannot be excluded",
        ["maybe:lymph_node_metastasis"],
    ),
    (
        "lymph_node",
        "value",
        "Metastatic carcinoma in three of twelve lymph nodes",
        ["metastatic_carcinoma", "lymph_nodes_involved=3/12"],
    ),
    ("biomarker", "exact", "Estrogen receptor: positive (90%)", ["estrogen_receptor=positive"]),
    ("biomarker", "synonym", "HER2/neu: 3+", ["her2=3+"]),
    ("biomarker", "negated", "Negative for CD20", ["cd20=negative"]),
    ("biomarker", "uncertain", "HER2: 2+ (equivocal)", ["her2=2+"]),
    (
        "biomarker",
        "value",
        "Ki67 labeling index 30%, MLH1 and PMS2: loss of expression",
        ["ki67=30%", "mlh1=lost", "pms2=lost"],
    ),
    ("finding", "exact", "Necrosis", ["necrosis"]),
    ("finding", "synonym", "Comedonecrosis", ["necrosis"]),
    ("finding", "negated", "H. pylori: not identified", ["not:helicobacter"]),
    ("finding", "uncertain", "Focal necrosis cannot be excluded", ["maybe:necrosis"]),
]


@pytest.mark.parametrize(
    ("category", "kind", "text", "expected"), CASES, ids=[f"{c}-{k}" for c, k, *_ in CASES]
)
def test_category_reading(
    extractor: FactExtractor, category: str, kind: str, text: str, expected: list[str]
) -> None:
    facts = extractor.extract(text)
    assert [fact.label for fact in facts] == expected
    assert category in {fact.category for fact in facts}


def test_every_category_is_tested_for_every_reading() -> None:
    tested = {(category, kind) for category, kind, *_ in CASES}
    for category in CATEGORIES:
        for kind in ("exact", "synonym", "negated", "uncertain"):
            assert (category, kind) in tested, (category, kind)
    lexicon = load_lexicon()
    with_values = {c.category for c in lexicon.concepts if c.value_kind is not None}
    for category in with_values:
        assert (category, "value") in tested or (category, "exact") in tested, category


def test_uncertainty_is_a_field_and_never_also_a_negation(extractor: FactExtractor) -> None:
    (fact,) = extractor.extract("possible invasion not identified")
    assert (fact.concept_id, fact.uncertain, fact.negated) == ("invasion", True, False)
    (firm,) = extractor.extract("Invasion present")
    assert (firm.uncertain, firm.negated) == (False, False)
    assert firm.key == fact.key  # uncertainty is not part of the matching key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Consistent with chronic gastritis", ["chronic_gastritis"]),
        ("Compatible with sarcoidosis", ["sarcoidosis"]),
        ("In keeping with a fibroadenoma", ["fibroadenoma"]),
        ("Findings suggestive of adenocarcinoma", ["maybe:adenocarcinoma"]),
        ("Favour reactive lymphoid hyperplasia", ["maybe:reactive_lymphoid_hyperplasia"]),
        ("Cannot rule out lymphovascular invasion", ["maybe:lymphovascular_invasion"]),
        ("Malignancy unlikely", ["tumor"]),
    ],
)
def test_hedges(extractor: FactExtractor, text: str, expected: list[str]) -> None:
    assert [fact.label for fact in extractor.extract(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lymphovascular invasion (LVI): not identified", ["not:lymphovascular_invasion"]),
        ("Estrogen receptor (ER): Positive (>90%)", ["estrogen_receptor=positive"]),
        ("Progesterone receptor (PgR): 20%", ["progesterone_receptor=20%"]),
        (
            "Human epidermal growth factor receptor 2 (HER2): negative (score 1+)",
            ["her2=negative"],
        ),
    ],
)
def test_a_bracketed_abbreviation_restates_its_concept(
    extractor: FactExtractor, text: str, expected: list[str]
) -> None:
    facts = extractor.extract(text)
    assert [fact.label for fact in facts] == expected
    assert facts[0].text.endswith(")")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a number after a concept without a value kind is not its value
        ("Necrosis 30%", ["necrosis"]),
        ("Fibroadenoma 12 mm", ["fibroadenoma", "dimension=12 mm"]),
        # status results carry the polarity; the negation rule does not also negate them
        (
            "ER: negative, PR: negative",
            ["estrogen_receptor=negative", "progesterone_receptor=negative"],
        ),
        ("Synaptophysin and CD56 are positive", ["synaptophysin=positive", "cd56=positive"]),
        ("p16: block-type positive", ["p16=positive"]),
    ],
)
def test_values_belong_to_their_concept(
    extractor: FactExtractor, text: str, expected: list[str]
) -> None:
    assert [fact.label for fact in extractor.extract(text)] == expected
