"""Sentence vectors: the model's own normalised encoding, each distinct text once, cached."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reg_eval.backends.identity import ModelIdentity
from reg_eval.backends.sentence import SentenceEmbeddingBackend
from reg_eval.cache import FeatureCache
from reg_eval.errors import UsageError

TEXTS = [
    "Prostate, biopsy;\n  No tumor present",
    "Lung, biopsy;\n  Adenocarcinoma",
    "Prostate, biopsy;\n  No tumor present",
    "",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Lung, biopsy;\n  Adenocarcinoma",
]


@pytest.fixture(autouse=True)
def _offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


@pytest.fixture(scope="module")
def sentence_folder(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared tiny BERT with a mean-pooling module, saved as a sentence-transformers model."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules

    folder = tmp_path_factory.mktemp("sentence") / "model"
    transformer = modules.Transformer(str(tiny_bert_dir))
    pooling = modules.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    return folder


def identity(name: str = "tiny") -> ModelIdentity:
    return ModelIdentity(
        role="sent-emb",
        name=name,
        sha256="0" * 64,
        precision="float32",
        options=(("normalize", "yes"),),
    )


def backend(
    folder: Path, cache: FeatureCache | None = None, **kwargs: object
) -> SentenceEmbeddingBackend:
    return SentenceEmbeddingBackend(
        str(folder),
        identity=identity(),
        device="cpu",
        cache=cache,
        **kwargs,  # type: ignore[arg-type]
    )


def test_vectors_equal_a_direct_normalised_encode(sentence_folder: Path) -> None:
    from sentence_transformers import SentenceTransformer

    direct = SentenceTransformer(str(sentence_folder), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    vectors = backend(sentence_folder, batch_size=2).embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == direct.shape
    np.testing.assert_allclose(vectors, direct, atol=1e-6, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[1], vectors[5])


def test_duplicates_are_embedded_once(sentence_folder: Path) -> None:
    sentences = backend(sentence_folder)
    sentences.embed(TEXTS)
    assert sentences.stats.texts_embedded == len(set(TEXTS))
    assert sentences.stats.encode_calls == 1


def test_cache_serves_a_second_backend_without_loading(
    sentence_folder: Path, tmp_path: Path
) -> None:
    with FeatureCache(tmp_path / "cache") as cache:
        first = backend(sentence_folder, cache).embed(TEXTS)
        second_backend = backend(sentence_folder, cache)
        second = second_backend.embed(TEXTS)
    assert second_backend.stats.texts_embedded == 0
    assert second_backend._loaded is None
    assert np.array_equal(first, second)


def test_namespace_follows_the_identity(sentence_folder: Path) -> None:
    a = SentenceEmbeddingBackend("x", identity=identity("a"))
    b = SentenceEmbeddingBackend("x", identity=identity("b"))
    assert a.namespace != b.namespace
    assert a.namespace.startswith("sent-emb-")


def test_no_texts() -> None:
    assert SentenceEmbeddingBackend("unused", identity=identity()).embed([]).shape == (0, 0)


def test_missing_models_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as hub:
        SentenceEmbeddingBackend(
            "NeuML/pubmedbert-base-embeddings", identity=identity(), device="cpu"
        ).embed(["a"])
    assert "hf download NeuML/pubmedbert-base-embeddings" in str(hub.value)
    assert "all-MiniLM-L6-v2" in str(hub.value)
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    with pytest.raises(UsageError) as local:
        SentenceEmbeddingBackend(str(empty), identity=identity(), device="cpu").embed(["a"])
    assert str(empty) in str(local.value)


def test_bad_batch_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="batch-size"):
        SentenceEmbeddingBackend("x", identity=identity(), batch_size=0)
