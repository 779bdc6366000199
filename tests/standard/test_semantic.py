"""Semantic cosine: equal to a direct SentenceTransformer computation, each text embedded once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from reg_eval.cache import FeatureCache
from reg_eval.errors import UsageError
from reg_eval.groups import ScoringContext, load_group
from reg_eval.profiles import MINILM_L6
from reg_eval.signature import SignedModel
from reg_eval.standard.semantic import SemanticGroup, cosine_per_case

REFS = [
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Prostate, biopsy;\n  No tumor present",
    "Lung, biopsy;\n  Adenocarcinoma",
    "Prostate, biopsy;\n  No tumor present",
    "Colon, biopsy;\n  Tubular adenoma",
]
HYPS = [
    "Stomach, biopsy;\n  Chronic gastritis",
    "Prostate, biopsy;\n  No tumor present",
    "",
    "Prostate, biopsy;\n  Acinar adenocarcinoma, grade group 2",
    "Lung, biopsy;\n  Adenocarcinoma",
]


def direct_cosines(folder: Path, refs: list[str], hyps: list[str]) -> list[float]:
    """The plain computation: encode each side, normalised, and take the dot product."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    a = model.encode(refs, normalize_embeddings=True, convert_to_numpy=True)
    b = model.encode(hyps, normalize_embeddings=True, convert_to_numpy=True)
    return [
        float(np.dot(x.astype(np.float64), y.astype(np.float64))) for x, y in zip(a, b, strict=True)
    ]


def test_cosine_equals_direct_sentence_transformers(tiny_sentence_folder: Path) -> None:
    group = SemanticGroup(str(tiny_sentence_folder))
    result = group.compute(REFS, HYPS, ScoringContext(device="cpu"))
    cosines = result.per_case["semantic_cosine"]
    assert cosines.dtype == np.float64 and cosines.shape == (len(REFS),)
    assert cosines == pytest.approx(direct_cosines(tiny_sentence_folder, REFS, HYPS), abs=1e-6)
    assert cosines[1] == pytest.approx(1.0, abs=1e-6)  # identical texts


def test_each_distinct_text_is_embedded_once(tiny_sentence_folder: Path) -> None:
    group = SemanticGroup(str(tiny_sentence_folder))
    group.compute(REFS, HYPS, ScoringContext(device="cpu"))
    assert group.backend is not None
    assert group.backend.stats.texts_embedded == len(set(REFS) | set(HYPS))


def test_cached_vectors_are_reused(tiny_sentence_folder: Path, tmp_path: Path) -> None:
    with FeatureCache(tmp_path / "cache") as cache:
        context = ScoringContext(device="cpu", cache=cache, cache_root=tmp_path)
        first = SemanticGroup(str(tiny_sentence_folder))
        again = SemanticGroup(str(tiny_sentence_folder))
        a = first.compute(REFS, HYPS, context).per_case["semantic_cosine"]
        b = again.compute(REFS, HYPS, context).per_case["semantic_cosine"]
    assert again.backend is not None and again.backend.stats.texts_embedded == 0
    assert a.tolist() == b.tolist()


def test_signature_names_model_hash_and_normalisation(tiny_sentence_folder: Path) -> None:
    import sentence_transformers

    result = SemanticGroup(str(tiny_sentence_folder)).compute(
        REFS[:1], HYPS[:1], ScoringContext(device="cpu")
    )
    weights = (tiny_sentence_folder / "model.safetensors").read_bytes()
    model = result.signature["model"]
    assert isinstance(model, SignedModel)
    assert model.identity.name == str(tiny_sentence_folder)
    assert (model.identity.sha256 or "")[:16] == hashlib.sha256(weights).hexdigest()[:16]
    assert model.setting("sentence_transformers") == sentence_transformers.__version__
    assert model.setting("normalize") == "yes"
    assert result.signature["rescale"] == "none"


def test_offline_default_is_minilm_from_the_wheel(
    tiny_sentence_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no model given, the group asks the model cache for the pinned wheel's folder."""
    import reg_eval.models.offline

    asked: list[Path] = []

    def fake_prepare(cache_root: Path) -> Path:
        asked.append(cache_root)
        return tiny_sentence_folder

    monkeypatch.setattr(reg_eval.models.offline, "prepare_sentence_model", fake_prepare)
    group = load_group("semantic")
    result = group.compute(REFS[:2], HYPS[:2], ScoringContext(device="cpu", cache_root=tmp_path))
    assert asked == [tmp_path]
    model = result.signature["model"]
    assert isinstance(model, SignedModel)
    assert model.identity.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert f"(sha256:{MINILM_L6.member_sha256[:16]}," in model.describe()


def test_missing_models_are_usage_errors(tmp_path: Path) -> None:
    context = ScoringContext(device="cpu", cache_root=tmp_path)
    with pytest.raises(UsageError) as missing_folder:
        SemanticGroup(str(tmp_path / "no-such-model")).compute(["a"], ["b"], context)
    assert "does not exist" in str(missing_folder.value)
    with pytest.raises(UsageError) as missing_hub:
        SemanticGroup("NeuML/pubmedbert-base-embeddings").compute(["a"], ["b"], context)
    assert "hf download NeuML/pubmedbert-base-embeddings" in str(missing_hub.value)
    assert "offline default" in str(missing_hub.value)


def test_no_cases(tiny_sentence_folder: Path) -> None:
    result = SemanticGroup(str(tiny_sentence_folder)).compute([], [], ScoringContext())
    assert result.per_case["semantic_cosine"].shape == (0,)


def test_cosine_per_case_literal_values() -> None:
    refs = np.array([[1.0, 0.0], [3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    hyps = np.array([[0.0, 2.0], [3.0, 4.0], [1.0, 0.0], [-1.0, -1.0]])
    assert cosine_per_case(refs, hyps).tolist() == pytest.approx([0.0, 1.0, 0.0, -1.0])
