"""Tiny offline models for the standard metrics, built once per session with fixed seeds.

A random-weight BERT (hidden 32, 2 layers) with a WordPiece tokenizer trained on the spot,
saved as a transformers folder (for bert-score), and the same BERT wrapped as a
sentence-transformers model with mean pooling, saved as a sentence-transformers folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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


def build_tiny_bert(folder: Path, *, seed: int = 0) -> Path:
    """A BERT with a trained WordPiece vocabulary; the tokenizer states its max length."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    corpus = [*REPORTS, *(r.lower() for r in REPORTS), "0 1 2 3 4 5 6 7 8 9 . , ; : ( ) + '"]
    tokenizer.train_from_iterator(
        corpus * 4, WordPieceTrainer(vocab_size=200, special_tokens=specials)
    )
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    BertTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_POSITIONS,
    ).save_pretrained(folder)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=MAX_POSITIONS,
        pad_token_id=tokenizer.token_to_id("[PAD]"),
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder)
    return folder


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
        return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert") / "bert")


@pytest.fixture(scope="session")
def tiny_sentence_folder(tmp_path_factory: pytest.TempPathFactory, tiny_bert_folder: Path) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return build_tiny_sentence_model(
            tiny_bert_folder, tmp_path_factory.mktemp("tiny-st") / "sentence-model"
        )
