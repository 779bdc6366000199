"""validate, score, compare, score-cot and the Python API on hostile submissions and ground
truths: each ends with its documented exit code (or error class), names the file, shows no
traceback, and leaves the user's existing output file as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_inputs import (
    GOOD_ITEMS,
    HOSTILE_IDS,
    HOSTILE_JSON,
    ITEMS,
    Hostile,
    assert_refused,
    folder_snapshot,
    make_hostile,
    write_json,
)
from typer.testing import Result

from reg_eval.errors import RegEvalError
from reg_eval.io.limits import Limits, limits_applied

Cli = Callable[..., Result]
USER_OUTPUT = b'{"mine": "an earlier result the user keeps"}\n'

STEPS = [
    {"question": "What is the organ?", "answer": "Lung",
     "next_question": "What is the final pathology report?"},
    {"question": "What is the final pathology report?", "answer": "Lung, biopsy;\n  Adenoma",
     "next_question": ""},
]
COT_ITEMS = [{"id": "PIT_01_00001_01.tiff", "chain-of-thought": STEPS}]


@pytest.mark.parametrize("hostile", HOSTILE_JSON, ids=HOSTILE_IDS)
def test_validate(cli: Cli, tmp_path: Path, hostile: Hostile) -> None:
    path = make_hostile(hostile, tmp_path)
    result = cli("validate", path, *hostile.options)
    assert_refused(result, hostile.exit_code, path.name)


@pytest.mark.parametrize("hostile", HOSTILE_JSON, ids=HOSTILE_IDS)
@pytest.mark.parametrize("role", ["submission", "ground-truth"])
def test_score_keeps_the_users_output(
    cli: Cli, tmp_path: Path, model_args: list[str], hostile: Hostile, role: str
) -> None:
    path = make_hostile(hostile, tmp_path)
    good = write_json(tmp_path / "good.json", GOOD_ITEMS)
    output = tmp_path / "result.json"
    output.write_bytes(USER_OUTPUT)
    gt, sub = (good, path) if role == "submission" else (path, good)
    before = folder_snapshot(tmp_path)
    result = cli("score", "-g", gt, "-s", sub, *model_args, "--output", output, "--force",
                 *hostile.options)
    assert_refused(result, hostile.exit_code, path.name)
    assert folder_snapshot(tmp_path) == before  # nothing written, nothing left behind


@pytest.mark.parametrize("hostile", HOSTILE_JSON, ids=HOSTILE_IDS)
def test_compare(cli: Cli, tmp_path: Path, model_args: list[str], hostile: Hostile) -> None:
    path = make_hostile(hostile, tmp_path)
    good = write_json(tmp_path / "good.json", GOOD_ITEMS)
    output = tmp_path / "comparison.json"
    output.write_bytes(USER_OUTPUT)
    options = [a for a in model_args if a not in ("--bootstrap", "20")]
    result = cli("compare", path, good, "-g", good, *options, "--n", "50", "--output", output,
                 "--force", *hostile.options)
    assert_refused(result, hostile.exit_code, path.name)
    assert output.read_bytes() == USER_OUTPUT


@pytest.mark.parametrize("hostile", HOSTILE_JSON, ids=HOSTILE_IDS)
@pytest.mark.parametrize("role", ["submission", "ground-truth"])
def test_score_cot(
    cli: Cli, tmp_path: Path, model_args: list[str], hostile: Hostile, role: str
) -> None:
    path = make_hostile(hostile, tmp_path)
    good = write_json(tmp_path / "good-cot.json", COT_ITEMS)
    output = tmp_path / "result.json"
    output.write_bytes(USER_OUTPUT)
    gt, sub = (good, path) if role == "submission" else (path, good)
    result = cli("score-cot", "-g", gt, "-s", sub, *model_args, "--output", output, "--force",
                 *hostile.options)
    # A symlink to a folder is a folder submission here (a folder of per-case files), which
    # holds nothing: refused as a finding (exit 1) rather than as an unreadable path.
    expected = hostile.exit_code
    if hostile.name == "symlink-to-folder" and role == "submission":
        expected = 1
    assert_refused(result, expected, path.name)
    assert output.read_bytes() == USER_OUTPUT


def _limits(options: tuple[str, ...]) -> Limits:
    pairs = dict(zip(options[::2], options[1::2], strict=True))
    return Limits(**{key.lstrip("-").replace("-", "_"): int(value)
                     for key, value in pairs.items()})


@pytest.mark.parametrize("hostile", HOSTILE_JSON, ids=HOSTILE_IDS)
def test_python_api_score_files(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path, hostile: Hostile
) -> None:
    from reg_eval import score_files

    path = make_hostile(hostile, tmp_path)
    good = write_json(tmp_path / "good.json", GOOD_ITEMS)
    with limits_applied(_limits(hostile.options)), pytest.raises(RegEvalError) as caught:
        score_files(good, path, profile="offline", emb_model=str(tiny_bert_dir),
                    key_model=str(tiny_ruler_dir), device="cpu", cache=False, bootstrap=10)
    assert caught.value.exit_code == hostile.exit_code
    assert path.name in str(caught.value)


def test_the_limits_in_force_come_back_after_a_command(cli: Cli, tmp_path: Path) -> None:
    from reg_eval.io.limits import DEFAULT_LIMITS, current_limits

    path = write_json(tmp_path / "two.json", ITEMS)
    assert cli("validate", path, "--max-cases", "1").exit_code == 1
    assert current_limits() == DEFAULT_LIMITS
    assert cli("validate", path).exit_code == 0


@pytest.mark.parametrize("option", ["--max-upload-mb", "--max-decompressed-mb", "--max-depth",
                                    "--max-report-chars", "--max-cases"])
def test_a_limit_below_1_is_a_usage_error(cli: Cli, tmp_path: Path, option: str) -> None:
    path = write_json(tmp_path / "good.json", GOOD_ITEMS)
    result = cli("validate", path, option, "0")
    assert result.exit_code == 2 and option in result.output


def test_limit_messages_name_the_option_and_the_size_that_would_pass(
    cli: Cli, tmp_path: Path
) -> None:
    items = [*GOOD_ITEMS, {"id": "PIT_01_00003_01.tiff", "report": "x" * 300}]
    path = write_json(tmp_path / "p.json", items)
    result = cli("validate", path, "--max-report-chars", "100", "--format", "json")
    finding = json.loads(result.stdout)["errors"][0]
    assert finding["code"] == "E015" and finding["index"] == len(items) - 1
    assert "--max-report-chars 300" in finding["hint"]


ID_LIST_HOSTILE = [h for h in HOSTILE_JSON if not h.options and h.name not in
                   ("not-a-list", "nan", "lone-surrogate", "truncated", "empty", "garbage",
                    "csv-as-json")]
"""Id lists given with --ids: read as JSON when they start with [, else one id a line, so only
the cases that stay broken either way are here."""


@pytest.mark.parametrize("hostile", ID_LIST_HOSTILE, ids=[h.name for h in ID_LIST_HOSTILE])
def test_validate_with_a_hostile_id_list(cli: Cli, tmp_path: Path, hostile: Hostile) -> None:
    ids = make_hostile(hostile, tmp_path, "ids.json")
    good = write_json(tmp_path / "good.json", GOOD_ITEMS)
    result = cli("validate", good, "--ids", ids)
    # The id list is an option's file: unusable, it is a usage error (2), named.
    assert_refused(result, 2, "ids.json")


@pytest.mark.parametrize("content", [b"\xff\xfeid_list\n", b"id_list\n\"PIT_01", b"\x80\x81"])
def test_validate_with_a_hostile_exclusion_list(
    cli: Cli, tmp_path: Path, content: bytes
) -> None:
    exclude = tmp_path / "corrupted_id.csv"
    exclude.write_bytes(content)
    good = write_json(tmp_path / "good.json", GOOD_ITEMS)
    assert_refused(cli("validate", good, "--exclude", exclude), 2, "corrupted_id.csv")


def test_convert_a_folder_over_the_case_limit(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    for n in range(4):
        (folder / f"PIT_01_{n:05d}_01.txt").write_text("Lung, biopsy", encoding="utf-8")
    result = cli("convert", folder, "--out", tmp_path / "o.json", "--max-cases", "3")
    assert_refused(result, 1, "4 .txt files", "--max-cases")
    assert not (tmp_path / "o.json").exists()


REPORT_HOSTILE = [h for h in HOSTILE_JSON if not h.options]


@pytest.mark.parametrize("hostile", REPORT_HOSTILE, ids=[h.name for h in REPORT_HOSTILE])
def test_report_on_a_hostile_submission(
    cli: Cli, tmp_path: Path, model_args: list[str], hostile: Hostile
) -> None:
    path = make_hostile(hostile, tmp_path)
    good = write_json(tmp_path / "good.json", GOOD_ITEMS)
    out = tmp_path / "report.html"
    out.write_bytes(USER_OUTPUT)
    result = cli("report", "-g", good, "-s", path, *model_args, "--out", out, "--force")
    assert_refused(result, hostile.exit_code, path.name)
    assert out.read_bytes() == USER_OUTPUT
