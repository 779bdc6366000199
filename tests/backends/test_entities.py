"""KEY entities from batched `nlp.pipe` must equal the official per-text `nlp(text)`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from reg_eval.backends.entities import SpacyEntityBackend, decode_entities, encode_entities
from reg_eval.backends.identity import ModelIdentity
from reg_eval.cache import FeatureCache
from reg_eval.models.offline import PATTERNS_FILE, build_offline_ruler

RULER_PATTERNS = [
    {"label": "ORGAN", "pattern": [{"LOWER": "breast"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "urinary"}, {"LOWER": "bladder"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "bladder"}]},
    {
        "label": "PROCEDURE",
        "pattern": [{"LOWER": "core"}, {"ORTH": "-"}, {"LOWER": "needle"}, {"LOWER": "biopsy"}],
    },
    {"label": "PROCEDURE", "pattern": [{"LOWER": "biopsy"}]},
    {"label": "DIAGNOSIS", "pattern": [{"LOWER": "invasive"}, {"LOWER": "carcinoma"}]},
    {"label": "DIAGNOSIS", "pattern": [{"LOWER": "carcinoma"}]},
    {"label": "DIAGNOSIS", "pattern": "Chronic gastritis"},
]

TEXTS = [
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "   ",
    "Urinary bladder, transurethral resection;\n\tUrothelial carcinoma",
    "BLADDER\u00a0biopsy\r\n  carcinoma  carcinoma",
    "Stomach, endoscopic biopsy;\n  Chronic gastritis",
    "stomach, endoscopic biopsy; chronic gastritis",
    "no entities at all here",
    "",
    "Breast biopsy\n\n\nbreast",
    "Urinary bladder, transurethral resection;\n\tUrothelial carcinoma",
]

IDENTITY = ModelIdentity(role="key", name="test-ruler", sha256="0" * 64)


@pytest.fixture(scope="module")
def ruler_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(RULER_PATTERNS)
    folder = tmp_path_factory.mktemp("ruler") / "pipeline"
    nlp.to_disk(folder)
    return folder


def reference_entities(folder: Path, texts: list[str]) -> list[tuple[str, ...]]:
    """The official way: a fresh pipeline, one `nlp(text)` call per text."""
    nlp = spacy.load(folder)
    return [tuple(ent.text for ent in nlp(text).ents) for text in texts]


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_pipe_equals_per_text_calls(ruler_dir: Path, batch_size: int) -> None:
    backend = SpacyEntityBackend(
        lambda: spacy.load(ruler_dir), identity=IDENTITY, batch_size=batch_size
    )
    assert backend.entity_texts(TEXTS) == reference_entities(ruler_dir, TEXTS)


def test_reference_pipeline_finds_entities(ruler_dir: Path) -> None:
    # Guards the parity test against passing on a pipeline that finds nothing.
    found = reference_entities(ruler_dir, TEXTS)
    assert found[0] == ("Breast", "core-needle biopsy", "Invasive carcinoma")
    assert found[1] == ()
    assert found[5] == ("BLADDER", "biopsy", "carcinoma", "carcinoma")
    assert found[6] == ("biopsy", "Chronic gastritis")
    assert found[7] == ("biopsy",)  # the phrase pattern is case-sensitive; ORTH matching


def test_each_distinct_text_is_computed_once_and_spacy_loads_lazily(ruler_dir: Path) -> None:
    loads: list[int] = []
    piped: list[list[str]] = []

    def load() -> spacy.Language:
        loads.append(1)
        nlp = spacy.load(ruler_dir)
        original = nlp.pipe

        def recording_pipe(texts, **kwargs):  # type: ignore[no-untyped-def]
            texts = list(texts)
            piped.append(texts)
            return original(texts, **kwargs)

        nlp.pipe = recording_pipe  # type: ignore[method-assign]
        return nlp

    backend = SpacyEntityBackend(load, identity=IDENTITY, batch_size=4)
    assert loads == []
    result = backend.entity_texts(TEXTS)
    assert loads == [1]
    assert piped == [list(dict.fromkeys(TEXTS))]
    assert len(result) == len(TEXTS)
    assert backend.entity_texts([]) == []


def test_cache_serves_second_run_without_loading(ruler_dir: Path, tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "cache")
    first = SpacyEntityBackend(lambda: spacy.load(ruler_dir), identity=IDENTITY, cache=cache)
    expected = first.entity_texts(TEXTS)

    def must_not_load() -> spacy.Language:
        raise AssertionError("the pipeline was loaded although every text is cached")

    second = SpacyEntityBackend(
        must_not_load, identity=IDENTITY, cache=FeatureCache(tmp_path / "cache")
    )
    assert second.entity_texts(TEXTS) == expected
    assert not second.loaded

    other_model = ModelIdentity(role="key", name="test-ruler", sha256="1" * 64)
    third = SpacyEntityBackend(
        lambda: spacy.load(ruler_dir), identity=other_model, cache=FeatureCache(tmp_path / "cache")
    )
    assert third.entity_texts(TEXTS[:1]) == expected[:1]
    assert third.loaded  # another identity never reads this model's entries


def test_payload_round_trip_and_rejects_garbage() -> None:
    for entities in [(), ("Breast",), ("a\u00e9b", "\ud800x", 'q"uote')]:
        assert decode_entities(encode_entities(entities)) == entities
    for payload in [b"{}", b"[1, 2]", b"not json", '["\u00e9"]'.encode()]:
        with pytest.raises(ValueError):
            decode_entities(payload)


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        SpacyEntityBackend(spacy.blank, identity=IDENTITY, batch_size=0)


# -- the shipped offline pattern set ---------------------------------------------------------


def test_shipped_patterns_are_well_formed() -> None:
    labels = set()
    for number, line in enumerate(PATTERNS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        assert set(row) == {"label", "pattern", "id"}, number
        assert isinstance(row["pattern"], list) and row["pattern"], number
        labels.add(row["label"])
    assert labels == {"ORGAN", "PROCEDURE", "DIAGNOSIS", "GRADE", "FINDING"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
            [
                ("Breast", "ORGAN"),
                ("core-needle biopsy", "PROCEDURE"),
                ("Invasive carcinoma of no special type", "DIAGNOSIS"),
                ("grade II", "GRADE"),
            ],
        ),
        (
            "BREAST, SONO-GUIDED CORE BIOPSY; ductal carcinoma in situ with microcalcification",
            [
                ("BREAST", "ORGAN"),
                ("SONO-GUIDED CORE BIOPSY", "PROCEDURE"),
                ("ductal carcinoma in situ", "DIAGNOSIS"),
                ("microcalcification", "FINDING"),
            ],
        ),
        (
            "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2",
            [
                ("Prostate", "ORGAN"),
                ("biopsy", "PROCEDURE"),
                ("Acinar adenocarcinoma", "DIAGNOSIS"),
                ("Gleason's score", "GRADE"),
                ("grade group", "GRADE"),
            ],
        ),
        (
            "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
            [
                ("Stomach", "ORGAN"),
                ("endoscopic biopsy", "PROCEDURE"),
                ("Chronic gastritis", "DIAGNOSIS"),
                ("intestinal metaplasia", "FINDING"),
            ],
        ),
        (
            "Colon, colonoscopic biopsy;\n  Tubular adenoma with low grade dysplasia",
            [
                ("Colon", "ORGAN"),
                ("colonoscopic biopsy", "PROCEDURE"),
                ("Tubular adenoma", "DIAGNOSIS"),
                ("low grade dysplasia", "GRADE"),
            ],
        ),
        (
            "Uterine cervix, punch biopsy;\n  HSIL (CIN 2)",
            [
                ("Uterine cervix", "ORGAN"),
                ("punch biopsy", "PROCEDURE"),
                ("HSIL", "DIAGNOSIS"),
                ("CIN 2", "DIAGNOSIS"),
            ],
        ),
        (
            "Urinary bladder, transurethral resection;\n  Urothelial carcinoma, high grade",
            [
                ("Urinary bladder", "ORGAN"),
                ("transurethral resection", "PROCEDURE"),
                ("Urothelial carcinoma", "DIAGNOSIS"),
                ("high grade", "GRADE"),
            ],
        ),
        (
            "Lung, biopsy;\n  Squamous cell carcinoma with necrosis",
            [
                ("Lung", "ORGAN"),
                ("biopsy", "PROCEDURE"),
                ("Squamous cell carcinoma", "DIAGNOSIS"),
                ("necrosis", "FINDING"),
            ],
        ),
    ],
)
def test_offline_ruler_finds_report_terms(text: str, expected: list[tuple[str, str]]) -> None:
    nlp = _offline_ruler()
    assert [(ent.text, ent.label_) for ent in nlp(text).ents] == expected


_RULER: list[spacy.Language] = []


def _offline_ruler() -> spacy.Language:
    if not _RULER:
        _RULER.append(build_offline_ruler())
    return _RULER[0]
