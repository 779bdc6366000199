"""The bertscore group must give exactly what bert-score gives on the same texts and settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reg_eval.errors import UsageError
from reg_eval.groups import ScoringContext
from reg_eval.standard.bertscore import BertScoreGroup, pair_chunks

REFS = [
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Prostate, biopsy;\n  No tumor present",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Lung, biopsy;\n  Adenocarcinoma",
    "Colon, colonoscopic biopsy;\n  Tubular adenoma",
]
HYPS = [
    "Stomach, biopsy;\n  Chronic gastritis",
    "Prostate, biopsy;\n  No tumor present",
    "Breast, biopsy;\n  Invasive lobular carcinoma, grade III",
    "Lung, biopsy;\n  Squamous cell carcinoma",
    "Colon;\n  tubular adenoma with low grade dysplasia",
]
CPU = ScoringContext(device="cpu")


def library_scores(folder: Path, layer: int, refs: list[str], hyps: list[str], **kwargs: object):
    from bert_score import BERTScorer

    scorer = BERTScorer(model_type=str(folder), num_layers=layer, device="cpu", **kwargs)
    precision, recall, f1 = scorer.score(hyps, refs)
    return [t.numpy().astype(np.float64).tolist() for t in (precision, recall, f1)]


COLUMNS = ("bertscore_precision", "bertscore_recall", "bertscore_f1")


@pytest.mark.parametrize("layer", [1, 2])
def test_scores_equal_bert_score(tiny_bert_folder: Path, layer: int) -> None:
    result = BertScoreGroup(str(tiny_bert_folder), num_layers=layer).compute(REFS, HYPS, CPU)
    expected = library_scores(tiny_bert_folder, layer, REFS, HYPS)
    for column, values in zip(COLUMNS, expected, strict=True):
        assert result.per_case[column].dtype == np.float64
        assert result.per_case[column].tolist() == values, column
    assert result.signature["layer"] == str(layer)


def test_default_layer_is_the_last_and_signature_is_explicit(tiny_bert_folder: Path) -> None:
    from bert_score.utils import get_hash

    result = BertScoreGroup(str(tiny_bert_folder)).compute(REFS, HYPS, CPU)
    expected = library_scores(tiny_bert_folder, 2, REFS, HYPS)
    assert result.per_case["bertscore_f1"].tolist() == expected[2]
    signature = result.signature
    assert signature["layer"] == "2"
    assert signature["idf"] == "no" and signature["rescale"] == "no"
    assert signature["hash"] == get_hash(str(tiny_bert_folder), 2, False, False, False, False)
    assert signature["model"].startswith(str(tiny_bert_folder) + "|sha256:")
    from importlib.metadata import version

    assert signature["device"] == "cpu"  # resolved, and what ran: never "auto"
    assert signature["libraries"] == (
        f"torch={version('torch')}|transformers={version('transformers')}"
        f"|tokenizers={version('tokenizers')}"
    )


def test_idf_weighting_equals_bert_score(tiny_bert_folder: Path) -> None:
    result = BertScoreGroup(str(tiny_bert_folder), num_layers=2, idf=True).compute(REFS, HYPS, CPU)
    expected = library_scores(tiny_bert_folder, 2, REFS, HYPS, idf=True, idf_sents=REFS)
    assert result.per_case["bertscore_f1"].tolist() == expected[2]
    assert result.signature["idf"] == "yes"
    assert "_idf_" in result.signature["hash"]


def test_empty_texts_score_zero_and_leave_the_others_alone(tiny_bert_folder: Path) -> None:
    refs = [REFS[0], "   ", REFS[2]]
    hyps = ["", HYPS[1], HYPS[2]]
    result = BertScoreGroup(str(tiny_bert_folder), num_layers=2).compute(refs, hyps, CPU)
    expected = library_scores(tiny_bert_folder, 2, [REFS[2]], [HYPS[2]])
    for column, values in zip(COLUMNS, expected, strict=True):
        assert result.per_case[column].tolist() == [0.0, 0.0, values[0]], column


def test_rescaling_with_a_baseline_file(tiny_bert_folder: Path, tmp_path: Path) -> None:
    """Rescaled = (raw - baseline) / (1 - baseline), baseline taken from the layer's row."""
    baseline = tmp_path / "tiny.tsv"
    baseline.write_text("LAYER,P,R,F\n0,0.1,0.1,0.1\n1,0.2,0.3,0.4\n2,0.5,0.25,0.75\n")
    result = BertScoreGroup(
        str(tiny_bert_folder),
        num_layers=2,
        rescale_with_baseline=True,
        baseline_path=str(baseline),
    ).compute([*REFS[:2], "x"], [*HYPS[:2], ""], CPU)
    raw = library_scores(tiny_bert_folder, 2, REFS[:2], HYPS[:2])
    for column, values, base in zip(COLUMNS, raw, (0.5, 0.25, 0.75), strict=True):
        got = result.per_case[column].tolist()
        want = [(v - base) / (1 - base) for v in values] + [(0 - base) / (1 - base)]
        assert got == pytest.approx(want, abs=1e-6), column
    assert result.signature["rescale"] == "yes"
    assert result.signature["baseline"].startswith("tiny.tsv|sha256:")
    assert result.signature["hash"].endswith("-custom-rescaled")


