"""The `evaluate` module: loads with no network, computes like the Scorer, pitfalls avoided."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reg_eval.commands.hf_metric_path import hf_metric_path_command
from reg_eval.errors import UsageError
from reg_eval.hf_metric import metric_path

REFERENCES = [
    "Prostate, needle biopsy;\n  Acinar adenocarcinoma, grade ii",
    "Lung, wedge biopsy;\n  Invasive adenocarcinoma",
]
PREDICTIONS = ["Prostate, needle biopsy;\n  Acinar adenocarcinoma, grade ii", "Lung, biopsy"]

LOAD_AND_COMPUTE = """
import json, sys
import evaluate
path, emb, key, cache = sys.argv[1:5]
metric = evaluate.load(path)
result = metric.compute(
    predictions=json.loads(sys.argv[5]), references=json.loads(sys.argv[6]),
    profile="offline", emb_model=emb, key_model=key, cache_dir=cache, device="cpu",
)
print("RESULT " + json.dumps(result))
"""


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_EVALUATE_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        # any attempt to reach the network fails fast instead of waiting
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        NO_PROXY="",
    )
    return env


def test_evaluate_load_offline_and_compute_like_the_scorer(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    cache = tmp_path / "cache"
    done = subprocess.run(
        [
            sys.executable, "-c", LOAD_AND_COMPUTE, str(metric_path()), str(tiny_bert_dir),
            str(tiny_ruler_dir), str(cache), json.dumps(PREDICTIONS), json.dumps(REFERENCES),
        ],
        capture_output=True, text=True, env=offline_env(tmp_path), cwd=tmp_path, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    # the module ran from its copy in the temporary HF_HOME, not from the package folder
    assert list((tmp_path / "hf-home").rglob("reg2025.py"))

    from reg_eval.scoring import Scorer

    expected = Scorer(
        "offline", emb_model=str(tiny_bert_dir), key_model=str(tiny_ruler_dir),
        cache_dir=tmp_path / "other-cache", device="cpu",
    )(REFERENCES, PREDICTIONS)
    means = expected.means
    assert result["ranking"] == pytest.approx(means["ranking"], abs=1e-9)
    assert set(result["components"]) == {"bleu", "rouge", "key", "emb"}
    for name, value in result["components"].items():
        assert value == pytest.approx(means[name], abs=1e-9)
    assert result["signature"] == expected.signature.format()
    assert result["comparable_with_leaderboard"] is False
    assert result["n_cases"] == 2
    # the first case is an exact match of 4+ tokens: BLEU and ROUGE 1 (scoring notes)
    assert result["components"]["bleu"] == pytest.approx(0.5)


def script_imports(script: Path) -> list[str]:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, "a relative import would make evaluate look for a sibling file"
            names.append(node.module.split(".")[0])
    return names


def test_script_is_named_after_its_folder_and_imports_only_installed_packages() -> None:
    folder = metric_path()
    script = folder / f"{folder.name}.py"
    assert script.is_file()
    text = script.read_text(encoding="utf-8")
    assert "__file__" not in text  # the script runs from a copy: no sibling files
    assert "from evaluate import" not in text  # evaluate.Metric, never Metric by name
    imports = script_imports(script)
    assert {"evaluate", "datasets", "reg_eval"} <= set(imports)
    for name in imports:
        assert importlib.util.find_spec(name) is not None, name
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "evaluate" in card


def test_compute_refuses_unknown_options_before_loading_models() -> None:
    from reg_eval.hf_metric.compute import compute_reg2025

    with pytest.raises(UsageError, match="unknown option"):
        compute_reg2025(["a"], ["b"], emb_modle="x")
    with pytest.raises(UsageError, match="unknown evaluate module"):
        metric_path("reg2030")


def test_hf_metric_path_command_prints_the_folder() -> None:
    app = typer.Typer(add_completion=False)

    @app.callback()
    def root() -> None:
        """Tools."""

    app.command("hf-metric-path")(hf_metric_path_command)
    result = CliRunner().invoke(app, ["hf-metric-path"])
    assert result.exit_code == 0
    assert Path(result.stdout.strip()) == metric_path()
    assert (Path(result.stdout.strip()) / "reg2025.py").is_file()


def test_a_missing_report_is_an_error_not_an_empty_report(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from reg_eval.errors import InvalidInputError
    from reg_eval.hf_metric.compute import compute_reg2025

    options = {"emb_model": str(tiny_bert_dir), "key_model": str(tiny_ruler_dir),
               "cache_dir": str(tmp_path / "cache"), "device": "cpu"}
    with pytest.raises(InvalidInputError) as caught:
        compute_reg2025([PREDICTIONS[0], None], REFERENCES, ids=["a", "b"], **options)  # type: ignore[list-item]
    assert caught.value.message == "predictions[1] (case 'b') is null, not a report string"
    with pytest.raises(InvalidInputError, match=r"references\[0\] is "):
        compute_reg2025(PREDICTIONS, [3, REFERENCES[1]], **options)  # type: ignore[list-item]
    # Through `evaluate`, which stores the batch in Arrow and hands the None back.
    done = subprocess.run(
        [
            sys.executable, "-c", LOAD_AND_COMPUTE, str(metric_path()), str(tiny_bert_dir),
            str(tiny_ruler_dir), str(tmp_path / "cache"), json.dumps([PREDICTIONS[0], None]),
            json.dumps(REFERENCES),
        ],
        capture_output=True, text=True, env=offline_env(tmp_path), cwd=tmp_path, timeout=300,
    )
    assert done.returncode != 0
    assert "predictions[1] is null, not a report string" in done.stderr
    assert "RESULT" not in done.stdout


def test_compute_names_the_clinical_headline(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from reg_eval.hf_metric.compute import compute_reg2025

    options = {"emb_model": str(tiny_bert_dir), "key_model": str(tiny_ruler_dir),
               "cache_dir": str(tmp_path / "cache"), "device": "cpu"}
    result = compute_reg2025([REFERENCES[0]], [REFERENCES[0]], metrics="official,clinical",
                             **options)
    # A report equal to its reference: every clinical fact matches.
    assert result["headlines"] == {"clinical": {"column": "clinical_weighted", "mean": 1.0}}
    assert next(iter(result["metrics"]["clinical"])) == "clinical_weighted"
    official_only = compute_reg2025([REFERENCES[0]], [REFERENCES[0]], metrics="official",
                                    **options)
    assert "headlines" not in official_only
    assert "metrics" not in official_only and "per_case" not in official_only


def test_the_card_names_every_value_compute_returns(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from reg_eval.hf_metric.compute import KWARGS_DESCRIPTION, compute_reg2025

    result = compute_reg2025(
        [REFERENCES[0]], [REFERENCES[0]], metrics="official,clinical", per_case=True,
        emb_model=str(tiny_bert_dir), key_model=str(tiny_ruler_dir),
        cache_dir=str(tmp_path / "cache"), device="cpu",
    )
    assert set(result) == {"ranking", "components", "ci", "signature",
                           "comparable_with_leaderboard", "n_cases", "metrics", "headlines",
                           "per_case"}
    (row,) = result["per_case"]
    assert {"id", "organ", "bleu", "rouge", "key", "emb", "ranking", "ref_keywords",
            "hyp_keywords", "missed_keywords", "extra_keywords", "clinical_weighted"} <= set(row)
    card = (metric_path() / "README.md").read_text(encoding="utf-8")
    outputs = card.split("### Output values", 1)[1].split("\n## ", 1)[0]
    returns = KWARGS_DESCRIPTION.split("Returns:", 1)[1].split("Examples:", 1)[0]
    for key in result:
        assert f"`{key}`" in outputs, key
        assert f"\n    {key}:" in returns, key
