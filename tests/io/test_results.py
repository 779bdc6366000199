"""Saved results read back: typed signatures and column layouts, and files written before
either was saved (tests/io/data/saved_v1, written by `reg-eval score` and `score-cot` of that
time) still load, with their models read into fields and their layout rebuilt."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reg_eval.columns import OFFICIAL, ColumnLayout
from reg_eval.comparability import saved_differences
from reg_eval.io.results import (
    check_same_run,
    is_detail_column,
    load_per_case,
    load_result,
    run_layout,
)
from reg_eval.signature import Signature

OLD = Path(__file__).parent / "data" / "saved_v1"
OPENBIO = "aaditya/Llama3-OpenBioLLM-8B"


def test_an_old_result_loads_with_its_models_as_fields() -> None:
    result = load_result(OLD / "score-result.json")
    assert result.n_cases == 6
    # the ranking of the saved means, by the official weights, worked by hand
    bleu, rouge, key, emb = (result.components[c] for c in ("bleu", "rouge", "key", "emb"))
    assert 0.15 * (bleu + rouge) + 0.4 * key + 0.3 * emb == pytest.approx(0.7139334685, abs=1e-9)
    assert result.ranking == pytest.approx(0.7139334685, abs=1e-9)
    signature = result.signature
    assert signature.version == "0.1.0"
    assert signature.get("profile") == "offline" and signature.get("dtype") == "float32"
    emb_model = signature.model("emb")
    assert emb_model is not None
    assert emb_model.identity.name == "/tmp/sigs-fix/tiny-bert"
    assert emb_model.identity.revision is None
    assert emb_model.identity.sha256 == "31c8be7813619b75"
    assert emb_model.identity.precision == "float32"
    assert emb_model.identity.device_type == "cpu"
    assert dict(emb_model.identity.libraries) == {
        "torch": "2.13.0+cpu", "transformers": "5.24.0", "tokenizers": "0.23.3"
    }
    assert dict(emb_model.identity.options) == {"max_length": "512", "pooling": "mean"}
    key_model = signature.model("key")
    assert key_model is not None and key_model.setting("min_chars") == "3"
    assert dict(key_model.identity.libraries) == {"spacy": "3.7.5", "thinc": "8.2.5"}
    # the text shown is the one the run printed, not a re-rendering
    assert result.signature_text.startswith("reg-eval:0.1.0|computed:reg2025-ranking")
    assert "|emb:/tmp/sigs-fix/tiny-bert|sha256:31c8be7813619b75|" in result.signature_text
    assert result.not_comparable_because == [
        "profile offline is not the test-phase setup (use --profile reg2025)"
    ]


def test_an_old_result_gets_a_layout_from_what_it_holds() -> None:
    result = load_result(OLD / "score-result.json")
    assert not result.has_layout and run_layout(result) is None
    layout = result.layout
    assert list(layout) == ["official", "clinical", "lexical"]
    assert layout["official"] == OFFICIAL
    assert layout["clinical"].numeric[:3] == ("clinical_precision", "clinical_recall",
                                              "clinical_f1")
    assert layout["clinical"].corpus == (
        "clinical_micro_precision", "clinical_micro_recall", "clinical_micro_f1"
    )
    assert layout["lexical"].corpus == ("sacrebleu_corpus_bleu", "sacrebleu_corpus_chrf")


def test_old_per_case_rows_still_belong_to_their_result() -> None:
    result = load_result(OLD / "score-result.json")
    cases = load_per_case(OLD / "score-cases.jsonl")
    check_same_run(result, cases)
    assert cases.ids[0] == "PIT_01_00001_01.tiff"
    # without a layout, the names those runs used tell the fact lists
    assert cases.is_detail("clinical_missed") and cases.is_detail("missed_keywords")
    assert not cases.is_detail("clinical_f1")


def test_an_old_reg2026_signature_reads_its_three_models() -> None:
    data = json.loads((OLD / "cot-result.json").read_text(encoding="utf-8"))
    signature = Signature.from_dict(data["signature"])
    mess = signature.model("mess")
    assert mess is not None
    assert mess.identity.name == "/tmp/sigs-fix/cot-bert"
    assert mess.identity.options == (("normalize", "l2"),)
    assert mess.usage == (("dot", "yes"), ("clamp01", "yes"))
    emb = signature.model("emb")
    assert emb is not None and ("rescale0.5", "yes") in emb.usage
    assert emb.setting("max_length") == "512"
    assert signature.get("final_report") == "0.15*(rouge+bleu)+0.4*key+0.3*emb|clamp01"


def _as_leaderboard_run(emb: str, dtype: str | None = "float32") -> dict[str, object]:
    """The old fixture, edited to claim the leaderboard setup in the old text layout."""
    data = json.loads((OLD / "score-result.json").read_text(encoding="utf-8"))
    signature = data["signature"]
    signature.update({
        "profile": "reg2025", "comparable_with_leaderboard": True,
        "emb": emb,
        "key": "en_core_sci_lg@0.5.4|sha256:51fc3873ea181ae2|cpu|spacy=3.7.5|min_chars=3",
    })
    signature.pop("not_comparable_because")
    if dtype is None:
        del signature["dtype"]
    else:
        signature["dtype"] = dtype
    return data


def test_comparability_of_old_results_reads_the_model_texts_once_as_fields() -> None:
    good = f"{OPENBIO}@c0ffee|sha256:31c8be7813619b75|float32|cuda|torch=2.13.0|max_length=512"
    assert saved_differences(_as_leaderboard_run(good)) == []
    # before `dtype` was a field, the EMB precision decides
    half = good.replace("|float32|", "|bfloat16|")
    assert saved_differences(_as_leaderboard_run(half, dtype=None)) == [
        "precision bfloat16 instead of float32"
    ]
    short = good.replace("max_length=512", "max_length=256")
    assert saved_differences(_as_leaderboard_run(short)) == ["EMB max_length 256, not 512"]
    other = good.replace(OPENBIO, "/models/mine")
    assert saved_differences(_as_leaderboard_run(other)) == [
        f"EMB model /models/mine instead of {OPENBIO}"
    ]


def test_a_new_result_carries_typed_models_and_its_layout(tmp_path: Path) -> None:
    from report.report_fixtures import make_result, write_run

    ids = [f"c{i}" for i in range(6)]
    run = make_result(ids, bleu=np.linspace(0.1, 0.6, 6), clinical=True)
    declared = ColumnLayout(numeric=("clinical_f1",),
                            detail=("clinical_missed", "clinical_invented"))
    run.groups["clinical"] = replace(run.groups["clinical"], layout=declared)
    output, per_case = write_run(tmp_path, "run", run)
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["columns"]["official"] == OFFICIAL.to_dict()
    assert data["columns"]["clinical"] == {
        "numeric": ["clinical_f1"], "detail": ["clinical_missed", "clinical_invented"],
        "corpus": [],
    }
    result = load_result(output)
    assert result.has_layout
    layout = run_layout(result)
    assert layout is not None and "clinical_missed" in layout.detail
    cases = load_per_case(per_case, layout=layout)
    check_same_run(result, cases)
    assert cases.is_detail("clinical_missed") and not cases.is_detail("clinical_f1")


def test_a_csv_reads_lists_by_the_layout_not_by_the_name(tmp_path: Path) -> None:
    table = tmp_path / "cases.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "ranking", "bleu", "rouge", "key", "emb", "lesion_found",
                         "notes_extra"])
        writer.writerow(["c1", "0.5", "0.5", "0.5", "0.5", "0.5", "0.25", "a; b"])
    layout = ColumnLayout(numeric=(*OFFICIAL.numeric, "lesion_found"), detail=("notes_extra",))
    row = load_per_case(table, layout=layout).rows[0]
    assert row["lesion_found"] == 0.25  # a number, though its name ends like a fact list
    assert row["notes_extra"] == ["a", "b"]
    old = load_per_case(table).rows[0]  # a layout-1 reading goes by the names
    assert old["lesion_found"] == ["0.25"]
    assert is_detail_column("lesion_found") and not is_detail_column("lesion_found", layout)


_GOOD_ROW = '{"id": "a", "ranking": 0.5, "bleu": 0.1, "rouge": 0.2, "key": 0.3, "emb": 0.4}'


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"id": "b", "ranking": 0.9, "bleu": 0.1, "rouge": 0.2, "key": 0.3, "emb": 0.4, '
         '"ranking": 0.1}', "the key 'ranking' appears twice in one object"),
        ('{"id": "b", "ranking": NaN, "bleu": 0.1, "rouge": 0.2, "key": 0.3, "emb": 0.4}',
         "NaN or Infinity is not allowed in JSON"),
        ('{"id": "b", "ranking": 0.5,}', "not valid JSON (Expecting property name"),
    ],
    ids=["key-twice", "nan", "syntax"],
)
def test_a_per_case_line_that_is_not_strict_json_is_refused_with_its_line(
    tmp_path: Path, line: str, says: str
) -> None:
    """A repeated score key would otherwise go into the paired tests with its last value."""
    from reg_eval.errors import InvalidInputError

    per_case = tmp_path / "cases.jsonl"
    per_case.write_text(_GOOD_ROW + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as refused:
        load_per_case(per_case)
    assert refused.value.message.startswith(f"{per_case}:3: ")
    assert says in refused.value.message
