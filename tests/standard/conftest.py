"""Tiny offline models for the standard metrics, built once per session with fixed seeds.

A random-weight BERT (hidden 32, 2 layers) with a WordPiece tokenizer trained on the spot,
saved as a transformers folder (for bert-score), and the same BERT wrapped as a
sentence-transformers model with mean pooling, saved as a sentence-transformers folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_models import build_tiny_bert

REPORTS: tuple[str, ...] = (
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Prostate, biopsy;\n  No tumor present",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Colon, colonoscopic biopsy;\n  Tubular adenoma with low grade dysplasia",
    "Lung, biopsy;\n  Adenocarcinoma, acinar predominant",
    "Urinary bladder, transurethral resection;\n  Non-invasive papillary urothelial carcinoma",
    "Uterine cervix, punch biopsy;\n  High-grade squamous intraepithelial lesion (CIN 3)",
    "Prostate, biopsies;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2",
)
MAX_POSITIONS = 128


@pytest.fixture(autouse=True)
def _offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may reach, or read a real cache of, the Hugging Face hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def build_tiny_sentence_model(bert_folder: Path, folder: Path) -> Path:
    """The tiny BERT plus a mean-pooling module, saved in sentence-transformers layout."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules

    transformer = modules.Transformer(str(bert_folder))
    pooling = modules.Pooling(32, pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_bert_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return build_tiny_bert(
            tmp_path_factory.mktemp("tiny-bert") / "bert",
            corpus=REPORTS,
            max_positions=MAX_POSITIONS,
            vocab_size=200,
        )


@pytest.fixture(scope="session")
def tiny_sentence_folder(tmp_path_factory: pytest.TempPathFactory, tiny_bert_folder: Path) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return build_tiny_sentence_model(
            tiny_bert_folder, tmp_path_factory.mktemp("tiny-st") / "sentence-model"
        )
