from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reg_eval.clinical.extract import FactExtractor
from reg_eval.clinical.lexicon import CATEGORIES, DEFAULT_LEXICON, load_lexicon
from reg_eval.errors import InvalidInputError, UsageError

# What issue 4 asks the lexicon to cover, written out here rather than read from the data.
REQUIRED = {
    "organ": [
        "breast",
        "prostate",
        "stomach",
        "lung",
        "colorectum",
        "uterine_cervix",
        "urinary_bladder",
    ],
    "procedure": [
        "core_needle_biopsy",
        "sono_guided_core_biopsy",
        "endoscopic_biopsy",
        "colonoscopic_biopsy",
        "transurethral_resection",
        "punch_biopsy",
        "cone_biopsy",
        "excision",
    ],
    "diagnosis": [
        "invasive_carcinoma_nst",
        "invasive_lobular_carcinoma",
        "ductal_carcinoma_in_situ",
        "acinar_adenocarcinoma",
        "tubular_adenoma",
        "chronic_gastritis",
        "hsil",
        "squamous_cell_carcinoma",
        "urothelial_carcinoma",
        "adenocarcinoma",
        "tumor",
    ],
    "grade": [
        "nottingham_grade",
        "tubule_formation",
        "nuclear_pleomorphism",
        "mitotic_count",
        "gleason_score",
        "gleason_pattern",
        "grade_group",
        "differentiation",
        "dysplasia",
        "cin",
    ],
    "finding": [
        "microcalcification",
        "necrosis",
        "intestinal_metaplasia",
        "helicobacter",
        "muscularis_propria",
    ],
    "histologic_type": ["solid_pattern", "cribriform_pattern", "comedo_pattern"],
    "stage": ["t_category", "n_category", "m_category", "figo_stage", "stage_group"],
    "size": ["tumor_size", "tumor_volume", "depth_of_invasion", "breslow_thickness"],
    "margin": ["margin", "margin_distance", "deep_margin", "circumferential_margin"],
    "invasion": [
        "lymphovascular_invasion",
        "perineural_invasion",
        "muscularis_propria_invasion",
        "extraprostatic_extension",
        "myometrial_invasion",
    ],
    "lymph_node": ["lymph_nodes_involved", "lymph_nodes_examined", "extranodal_extension"],
    "biomarker": [
        "estrogen_receptor",
        "progesterone_receptor",
        "her2",
        "ki67",
        "p53",
        "mmr_proteins",
        "pd_l1",
    ],
}
ORGAN_SYSTEMS = {
    "breast",
    "prostate",
    "lung",
    "stomach",
    "colorectum",
    "bladder",
    "cervix",
    "uterus",
    "ovary",
    "skin",
    "kidney",
    "thyroid",
    "liver",
    "pancreas",
    "lymph_node",
    "soft_tissue_bone",
    "oesophagus",
    "small_bowel",
    "brain",
    "testis",
    "head_neck",
}
BENIGN_BREAST = [
    "atypical_ductal_hyperplasia",
    "columnar_cell_lesion",
    "sclerosing_adenosis",
    "apocrine_metaplasia",
    "duct_ectasia",
    "intraductal_papilloma",
    "fibroadenoma",
    "fibrocystic_change",
]


def test_shipped_lexicon_covers_the_required_concepts() -> None:
    lexicon = load_lexicon()
    for category, concept_ids in REQUIRED.items():
        for concept_id in concept_ids:
            assert lexicon.category_of(concept_id) == category, concept_id
    assert {c.category for c in lexicon.concepts} == set(CATEGORIES)
    assert len(lexicon.sha256) == 64 and lexicon.short_hash == lexicon.sha256[:16]


def test_every_organ_system_has_its_own_diagnoses() -> None:
    lexicon = load_lexicon()
    for system in ORGAN_SYSTEMS:
        diagnoses = [
            c for c in lexicon.concepts if c.category == "diagnosis" and system in c.organs
        ]
        assert len(diagnoses) >= 5, system
        assert any(c.behaviour == "malignant" for c in diagnoses), system
    assert len(lexicon.concepts) >= 500


def test_the_documented_counts_are_the_shipped_lexicon() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "clinical-metrics.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| ([\d,]+) \|$", doc, re.MULTILINE)
    documented = {c: (int(n), int(t.replace(",", ""))) for c, n, t in rows}
    lexicon = load_lexicon()
    counted = {
        category: (
            sum(1 for k in lexicon.concepts if k.category == category),
            sum(len(k.terms) for k in lexicon.concepts if k.category == category),
        )
        for category in CATEGORIES
    }
    assert documented == counted
    terms = sum(len(c.terms) for c in lexicon.concepts)
    assert f"{len(lexicon.concepts)} concepts and {terms:,} terms" in doc


