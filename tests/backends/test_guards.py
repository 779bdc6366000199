"""Hostile input and exhausted devices end in a clear error naming the case or the fix,
never in an internal error: a report spaCy refuses (E088), a GPU too small for the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from reg_eval.backends.identity import ModelIdentity
from reg_eval.backends.sentence import SentenceEmbeddingBackend
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.scoring import Scorer

REPORT = "Prostate, biopsy;\n  Acinar adenocarcinoma"


def _scorer(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> Scorer:
    return Scorer("offline", emb_model=str(tiny_bert_dir), key_model=str(tiny_ruler_dir),
                  metrics="official", device="cpu", cache_dir=tmp_path, bootstrap=10)


def test_a_report_longer_than_spacy_reads_names_the_case(
    tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path
) -> None:
    huge = "Prostate, biopsy; adenocarcinoma " * 30_304  # 1,000,032 characters
    assert len(huge) > 1_000_000
    from reg_eval.io.limits import Limits, limits_applied

    scorer = _scorer(tiny_bert_dir, tiny_ruler_dir, tmp_path)
    ids = ["PIT_01_00001_01", "PIT_01_00002_01"]
    # The input limit (--max-report-chars, 100,000 by default) stops it first ...
    with pytest.raises(InvalidInputError) as caught:
        scorer([REPORT, REPORT], [REPORT, huge], ids=ids)
    assert "hypotheses[1] (case 'PIT_01_00002_01') has 1,000,032 characters" in (
        caught.value.message
    )
    # ... and past a raised limit, spaCy's own length limit is still a clear error.
    with limits_applied(Limits(max_report_chars=2_000_000)), \
            pytest.raises(InvalidInputError) as caught:
        scorer([REPORT, REPORT], [REPORT, huge], ids=ids)
    message = caught.value.message
    assert "the prediction of case 'PIT_01_00002_01'" in message
    assert "1,000,032 characters" in message and "1,000,000" in message
    assert caught.value.exit_code == 1


def _out_of_memory(*_args: object, **_kwargs: object) -> object:
    import torch

    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 16.00 GiB")


def test_running_out_of_gpu_memory_while_moving_the_model_is_a_clear_error(
    tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.nn.Module, "to", _out_of_memory)
    scorer = _scorer(tiny_bert_dir, tiny_ruler_dir, tmp_path)
    with pytest.raises(UsageError) as caught:
        scorer([REPORT], [REPORT])
    assert "out of GPU memory while moving the embedding model" in caught.value.message
    assert str(tiny_bert_dir) in caught.value.message
    hint = caught.value.hint or ""
    assert "--device cpu" in hint and "--batch-size" in hint
    assert caught.value.exit_code == 2


def test_the_sentence_model_out_of_memory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sentence_transformers

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", _out_of_memory)
    backend = SentenceEmbeddingBackend(
        str(tmp_path), identity=ModelIdentity(role="sent-emb", name="m"), device="cpu"
    )
    with pytest.raises(UsageError, match="out of GPU memory while moving the sentence model"):
        backend.embed([REPORT])
