from __future__ import annotations

import json
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
        "tumor_volume",
        "differentiation",
        "dysplasia",
        "cin",
    ],
    "finding": [
        "microcalcification",
        "lymphovascular_invasion",
        "necrosis",
        "intestinal_metaplasia",
        "helicobacter",
    ],
}


def test_shipped_lexicon_covers_the_required_concepts() -> None:
    lexicon = load_lexicon()
    for category, concept_ids in REQUIRED.items():
        for concept_id in concept_ids:
            assert lexicon.category_of(concept_id) == category, concept_id
    assert {c.category for c in lexicon.concepts} == set(CATEGORIES)
    assert len(lexicon.sha256) == 64 and lexicon.short_hash == lexicon.sha256[:16]


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