def test_diagnoses_carry_a_behaviour_and_every_concept_a_source() -> None:
    lexicon = load_lexicon()
    for concept in lexicon.concepts:
        assert (concept.behaviour is not None) == (concept.category == "diagnosis"), concept.id
        assert concept.source in ("DOID", "curated"), concept.id
        assert (concept.source_id is not None) == (concept.source == "DOID"), concept.id
        assert all(xref.startswith("NCIT:C") for xref in concept.xrefs), concept.id
    assert lexicon.behaviour_of("invasive_carcinoma_nst") == "malignant"
    assert lexicon.behaviour_of("ductal_carcinoma_in_situ") == "in_situ"
    assert lexicon.behaviour_of("atypical_ductal_hyperplasia") == "uncertain"
    assert lexicon.behaviour_of("fibroadenoma") == "benign"
    assert lexicon.behaviour_of("chronic_gastritis") == "non_neoplastic"
    for concept_id in BENIGN_BREAST:
        assert lexicon.behaviour_of(concept_id) in ("benign", "non_neoplastic", "uncertain")
    # a link to the Disease Ontology, with the NCI Thesaurus ids it cross-references
    squamous = lexicon.concept("squamous_cell_carcinoma")
    assert (squamous.source, squamous.source_id) == ("DOID", "DOID:1749")
    assert squamous.xrefs and squamous.parent == "carcinoma"


def test_required_synonyms_name_their_concept() -> None:
    concepts = load_lexicon().concepts
    terms = {term.text.lower(): concept.id for concept in concepts for term in concept.terms}
    assert terms["invasive ductal carcinoma"] == "invasive_carcinoma_nst"
    assert terms["dcis"] == "ductal_carcinoma_in_situ"
    assert terms["turbt"] == terms["tur"] == "transurethral_resection"
    assert terms["hsil"] == "hsil"


def test_the_lexicon_ships_beside_its_sources() -> None:
    assert DEFAULT_LEXICON.is_file()
    assert (DEFAULT_LEXICON.parent / "SOURCES.md").is_file()


def write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "concepts.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n",
        encoding="utf-8",
    )
    return path


GOOD = {"id": "breast", "category": "organ", "preferred": "breast", "synonyms": []}


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ((GOOD, "{not json"), "line 2, column 2: invalid JSON"),
        (({**GOOD, "category": "site"},), "unknown category 'site'"),
        ((GOOD, GOOD), "already defined on line 1"),
        (({**GOOD, "id": "Breast Tissue"},), "must be lower-case"),
        (({**GOOD, "value": "fraction"},), "unknown value kind 'fraction'"),
        (({**GOOD, "colour": "red"},), "unknown key(s) colour"),
        (({**GOOD, "synonyms": [{"text": "x", "requires_value": True}]},), "requires a value"),
        (({**GOOD, "synonyms": [{"text": "x", "negated": "yes"}]},), "'negated' must be"),
        (({**GOOD, "preferred": ""},), "'preferred' must be a non-empty string"),
        (({**GOOD, "behaviour": "malignant"},), "behaviour 'malignant' is not allowed"),
        (({**GOOD, "category": "diagnosis", "behaviour": "bad"},), "behaviour 'bad'"),
        (({**GOOD, "organs": "breast"},), "'organs' must be a list of strings"),
        (({**GOOD, "parent": "absent"},), "parent 'absent' of 'breast'"),
        (({**GOOD, "synonyms": [{"text": "x", "exact_case": 1}]},), "'exact_case' must be"),
        ((), "no concepts"),
    ],
)
def test_invalid_lexicon_names_the_place(
    tmp_path: Path, records: tuple[object, ...], message: str
) -> None:
    path = write(tmp_path, *records)
    with pytest.raises(InvalidInputError) as caught:
        load_lexicon(path)
    assert message in str(caught.value)
    assert caught.value.hint


def test_missing_lexicon_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the clinical lexicon"):
        load_lexicon(tmp_path / "absent.jsonl")


def test_a_term_naming_two_concepts_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD,
        {"id": "mamma", "category": "organ", "preferred": "mamma", "synonyms": ["Breast"]},
    )
    with pytest.raises(InvalidInputError, match="also a term of 'breast'"):
        FactExtractor(load_lexicon(path)).extract("breast")


def test_a_custom_lexicon_is_used(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"id": "kidney", "category": "organ", "preferred": "kidney", "synonyms": ["renal"]},
    )
    facts = FactExtractor(load_lexicon(path)).extract("Renal biopsy of the breast")
    assert [fact.label for fact in facts] == ["kidney"]
