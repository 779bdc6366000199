"""Every scoring option of every scoring command reaches the typed options, under its own name.

Each command runs twice with the scorer replaced by a stub that records what it was given:
once with every scoring option set to a value that is not its default, once with none. A
command that dropped an option, or passed it under another name, would leave the field at
its default and fail here. The Typer signatures are checked against the table below, so an
option added to a command without reaching the options fails too.
"""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reg_eval import scoring
from reg_eval.cli import app
from reg_eval.commands import compare, gc_evaluate, report, score, score_cot
from reg_eval.commands.options import LIMIT_PARAMETERS
from reg_eval.reg2026.scoring import CotScoringOptions
from reg_eval.scoring_options import ScoringOptions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

LIMITS = set(LIMIT_PARAMETERS)
"""The input limits (--max-*), which bound reading, not scoring."""
FILE_LIMITS = LIMITS - {"max_decompressed_mb"}
"""The limits of a command that reads no zip upload (report)."""
COMMAND_ONLY = {
    # inputs, outputs, the input limits and the per-call --missing policy
    # (score_files(missing=...)).
    "score": {"ground_truth", "submission", "missing", "output", "per_case", "output_format",
              "force", *LIMITS},
    "compare": {"submissions", "ground_truth", "test", "n", "missing", "output", "output_format",
                "force", *LIMITS},
    "report": {"out", "ground_truth", "submission", "against", "results", "per_case",
               "against_results", "against_per_case", "missing", "n", "force", *FILE_LIMITS},
    "gc-evaluate": {"input_dir", "ground_truth", "output", "phase", "report_slug", "image_slug",
                    "missing", "force", *LIMITS},
    "score-cot": {"ground_truth", "submission", "missing", "output", "per_case",
                  "output_format", "force", *LIMITS},
}
COMMANDS = {
    "score": score.score_command,
    "compare": compare.compare_command,
    "report": report.report_command,
    "gc-evaluate": gc_evaluate.gc_evaluate_command,
    "score-cot": score_cot.score_cot_command,
}

GROUP_FLAGS = {
    "semantic_model": ["--semantic-model", "sem-model"],
    "bertscore_model": ["--bertscore-model", "bert-model"],
    "bertscore_layer": ["--bertscore-layer", "3"],
    "bertscore_rescale": ["--bertscore-rescale"],
    "rouge_stemmer": ["--rouge-stemmer"],
    "clinical_soft": ["--clinical-soft"],
    "judge": ["--judge", "openai:http://127.0.0.1:8000/v1"],
    "judge_model": ["--judge-model", "qwen3-8b"],
}
GROUP_OPTIONS = {
    "semantic": {"model": "sem-model"},
    "bertscore": {"model_type": "bert-model", "num_layers": 3, "rescale_with_baseline": True},
    "lexical": {"rouge_stemmer": True},
    "clinical": {"soft": True},
    "judge": {"judge": "openai:http://127.0.0.1:8000/v1", "judge_model": "qwen3-8b"},
}
GROUP_DEFAULTS = {
    "semantic": {"model": None},
    "bertscore": {"model_type": None, "num_layers": None, "rescale_with_baseline": False},
    "lexical": {"rouge_stemmer": False},
    "clinical": {"soft": False},
    "judge": {"judge": None, "judge_model": None},
}
RUN_FLAGS = {
    "emb_model": ["--emb-model", "emb-override"],
    "key_model": ["--key-model", "key-override"],
    "device": ["--device", "cpu"],
    "dtype": ["--dtype", "bfloat16"],
    "batch_size": ["--batch-size", "3"],
    "no_cache": ["--no-cache"],
    "cache_dir": ["--cache-dir", "some-cache"],
    "bootstrap": ["--bootstrap", "7"],
    "seed": ["--seed", "5"],
    "quiet": ["--quiet"],
}
RUN_FIELDS = {
    "emb_model": "emb-override",
    "key_model": "key-override",
    "device": "cpu",
    "dtype": "bfloat16",
    "batch_size": 3,
    "cache": False,
    "cache_dir": Path("some-cache"),
    "bootstrap": 7,
    "seed": 5,
    "progress": False,
}


