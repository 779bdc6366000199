"""`report`, `leaderboard`, `final` and `plot` read saved results, per-case files and submissions
within the `--max-*` limits their readers honour, declared once in `reg_eval.commands.options`.

Each limit is shown both ways: the demo-sized run (the 40 cases of `examples/`) passes with
the defaults, and a limit set just below what the input holds refuses it with exit 1 and a
message naming the option to raise.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
from report.report_fixtures import make_result, write_run
from typer.testing import CliRunner

from reg_eval.cli import app
from reg_eval.commands.final import final_command
from reg_eval.commands.leaderboard import leaderboard_command
from reg_eval.commands.plot import plot_command
from reg_eval.commands.report import report_command

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GROUND_TRUTH = EXAMPLES / "ground-truth.json"
SUBMISSION = EXAMPLES / "submission-a.json"

DECLARED = {
    # every reader of each command honours the file size, the nesting and the case count;
    # `report` also reads submission texts (--max-report-chars) and, as a scoring command,
    # takes the whole shared set of limits (tests/commands/test_scoring_command.py).
    "report": (report_command, {"max_upload_mb", "max_decompressed_mb", "max_depth",
                                "max_report_chars", "max_cases"}),
    "leaderboard": (leaderboard_command, {"max_upload_mb", "max_depth", "max_cases"}),
    "final": (final_command, {"max_upload_mb", "max_depth", "max_cases"}),
    "plot": (plot_command, {"max_upload_mb", "max_depth", "max_cases"}),
}


def _cli(*args: str | Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def demo_run(tmp_path: Path) -> tuple[Path, Path]:
    """The saved files of a run over the 40 demo cases, with the demo texts."""
    refs = {c["id"]: c["report"] for c in json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))}
    hyps = {c["id"]: c["report"] for c in json.loads(SUBMISSION.read_text(encoding="utf-8"))}
    ids = sorted(hyps)
    assert len(ids) == 40 and set(refs) == set(ids)
    result = make_result(ids, bleu=np.linspace(0.1, 0.5, len(ids)),
                         refs=[refs[i] for i in ids], hyps=[hyps[i] for i in ids])
    return write_run(tmp_path, "demo", result)


@pytest.mark.parametrize("command", sorted(DECLARED))
def test_each_command_declares_the_limits_its_readers_honour(command: str) -> None:
    fn, expected = DECLARED[command]
    declared = {name for name in inspect.signature(fn).parameters if name.startswith("max_")}
    assert declared == expected
    help_text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "250"}).stdout
    for name in expected:
        assert "--" + name.replace("_", "-") in help_text
    assert ("--max-decompressed-mb" in help_text) == ("max_decompressed_mb" in expected)


def test_the_defaults_accept_the_demo_run(demo_run: tuple[Path, Path], tmp_path: Path) -> None:
    result, per_case = demo_run
    out = tmp_path / "report.html"
    done = _cli("report", "--results", result, "--per-case", per_case,
                "--ground-truth", GROUND_TRUTH, "--submission", SUBMISSION, "--out", out)
    assert done.exit_code == 0, done.output
    assert out.exists()
    done = _cli("leaderboard", result, "--per-case", per_case, "--n", "50")
    assert done.exit_code == 0, done.output
    done = _cli("final", "--phase1", result, "--phase2", result)
    assert done.exit_code == 0, done.output


def _refused(done, option: str) -> None:  # type: ignore[no-untyped-def]
    assert done.exit_code == 1, done.output
    assert option in done.stderr, done.stderr


@pytest.mark.parametrize("command", ["leaderboard", "final", "plot"])
def test_a_result_file_over_a_limit_is_refused(
    command: str, demo_run: tuple[Path, Path], tmp_path: Path
) -> None:
    result, _ = demo_run
    padded = tmp_path / "padded.json"
    padded.write_bytes(result.read_bytes() + b" " * (1024 * 1024 + 1))

    def run(path: Path, *limit: str):  # type: ignore[no-untyped-def]
        args = {
            "leaderboard": [path],
            "final": ["--phase2", path],
            "plot": [path, "--out", tmp_path / f"plots-{len(limit)}", "--force"],
        }[command]
        return _cli(command, *args, *limit)

    assert run(padded).exit_code == 0  # well within the default 128 MB
    _refused(run(padded, "--max-upload-mb", "1"), "--max-upload-mb")
    # a result file nests components -> ci -> [low, high]: deeper than 2 levels
    _refused(run(result, "--max-depth", "2"), "--max-depth")
    # 32 JSON values per allowed case: one case leaves far too few for 40 cases' organs and CIs
    _refused(run(result, "--max-cases", "1"), "--max-cases")


def test_a_per_case_file_over_a_limit_is_refused(demo_run: tuple[Path, Path]) -> None:
    result, per_case = demo_run
    base = ("leaderboard", result, "--per-case", per_case, "--n", "50")
    done = _cli(*base, "--max-cases", "39")
    _refused(done, "--max-cases")
    assert "more than 39 rows" in done.stderr
    # the whole result file fits 40 cases' value budget; the per-case file is what is refused
    assert str(per_case) in done.stderr
    _refused(_cli(*base, "--max-depth", "1"), "--max-depth")
    assert _cli(*base, "--max-cases", "40").exit_code == 0


def test_a_per_case_csv_over_the_case_limit_is_refused(tmp_path: Path) -> None:
    from reg_eval.io.limits import LimitExceeded, Limits, limits_applied
    from reg_eval.io.results import load_per_case

    table = tmp_path / "cases.csv"
    table.write_text("id,ranking,bleu,rouge,key,emb\n"
                     "a,0.5,0.5,0.5,0.5,0.5\nb,0.4,0.4,0.4,0.4,0.4\n", encoding="utf-8")
    with limits_applied(Limits(max_cases=2)):
        assert len(load_per_case(table).rows) == 2
    with limits_applied(Limits(max_cases=1)), pytest.raises(LimitExceeded) as refused:
        load_per_case(table)
    assert f"{table}:3: more than 1 rows (--max-cases)" in str(refused.value)


def test_report_applies_the_limits_to_saved_files_and_submission_texts(
    demo_run: tuple[Path, Path], tmp_path: Path
) -> None:
    result, per_case = demo_run
    out = tmp_path / "report.html"
    saved = ("report", "--results", result, "--per-case", per_case, "--out", out)
    _refused(_cli(*saved, "--max-cases", "39"), "--max-cases")
    _refused(_cli(*saved, "--max-depth", "2"), "--max-depth")
    longest = max(len(c["report"]) for path in (GROUND_TRUTH, SUBMISSION)
                  for c in json.loads(path.read_text(encoding="utf-8")))
    texts = (*saved, "--ground-truth", GROUND_TRUTH, "--submission", SUBMISSION)
    _refused(_cli(*texts, "--max-report-chars", str(longest - 1)), "--max-report-chars")
    assert not out.exists()
    assert _cli(*texts, "--max-report-chars", str(longest)).exit_code == 0