def test_rescaling_without_a_baseline_is_a_usage_error(tiny_bert_folder: Path) -> None:
    group = BertScoreGroup(str(tiny_bert_folder), num_layers=2, rescale_with_baseline=True)
    with pytest.raises(UsageError, match="no en rescaling baseline"):
        group.compute(REFS, HYPS, CPU)


def test_a_layer_the_model_lacks_is_a_usage_error(tiny_bert_folder: Path) -> None:
    with pytest.raises(UsageError, match="layer 7 does not exist"):
        BertScoreGroup(str(tiny_bert_folder), num_layers=7).compute(REFS, HYPS, CPU)


def test_missing_model_is_a_usage_error(tmp_path: Path) -> None:
    context = ScoringContext(device="cpu", cache_root=tmp_path)
    with pytest.raises(UsageError, match="hf download roberta-large"):
        BertScoreGroup("roberta-large").compute(REFS, HYPS, context)


def test_long_report_is_truncated_when_the_tokenizer_sets_no_limit(
    tiny_bert_folder: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(tiny_bert_folder, tmp_path / "no-limit"))
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config.pop("model_max_length", None)
    config_file.write_text(json.dumps(config))
    long_report = " ".join(["prostate biopsy; acinar adenocarcinoma."] * 80)
    result = BertScoreGroup(str(folder), num_layers=2).compute([long_report], [REFS[1]], CPU)
    assert result.signature["max_length"] == "128"
    assert 0.0 < result.per_case["bertscore_f1"][0] <= 1.0


def test_small_calls_agree_with_one_big_call(tiny_bert_folder: Path) -> None:
    """Two cases per bert-score call: same values up to float rounding of the padding."""
    result = BertScoreGroup(str(tiny_bert_folder), num_layers=2, batch_size=2).compute(
        REFS, HYPS, CPU
    )
    expected = library_scores(tiny_bert_folder, 2, REFS, HYPS)
    for column, values in zip(COLUMNS, expected, strict=True):
        assert result.per_case[column].tolist() == pytest.approx(values, abs=1e-6), column


def test_pair_chunks_group_by_length_and_keep_input_order() -> None:
    refs = ["aaaa", "a", "aaaaaaaa", "aa", "aaaaaaa"]
    hyps = ["a", "a", "a", "aaa", "a"]
    # lengths 4, 1, 8, 3, 7 -> by length: 1, 3, 0, 4, 2 -> groups {1, 3}, {0, 4}, {2}
    assert pair_chunks(refs, hyps, [0, 1, 2, 3, 4], 2) == [[1, 3], [0, 4], [2]]
    assert pair_chunks(refs, hyps, [2, 4], 5) == [[2, 4]]
    assert pair_chunks(refs, hyps, [], 3) == []


def test_out_of_gpu_memory_while_loading_is_a_clear_error(
    tiny_bert_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bert_score
    import torch

    def out_of_memory(*_args: object, **_kwargs: object) -> object:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(bert_score, "BERTScorer", out_of_memory)
    with pytest.raises(UsageError) as caught:
        BertScoreGroup(str(tiny_bert_folder)).compute(REFS, HYPS, CPU)
    assert "out of GPU memory while moving the bert-score model" in caught.value.message
    assert "--device cpu" in (caught.value.hint or "")
