"""Every scoring command takes the whole shared option set, and every option reaches the typed
options under its own name.

The set is declared once (`reg_eval.commands.options`); each command runs twice with the
scorer replaced by a stub that records what it was given: once with every shared option set
to a value that is not its default, once with none. A command that dropped an option, or
passed it under another name, would leave the field at its default and fail here.
"""

from __future__ import annotations

import inspect
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from reg_eval import scoring
from reg_eval.cli import app
from reg_eval.commands import (
    compare,
    gc_evaluate,
    judging,
    report,
    score,
    score_cot,
    score_grounding,
)
from reg_eval.commands.options import (
    GROUP_OPTIONS,
    LIMIT_OPTIONS,
    RUN_OPTIONS,
    SHARED,
    MetricBJudgeOption,
    SharedOption,
    build_options,
    scoring_command,
    shared_options,
)
from reg_eval.io.limits import DEFAULT_LIMITS
from reg_eval.reg2026.scoring import CotScoringOptions
from reg_eval.scoring_options import RunOptions, ScoringOptions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

COMMANDS = {
    "score": (score.score_command, ScoringOptions),
    "compare": (compare.compare_command, ScoringOptions),
    "report": (report.report_command, ScoringOptions),
    "gc-evaluate": (gc_evaluate.gc_evaluate_command, ScoringOptions),
    "score-cot": (score_cot.score_cot_command, CotScoringOptions),
}
LEFT_OUT = {
    "compare": {"bootstrap"},  # compare prints paired tests, no bootstrap intervals
    "gc-evaluate": {"quiet"},  # the container never draws progress bars (stderr is for errors)
}
"""Run options a command has no use for; never a metric group or a limit."""

FLAGS = {
    "metrics": ["--metrics", "official,lexical"],
    "semantic_model": ["--semantic-model", "sem-model"],
    "bertscore_model": ["--bertscore-model", "bert-model"],
    "bertscore_layer": ["--bertscore-layer", "3"],
    "bertscore_rescale": ["--bertscore-rescale"],
    "rouge_stemmer": ["--rouge-stemmer"],
    "clinical_soft": ["--clinical-soft"],
    "judge": ["--judge", "openai:http://127.0.0.1:8000/v1"],
    "judge_model": ["--judge-model", "qwen3-8b"],
    "judge_dtype": ["--judge-dtype", "float16"],
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
FIELDS = {
    "metrics": "official,lexical",
    "group_options": {
        "semantic": {"model": "sem-model"},
        "bertscore": {"model_type": "bert-model", "num_layers": 3, "rescale_with_baseline": True},
        "lexical": {"rouge_stemmer": True},
        "clinical": {"soft": True},
        "judge": {"judge": "openai:http://127.0.0.1:8000/v1", "judge_model": "qwen3-8b",
                  "judge_dtype": "float16"},
    },
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
GROUP_DEFAULTS = {
    "semantic": {"model": None},
    "bertscore": {"model_type": None, "num_layers": None, "rescale_with_baseline": False},
    "lexical": {"rouge_stemmer": False},
    "clinical": {"soft": False},
    "judge": {"judge": None, "judge_model": None, "judge_dtype": "auto"},
}


def _declared(command: str) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(COMMANDS[command][0]).parameters)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_scoring_command_has_the_whole_shared_set(command: str) -> None:
    declared = _declared(command)
    options_type = COMMANDS[command][1]
    expected = {item.name for item in shared_options(options_type)} - LEFT_OUT.get(command, set())
    assert expected <= set(declared)
    # Every limit, and (REG 2025) every metric group and its options, in every command.
    assert {item.name for item in LIMIT_OPTIONS} <= set(declared)
    if options_type is ScoringOptions:
        assert {item.name for item in GROUP_OPTIONS} <= set(declared)
    assert LEFT_OUT.get(command, set()) <= {item.name for item in RUN_OPTIONS}
    # ... declared once: the command's parameter carries the shared Typer declaration (a
    # command may only give the profile, metrics or EMB model its own help or default).
    for name in expected - {"profile", "metrics", "emb_model"}:
        assert declared[name].annotation is SHARED[name].declaration, name
        assert declared[name].default == SHARED[name].default, name


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_lists_every_shared_option(command: str) -> None:
    done = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "250"})
    assert done.exit_code == 0
    for name in set(_declared(command)) & set(SHARED):
        assert "--" + name.replace("_", "-") in done.stdout


def test_defaults_are_those_of_the_options_types() -> None:
    run = RunOptions()
    assert (SHARED["batch_size"].default, SHARED["device"].default, SHARED["dtype"].default) == (
        run.batch_size, run.device, run.dtype,
    )
    assert (SHARED["seed"].default, SHARED["bootstrap"].default) == (run.seed, run.bootstrap)
    assert SHARED["metrics"].default == ScoringOptions().metrics
    assert {item.name: item.default for item in LIMIT_OPTIONS} == {
        name: getattr(DEFAULT_LIMITS, name) for name in (item.name for item in LIMIT_OPTIONS)
    }


def test_the_builder_fills_each_field_by_its_option() -> None:
    values = {"profile": "reg2025", "no_cache": True, "quiet": False, "batch_size": 4,
              "semantic_model": "m", "max_cases": 9}
    built = build_options(ScoringOptions, values)
    assert built == ScoringOptions(
        profile="reg2025", cache=False, progress=True, batch_size=4,
        group_options={**GROUP_DEFAULTS, "semantic": {"model": "m"}},
    )
    cot = build_options(CotScoringOptions, {"profile": "offline", "quiet": True, "seed": 3})
    assert cot == CotScoringOptions(profile="offline", progress=False, seed=3)


