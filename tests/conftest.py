"""Fixtures shared by every test folder: tiny local models and a saved entity ruler.

`literal_reference` (the per-text computation written from the scoring notes) and
`tiny_models` (model builders) import by bare name from any test: the tests folder is on
pytest's `pythonpath` (pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_models import build_tiny_bert, build_tiny_llama, build_tiny_llama_gguf

RULER_PATTERNS = [
    {"label": "ORGAN", "pattern": [{"LOWER": "prostate"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "lung"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "breast"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "stomach"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "colon"}]},
    {"label": "ORGAN", "pattern": [{"LOWER": "urinary"}, {"LOWER": "bladder"}]},
    {"label": "PROCEDURE", "pattern": [{"LOWER": "biopsy"}]},
    {"label": "PROCEDURE", "pattern": [{"LOWER": "transurethral"}, {"LOWER": "resection"}]},
    {"label": "DIAGNOSIS", "pattern": [{"LOWER": "adenocarcinoma"}]},
    {"label": "DIAGNOSIS", "pattern": [{"LOWER": "chronic"}, {"LOWER": "gastritis"}]},
    {"label": "DIAGNOSIS", "pattern": [{"LOWER": "tubular"}, {"LOWER": "adenoma"}]},
    {"label": "DIAGNOSIS", "pattern": [{"LOWER": "urothelial"}, {"LOWER": "carcinoma"}]},
    {"label": "FINDING", "pattern": [{"LOWER": "intestinal"}, {"LOWER": "metaplasia"}]},
    {"label": "FINDING", "pattern": [{"LOWER": "tumor"}]},
    {"label": "GRADE", "pattern": [{"LOWER": "grade"}, {"LOWER": {"IN": ["i", "ii", "iii"]}}]},
    {"label": "SHORT", "pattern": [{"LOWER": "no"}]},
]
"""A small entity ruler: case-insensitive terms, and a two-letter one that KEY must drop."""


@pytest.fixture(scope="session")
def tiny_ruler_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spaCy pipeline with an entity ruler, saved to disk and loaded back by path."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(RULER_PATTERNS)
    folder = tmp_path_factory.mktemp("ruler") / "pipeline"
    nlp.to_disk(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_llama_no_bos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama-no-bos"), add_bos=False)


@pytest.fixture(scope="session")
def tiny_llama_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_llama_dir: Path) -> Path:
    """The tiny Llama's weights and vocabulary as one GGUF file (same vectors expected)."""
    return build_tiny_llama_gguf(tiny_llama_dir, tmp_path_factory.mktemp("tiny-llama-gguf"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models run fastest on one thread, and a shared CPU stays responsive; asked for by
    a module with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
