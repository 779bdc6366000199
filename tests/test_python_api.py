"""The Python API: `reg_eval.Scorer` keeps models loaded; `score_files` mirrors the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import reg_eval
from reg_eval.errors import InvalidInputError, UsageError

REFERENCES = [
    "Prostate, needle biopsy;\n  Acinar adenocarcinoma, grade ii",
    "Lung, wedge biopsy;\n  Invasive adenocarcinoma",
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
]
PREDICTIONS = [
    "Prostate, needle biopsy;\n  Acinar adenocarcinoma, grade ii",
    "Lung, biopsy;\n  No tumor",
    "",
]
IDS = ["PIT_01_00001_01.tiff", "PIT_01_00002_01.tiff", "PIT_01_00003_01.tiff"]


@pytest.fixture
def options(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> dict[str, Any]:
    return {
        "emb_model": str(tiny_bert_dir),
        "key_model": str(tiny_ruler_dir),
        "cache_dir": tmp_path / "cache",
        "device": "cpu",
        "bootstrap": 100,
    }


def test_import_is_light_and_exposes_the_api() -> None:
    code = (
        "import sys, reg_eval; assert reg_eval.__all__; "
        "print(sorted(m for m in ('torch', 'transformers', 'pandas', 'spacy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert reg_eval.Scorer.__name__ == "Scorer"
    assert callable(reg_eval.score_files)
    with pytest.raises(AttributeError):
        reg_eval.NoSuchThing  # noqa: B018


def test_scorer_keeps_its_models_and_returns_the_documented_result(
    options: dict[str, Any], tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    import spacy
    from transformers import AutoModel, AutoTokenizer

    from literal_reference import case_literal

    scorer = reg_eval.Scorer(profile="offline", **options)
    result = scorer(REFERENCES, PREDICTIONS, ids=IDS)
    emb_backend = scorer.emb_backend
    second = scorer(REFERENCES[:2], PREDICTIONS[:2])
    assert scorer.emb_backend is emb_backend  # the same loaded backend serves every call

    nlp = spacy.load(tiny_ruler_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_dir)
    model = AutoModel.from_pretrained(tiny_bert_dir).eval()
    expected = [
        case_literal(nlp, model, tokenizer, r, h)
        for r, h in zip(REFERENCES, PREDICTIONS, strict=True)
    ]

    frame = result.per_case
    assert list(frame["id"]) == IDS
    for name in ("ranking", "bleu", "rouge", "key", "emb"):
        assert list(frame[name]) == pytest.approx([e[name] for e in expected], abs=1e-5)
        mean = sum(e[name] for e in expected) / len(expected)
        assert result.means[name] == pytest.approx(mean, abs=1e-5)
        low, high = result.ci[name]
        assert low <= result.means[name] <= high
    assert frame.attrs["signature"] == result.signature.format()
    assert "profile:offline" in str(result.signature)
    assert result.to_dict()["ranking"] == result.means["ranking"]
    assert second.n_cases == 2
    assert second.means["bleu"] == pytest.approx((expected[0]["bleu"] + expected[1]["bleu"]) / 2)


def write_files(folder: Path, predictions: list[str]) -> tuple[Path, Path]:
    gt = folder / "gt.json"
    sub = folder / "sub.json"
    pairs = zip(IDS, REFERENCES, strict=True)
    gt.write_text(json.dumps([{"id": i, "report": r} for i, r in pairs]))
    pairs = zip(IDS, predictions, strict=True)
    sub.write_text(json.dumps([{"id": i, "report": r} for i, r in pairs]))
    return gt, sub


def test_score_files_gives_what_the_cli_prints(tmp_path: Path, options: dict[str, Any]) -> None:
    from reg_eval.commands.score import score_command

    gt, sub = write_files(tmp_path, PREDICTIONS)
    from_python = reg_eval.score_files(
        gt, sub, profile="offline", metrics="official,clinical", **options
    )
    app = typer.Typer(add_completion=False)

    @app.callback()
    def root() -> None:
        """Scoring."""

    app.command("score")(score_command)
    args = [
        "score", "-g", str(gt), "-s", str(sub), "--profile", "offline", "--format", "json",
        "--emb-model", options["emb_model"], "--key-model", options["key_model"],
        "--cache-dir", str(options["cache_dir"]), "--device", "cpu",
        "--bootstrap", str(options["bootstrap"]), "--quiet",
    ]
    printed = CliRunner().invoke(app, args)
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == json.loads(json.dumps(from_python.to_dict()))


def test_score_files_refuses_an_invalid_submission(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    gt, sub = write_files(tmp_path, PREDICTIONS)
    sub.write_text(json.dumps([{"id": IDS[0], "report": None}]))
    with pytest.raises(InvalidInputError, match="not valid"):
        reg_eval.score_files(gt, sub, profile="offline", **options)


@pytest.mark.parametrize(
    ("ids", "error", "message"),
    [
        (["a"], UsageError, "1 ids for 2 pairs of reports"),
        (["a", "b", "c"], UsageError, "3 ids for 2 pairs of reports"),
        (["a", "a"], InvalidInputError, "case id 'a' appears twice (ids[0] and ids[1])"),
        (["a", ""], InvalidInputError, "ids[1] is '': a case id must be a non-empty string"),
        (["a", 7], InvalidInputError, "ids[1] is 7: a case id must be a non-empty string"),
        ("ab", UsageError, "ids must be a list of case ids, not one string"),
    ],
)
def test_scorer_ids_must_match_the_texts_and_be_unique(
    ids: object, error: type[Exception], message: str
) -> None:
    from reg_eval import Scorer

    scorer = Scorer("offline", cache=False)  # nothing loads: the ids are checked first
    with pytest.raises(error) as caught:
        scorer(["Lung, biopsy; x", "Breast, biopsy; y"], ["a", "b"], ids=ids)  # type: ignore[arg-type]
    assert caught.value.message == message  # type: ignore[attr-defined]


def test_scorer_refuses_none_for_a_report() -> None:
    from reg_eval import Scorer

    with pytest.raises(InvalidInputError, match=r"hypotheses\[1\] .*is null, not a report string"):
        Scorer("offline", cache=False)(["a", "b"], ["a", None])  # type: ignore[list-item]