def scoring_flags(command: str) -> dict[str, list[str]]:
    """The scoring options each command declares, with a value that is not the default."""
    other_profile = {"gc-evaluate": "offline", "score-cot": "offline"}.get(command, "reg2025")
    flags = {"profile": ["--profile", other_profile], **RUN_FLAGS}
    if command != "score-cot":
        flags["metrics"] = ["--metrics", "official,lexical"]
    if command in ("score", "compare"):
        flags.update(GROUP_FLAGS)
    if command == "compare":
        del flags["bootstrap"]  # compare runs paired tests, not bootstrap CIs
    if command == "gc-evaluate":
        del flags["quiet"]  # the container never draws progress bars
    return flags


def expected_options(command: str, *, all_set: bool) -> ScoringOptions | CotScoringOptions:
    default_profile = {"gc-evaluate": "reg2025", "score-cot": "reg2026"}.get(command, "offline")
    if not all_set:
        progress = command != "gc-evaluate"
        if command == "score-cot":
            return CotScoringOptions(profile=default_profile, progress=progress)
        metrics = "official" if command == "gc-evaluate" else "official,clinical"
        groups = GROUP_DEFAULTS if command in ("score", "compare") else {}
        return ScoringOptions(
            profile=default_profile, metrics=metrics, group_options=groups, progress=progress
        )
    flags = scoring_flags(command)
    fields = dict(RUN_FIELDS)
    if "bootstrap" not in flags:
        del fields["bootstrap"]
    profile = flags["profile"][1]
    if command == "score-cot":
        return CotScoringOptions(profile=profile, **fields)
    group_options = GROUP_OPTIONS if "semantic_model" in flags else {}
    return ScoringOptions(
        profile=profile, metrics="official,lexical", group_options=group_options, **fields
    )


def command_args(command: str, tmp_path: Path) -> list[str]:
    """The inputs each command needs to get as far as building its scorer."""
    gt = str(EXAMPLES / "ground-truth.json")
    run_a = str(EXAMPLES / "submission-a.json")
    if command == "score":
        return ["score", "-g", gt, "-s", run_a]
    if command == "compare":
        return ["compare", run_a, str(EXAMPLES / "submission-b.json"), "-g", gt]
    if command == "report":
        return ["report", "-g", gt, "-s", run_a, "--out", str(tmp_path / "report.html")]
    if command == "gc-evaluate":
        upload = tmp_path / "upload"
        upload.mkdir(exist_ok=True)
        shutil.copy(run_a, upload / "predictions.json")
        return ["gc-evaluate", "--input", str(upload), "--ground-truth", gt,
                "--output", str(tmp_path / "out" / "metrics.json")]
    cot = tmp_path / "cot.json"
    cot.write_text(json.dumps([{"id": "PIT_01_00001_01.tiff", "chain-of-thought": []}]))
    return ["score-cot", "-g", str(cot), "-s", str(cot)]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_declared_option_is_a_command_option_or_a_scoring_field(command: str) -> None:
    declared = set(inspect.signature(COMMANDS[command]).parameters)
    assert declared - COMMAND_ONLY[command] == set(scoring_flags(command))
    assert COMMAND_ONLY[command] <= declared


@pytest.mark.parametrize("all_set", [True, False], ids=["every-option-set", "defaults"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_scorer_gets_exactly_the_options_given(
    command: str, all_set: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[Any, dict[str, Any]]] = []

    class ScorerBuilt(Exception):
        pass

    def stub(options: Any, /, **changes: Any) -> None:
        received.append((options, changes))
        raise ScorerBuilt

    monkeypatch.setattr(scoring, "Scorer", stub)
    monkeypatch.setattr(score_cot, "CotScorer", stub)
    monkeypatch.delenv(gc_evaluate.PROFILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    args = command_args(command, tmp_path)
    if all_set:
        args += [part for flags in scoring_flags(command).values() for part in flags]
    result = CliRunner().invoke(app, args)
    assert "ScorerBuilt" in result.output, result.output
    assert received == [(expected_options(command, all_set=all_set), {})]