def test_an_option_that_fills_no_field_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no field for option"):
        build_options(CotScoringOptions, {"semantic_model": "m", "typo_option": 1})


@dataclass(frozen=True, kw_only=True)
class _JudgedOptions(CotScoringOptions):
    judge: str | None = None


def test_a_command_can_add_options_of_its_own_that_fill_its_options_type() -> None:
    received: list[Any] = []
    judge = SharedOption(
        "judge", Annotated[str | None, typer.Option("--judge", help="Judge model.")], None
    )

    @scoring_command(_JudgedOptions, extra=[judge], omit=["bootstrap"])
    def command(
        path: Annotated[Path, typer.Option("--path")], *, options: _JudgedOptions
    ) -> None:
        received.append((path, options))

    app_ = typer.Typer()
    app_.command()(command)
    app_.command("other")(command)  # two commands: Typer keeps the command name
    done = CliRunner().invoke(app_, ["command", "--path", "p", "--judge", "j", "--seed", "4"])
    assert done.exit_code == 0, done.output
    assert received == [(Path("p"), _JudgedOptions(judge="j", seed=4, progress=True))]
    assert "--bootstrap" not in CliRunner().invoke(app_, ["command", "--help"]).stdout
    with pytest.raises(TypeError, match="no shared option named nothing"):
        scoring_command(omit=["nothing"])(command)


def _flags(command: str) -> dict[str, list[str]]:
    # The shared options the command declares (score-cot's own --judge is Metric B's judge).
    shared = {item.name for item in shared_options(COMMANDS[command][1])}
    declared = set(_declared(command)) & shared
    other_profile = {"gc-evaluate": "offline", "score-cot": "offline"}.get(command, "reg2025")
    return {"profile": ["--profile", other_profile],
            **{name: flags for name, flags in FLAGS.items() if name in declared}}


def _expected(command: str, *, all_set: bool) -> ScoringOptions | CotScoringOptions:
    options_type = COMMANDS[command][1]
    progress = "quiet" in _declared(command)
    default_profile = {"gc-evaluate": "reg2025", "score-cot": "reg2026"}.get(command, "offline")
    if options_type is CotScoringOptions:
        if not all_set:
            return CotScoringOptions(profile=default_profile, progress=progress)
        fields = {k: v for k, v in FIELDS.items() if k not in ("metrics", "group_options")}
        return CotScoringOptions(profile="offline", **fields)
    if not all_set:
        metrics = "official" if command == "gc-evaluate" else "official,clinical"
        return ScoringOptions(profile=default_profile, metrics=metrics,
                              group_options=GROUP_DEFAULTS, progress=progress)
    fields = dict(FIELDS)
    if "bootstrap" not in _declared(command):
        del fields["bootstrap"]
    if "quiet" not in _declared(command):
        del fields["progress"]
    return ScoringOptions(profile=_flags(command)["profile"][1], **fields)


def _args(command: str, tmp_path: Path) -> list[str]:
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
    args = _args(command, tmp_path)
    if all_set:
        args += [part for flags in _flags(command).values() for part in flags]
    result = CliRunner().invoke(app, args)
    assert "ScorerBuilt" in result.output, result.output
    # compare prints paired tests, no intervals: its runs are scored with one resample.
    changes = {"bootstrap": 1} if command == "compare" else {}
    assert received == [(_expected(command, all_set=all_set), changes)]


@pytest.mark.parametrize("command", ["score", "report"])
def test_a_limit_given_to_a_scoring_command_applies_to_its_readers(
    command: str, tmp_path: Path
) -> None:
    done = CliRunner().invoke(app, [*_args(command, tmp_path), "--max-cases", "39"])
    assert done.exit_code == 1, done.output
    assert "--max-cases" in done.stderr


METRIC_B_JUDGE = {
    "judge_seed": judging.JudgeSeedOption,
    "voting": judging.VotingOption,
    "judge_cache_dir": judging.JudgeCacheDirOption,
}
"""How REG 2026 Metric B judges: options of the commands that score it, not scoring options."""


@pytest.mark.parametrize("command", ["score-cot", "gc-evaluate", "score-grounding"])
def test_the_judge_options_are_declared_once(command: str) -> None:
    function = {"score-grounding": score_grounding.score_grounding_command}.get(command)
    declared = inspect.signature(function or COMMANDS[command][0], eval_str=True).parameters
    for name, declaration in METRIC_B_JUDGE.items():
        assert declared[name].annotation is declaration, name
        assert name not in SHARED
    assert declared["judge_seed"].default == judging.DEFAULT_JUDGE_SEED == 12345
    assert declared["voting"].default == 1
    # --judge-model and --judge-dtype: the judge group's declaration, whichever command names
    # it; --judge says which judge it is (the group's on gc-evaluate, Metric B's elsewhere).
    assert declared["judge_model"].annotation is SHARED["judge_model"].declaration
    assert declared["judge_dtype"].annotation is SHARED["judge_dtype"].declaration
    assert declared["judge_dtype"].default == SHARED["judge_dtype"].default == "auto"
    judge_help = declared["judge"].annotation.__metadata__[0].help
    if command == "gc-evaluate":
        assert declared["judge"].annotation is SHARED["judge"].declaration
        assert "judge metric group" in judge_help and "Metric B" in judge_help
    else:
        assert judge_help.startswith("The LLM judge of REG 2026 Metric B")
        assert "metric group" not in judge_help
    if command == "score-cot":  # score-grounding requires it
        assert declared["judge"].annotation is MetricBJudgeOption
