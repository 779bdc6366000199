"""Which cases get scored, and the whole scoring pipeline against the literal reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.records import Case
from reg_eval.scoring import align_cases

GT = [Case("PIT_01_00001_01.tiff", "ref one", 0), Case("PIT_01_00002_01.tiff", "ref two", 1)]


def test_missing_ids_are_an_error_by_default() -> None:
    sub = [Case("PIT_01_00002_01.tiff", "hyp two", 0)]
    with pytest.raises(InvalidInputError) as info:
        align_cases(GT, sub, "error")
    assert "PIT_01_00001_01.tiff" in str(info.value)
    assert "--missing empty" in str(info.value)


def test_missing_empty_scores_an_empty_report_in_ground_truth_order() -> None:
    sub = [Case("PIT_01_00002_01.tiff", "hyp two", 0)]
    aligned = align_cases(GT, sub, "empty")
    assert aligned.ids == ["PIT_01_00001_01.tiff", "PIT_01_00002_01.tiff"]
    assert aligned.hyps == ["", "hyp two"]
    assert aligned.missing_ids == ["PIT_01_00001_01.tiff"]


def test_missing_skip_leaves_the_case_out() -> None:
    sub = [Case("PIT_01_00002_01.tiff", "hyp two", 0), Case("PIT_09_00009_09.tiff", "x", 1)]
    aligned = align_cases(GT, sub, "skip")
    assert aligned.ids == ["PIT_01_00002_01.tiff"]
    assert aligned.refs == ["ref two"]
    assert aligned.extra_ids == ["PIT_09_00009_09.tiff"]


def test_no_overlap_at_all_is_an_error_and_unknown_policy_a_usage_error() -> None:
    with pytest.raises(InvalidInputError):
        align_cases(GT, [Case("PIT_09_00009_09.tiff", "x", 0)], "skip")
    with pytest.raises(UsageError):
        align_cases(GT, GT, "drop")


def test_both_editions_share_the_matching_and_show_ids_as_written() -> None:
    """REG 2026 matches chains by a normalised id but lists ids as the user wrote them."""
    from dataclasses import dataclass

    from reg_eval.scoring import match_cases

    @dataclass(frozen=True)
    class Chain:
        id: str
        raw_id: str

    gt = [Chain("PIT_01", "PIT_01.svs"), Chain("PIT_02", "PIT_02.tiff"),
          Chain("PIT_03", "PIT_03.svs")]
    sub = [Chain("PIT_02", "PIT_02"), Chain("PIT_09", "PIT_09.tiff")]
    kw = {"id_of": lambda c: c.id, "shown_id": lambda c: c.raw_id, "empty": "empty chains"}
    with pytest.raises(InvalidInputError) as info:
        match_cases(gt, sub, "error", **kw)
    assert info.value.message == (
        "2 ground-truth case(s) have no prediction: PIT_01.svs, PIT_03.svs"
    )
    assert "--missing empty (scored as empty chains)" in (info.value.hint or "")
    empty = match_cases(gt, sub, "empty", **kw)
    assert [c.id for c in empty.scored] == ["PIT_01", "PIT_02", "PIT_03"]
    assert [c.raw_id for c in empty.missing] == ["PIT_01.svs", "PIT_03.svs"]
    assert [c.raw_id for c in empty.extra] == ["PIT_09.tiff"]
    assert empty.predicted["PIT_02"].raw_id == "PIT_02"
    skip = match_cases(gt, sub, "skip", **kw)
    assert [c.id for c in skip.scored] == ["PIT_02"]
    assert [c.id for c in skip.missing] == ["PIT_01", "PIT_03"]


# --- the whole pipeline against the literal per-text computation -------------------------

PAIRS: list[tuple[str, str]] = [
    ("Prostate, biopsy;\n  No tumor present", "Prostate, biopsy;\n  No tumor present"),
    ("Prostate, biopsy;\n  No tumor present", "Prostate, biopsy: No tumor present"),
    ("Prostate, biopsy;\n  No tumor present", ""),
    ("", "Lung, biopsy;\n  Adenocarcinoma"),
    ("Lung, biopsy;\n  Adenocarcinoma", "Lung, biopsy;\n  Adenocarcinoma"),
    (
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
        "breast, core-needle biopsy;\n  invasive carcinoma of no special type, grade ii",
    ),
    (
        "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
        "Stomach, endoscopic biopsy;\n  Chronic gastritis",
    ),
    (
        "Urinary bladder, transurethral resection;\n  Non-invasive papillary urothelial "
        "carcinoma, high grade",
        "Bladder, transurethral resection;\n  Invasive urothelial carcinoma, high grade",
    ),
    (
        "1. Colon, colonoscopic biopsy;\n  Tubular adenoma with low-grade dysplasia\n"
        "2. Rectum, biopsy;\n  Adenocarcinoma",
        "Colon, colonoscopic biopsy;\n  Tubular adenoma with low-grade dysplasia ",
    ),
    ("a b c d", "a b c d a b c d"),
    ("a b c d a b c d a b c d", "a b c d a b c d a b c d"),
    # past 512 tokens: truncation must match the per-text computation
    (" ".join(["Adenocarcinoma, moderately differentiated;"] * 150), "Lung, biopsy;"),
]


@pytest.fixture(scope="module")
def pipeline_pairs() -> tuple[list[str], list[str]]:
    pairs = PAIRS * 3  # duplicates, as in real test sets
    return [r for r, _ in pairs], [h for _, h in pairs]


@pytest.mark.parametrize("model_fixture", ["tiny_bert_dir", "tiny_llama_dir"])
def test_scorer_equals_the_literal_per_text_computation(
    request: pytest.FixtureRequest,
    model_fixture: str,
    tiny_ruler_dir: Path,
    tmp_path: Path,
    pipeline_pairs: tuple[list[str], list[str]],
) -> None:
    import spacy
    from transformers import AutoModel, AutoTokenizer

    from literal_reference import case_literal
    from reg_eval.scoring import Scorer

    model_dir = request.getfixturevalue(model_fixture)
    refs, hyps = pipeline_pairs
    scorer = Scorer(
        "offline",
        emb_model=str(model_dir),
        key_model=str(tiny_ruler_dir),
        cache_dir=tmp_path / "cache",
        device="cpu",
        batch_size=5,
        bootstrap=200,
    )
    result = scorer(refs, hyps)

    nlp = spacy.load(tiny_ruler_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    for i, (ref, hyp) in enumerate(zip(refs, hyps, strict=True)):
        expected = case_literal(nlp, model, tokenizer, ref, hyp)
        assert result.stats.bleu[i] == expected["bleu"], (i, ref, hyp)
        assert result.stats.rouge[i] == expected["rouge"], (i, ref, hyp)
        assert result.stats.key[i] == expected["key"], (i, ref, hyp)
        assert abs(result.stats.emb[i] - expected["emb"]) <= 1e-5, (i, ref, hyp)
        assert abs(result.stats.ranking[i] - expected["ranking"]) <= 1e-5, (i, ref, hyp)

    # the second run reads everything from the cache and gives byte-identical output
    again = Scorer(
        "offline",
        emb_model=str(model_dir),
        key_model=str(tiny_ruler_dir),
        cache_dir=tmp_path / "cache",
        device="cpu",
        batch_size=2,
        bootstrap=200,
    )(refs, hyps)
    assert json.dumps(again.to_dict()) == json.dumps(result.to_dict())
    signature = result.signature.format()
    assert "float32" in signature and "comparable:no" in signature
    assert str(model_dir) in signature


def test_the_emb_model_loads_in_the_background_only_when_a_text_is_not_cached(
    tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path,
    pipeline_pairs: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reg_eval.backends.embeddings import TransformersEmbeddingBackend
    from reg_eval.scoring import scorer as scoring

    monkeypatch.setattr(scoring.os, "cpu_count", lambda: scoring.OVERLAP_MIN_CORES)
    started: list[bool] = []
    real = TransformersEmbeddingBackend.load_in_background

    def counting(self: TransformersEmbeddingBackend, texts: Any) -> bool:
        started.append(real(self, texts))
        return started[-1]

    monkeypatch.setattr(TransformersEmbeddingBackend, "load_in_background", counting)
    refs, hyps = pipeline_pairs

    def run(cache: str) -> scoring.ScoreResult:
        return scoring.Scorer("offline", emb_model=str(tiny_bert_dir),
                              key_model=str(tiny_ruler_dir), cache_dir=tmp_path / cache,
                              device="cpu", bootstrap=20)(refs, hyps)

    cold = run("cache")
    assert started == [True]
    warm = run("cache")
    assert started == [True, False]  # every vector cached: no load, no torch
    assert json.dumps(warm.to_dict()) == json.dumps(cold.to_dict())
    monkeypatch.setattr(scoring.os, "cpu_count", lambda: scoring.OVERLAP_MIN_CORES - 1)
    few_cores = run("other")
    assert started == [True, False]  # loaded in line, after the spaCy work
    assert json.dumps(few_cores.to_dict()) == json.dumps(cold.to_dict())


def test_an_error_while_loading_in_the_background_reaches_the_caller(tmp_path: Path) -> None:
    from reg_eval.backends.embeddings import TransformersEmbeddingBackend
    from reg_eval.backends.identity import ModelIdentity

    def backend() -> TransformersEmbeddingBackend:
        return TransformersEmbeddingBackend(
            str(tmp_path / "no-such-model"),
            identity=ModelIdentity(role="emb", name="missing", precision="float32"),
            device="cpu",
        )

    with pytest.raises(Exception) as in_line:
        backend().embed(["a text"])
    background = backend()
    assert background.load_in_background(["a text"])
    with pytest.raises(in_line.type) as raised:
        background.embed(["a text"])
    assert str(raised.value) == str(in_line.value)
