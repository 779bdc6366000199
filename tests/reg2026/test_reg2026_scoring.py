"""The whole CotScorer on tiny local models against the literal reference, model by model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cot_fixtures import GT_BREAST, GT_LUNG, GT_PROSTATE, PRED_BREAST, PRED_LUNG_NO_REPORT
from cot_literal import case_literal, clamp

from literal_reference import bleu4_literal, embed_literal, key_literal, rouge_literal
from reg_eval.errors import UsageError
from reg_eval.reg2026.scoring import CotScorer, score_cot_files


@pytest.fixture(scope="module")
def literal_models(cot_bert_dir: Path, tiny_ruler_dir: Path) -> dict[str, Any]:
    import spacy
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    return {
        "sentence": SentenceTransformer(str(cot_bert_dir), device="cpu", local_files_only=True),
        "model": AutoModel.from_pretrained(cot_bert_dir).eval(),
        "tokenizer": AutoTokenizer.from_pretrained(cot_bert_dir),
        "nlp": spacy.load(tiny_ruler_dir),
    }


def literal_expected(models: dict[str, Any]) -> list[dict[str, float]]:
    import torch

    def similarity(a: str, b: str) -> float:
        vectors = models["sentence"].encode([a, b], normalize_embeddings=True)
        return float((vectors[0] * vectors[1]).sum())

    def final_report(reference: str, hypothesis: str) -> float:
        a = embed_literal(models["model"], models["tokenizer"], reference)
        b = embed_literal(models["model"], models["tokenizer"], hypothesis)
        cos = torch.nn.functional.cosine_similarity(a, b).item()
        emb = (cos - 0.5) / 0.5 if cos > 0.5 else cos
        total = (0.15 * (clamp(rouge_literal(reference, hypothesis))
                         + clamp(bleu4_literal(reference, hypothesis)))
                 + 0.4 * clamp(key_literal(models["nlp"], reference, hypothesis))
                 + 0.3 * clamp(emb))
        return clamp(total)

    return [
        case_literal(GT_BREAST, PRED_BREAST, similarity, final_report),
        case_literal(GT_LUNG, PRED_LUNG_NO_REPORT, similarity, final_report),
        case_literal(GT_PROSTATE, None, similarity, final_report),
    ]


def make_scorer(bert: Path, ruler: Path, cache_dir: Path, **options: Any) -> CotScorer:
    return CotScorer(
        "offline", emb_model=str(bert), key_model=str(ruler), device="cpu",
        cache_dir=cache_dir, bootstrap=50, **options,
    )


@pytest.mark.parametrize("layout", ["folder", "single"])
def test_cot_scorer_matches_the_literal_reference(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path,
    literal_models: dict[str, Any], layout: str,
) -> None:
    scorer = make_scorer(cot_bert_dir, tiny_ruler_dir, cot_files["root"] / "cache")
    result = scorer.score_files(cot_files["gt"], cot_files[layout])
    expected = literal_expected(literal_models)
    assert result.ids == ["PIT_01_00001_01", "PIT_02_00002_01", "PIT_03_00003_01"]
    for name in ("A", "bpv", "edge_f1", "mess", "final_report"):
        got = [float(v) for v in result.columns[name]]
        assert got == pytest.approx([row[name] for row in expected], abs=2e-5), name
    assert result.means["A"] == pytest.approx(sum(row["A"] for row in expected) / 3, abs=2e-5)
    # The missing prostate case still earns 0.4 * 0.3 * EMB("" against its report).
    assert result.columns["final_report"][2] == pytest.approx(0.3 * result.columns["report_emb"][2])
    assert result.missing_ids == ["PIT_03_00003_01.svs"]
    assert len(result.extra_ids) == 1
    assert not result.signature.comparable_with_leaderboard
    assert "reg2026-metric-a" in result.signature.format()
    lo, hi = result.ci["A"]
    assert lo <= result.means["A"] <= hi


def test_a_second_run_reads_the_cache_and_is_identical(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    cache = cot_files["root"] / "cache"
    first = make_scorer(cot_bert_dir, tiny_ruler_dir, cache).score_files(
        cot_files["gt"], cot_files["folder"]
    )
    again = make_scorer(cot_bert_dir, tiny_ruler_dir, cache)
    second = again.score_files(cot_files["gt"], cot_files["folder"])
    assert second.to_dict() == first.to_dict()
    assert again._sentence.stats.texts_embedded == 0


def test_python_entry_point_and_unknown_profile(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    result = score_cot_files(
        cot_files["gt"], cot_files["single"], profile="offline", emb_model=str(cot_bert_dir),
        key_model=str(tiny_ruler_dir), device="cpu", cache=False, bootstrap=20,
    )
    assert np.isfinite(result.columns["A"]).all()
    with pytest.raises(UsageError, match="unknown profile"):
        CotScorer("reg2025")


def test_metric_a_in_bfloat16_is_not_comparable_even_with_the_organisers_models() -> None:
    assert CotScorer("reg2026", cache=False)._not_comparable_because() == []
    assert CotScorer("reg2026", dtype="bfloat16", cache=False)._not_comparable_because() == [
        "precision bfloat16 instead of float32"
    ]
    assert CotScorer("offline", cache=False)._not_comparable_because() == [
        "profile offline is not the organisers' setup"
    ]
