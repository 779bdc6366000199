"""`reg-eval validate` from the outside: exit codes, output, shipped examples."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GROUND_TRUTH = EXAMPLES / "ground-truth.json"

# broken example -> (extra arguments, codes its validation must report)
BROKEN: dict[str, tuple[list[str], set[str]]] = {
    "bad-ids.json": (["--ground-truth", str(GROUND_TRUTH)], {"E010", "W001", "W002"}),
    "bom.json": ([], {"E002"}),
    "dict-wrapper.json": ([], {"E004"}),
    "duplicate-ids.json": ([], {"E009"}),
    "empty-list.json": ([], {"E012"}),
    "item-not-object.json": ([], {"E005"}),
    "json-lines.jsonl": ([], {"E004"}),
    "missing-ids.json": (["--ground-truth", str(GROUND_TRUTH)], {"E010"}),
    "nan-and-null.json": ([], {"E007"}),
    "non-string-values.json": ([], {"E007"}),
    "not-utf8.json": ([], {"E001"}),
    "syntax-error.json": ([], {"E003"}),
    "wrong-keys.json": ([], {"E006", "W006"}),
}
PLACE = re.compile(r":\d+:\d+(, item \d+)?|, id PIT_\d\d_\d{5}_\d\d\.tiff")


def case(n: int) -> dict[str, str]:
    return {"id": f"PIT_{n % 7:02d}_{n:05d}_01.tiff",
            "report": f"Prostate, biopsy;\n  Acinar adenocarcinoma, tumor volume: {n % 90}%"}


def write(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=2), encoding="utf-8")
    return path


def test_valid_1000_case_file_exits_0(tmp_path: Path, invoke: Callable[..., Any]) -> None:
    cases = [case(n) for n in range(1000)]
    sub = write(tmp_path / "predictions.json", cases)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(c["id"] for c in cases) + "\n")
    result = invoke("validate", sub, "--ids", ids, "--strict")
    assert result.exit_code == 0, result.output
    assert "valid — 1,000 cases, 0 errors, 0 warnings" in result.output


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_example_exits_1_and_names_the_place(
    name: str, invoke: Callable[..., Any]
) -> None:
    extra, expected = BROKEN[name]
    path = EXAMPLES / "broken" / name
    result = invoke("validate", path, *extra, "--format", "json")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    found = {f["code"] for f in payload["errors"] + payload["warnings"]}
    assert expected <= found
    assert payload["valid"] is False
    text = invoke("validate", path, *extra)
    assert text.exit_code == 1
    assert PLACE.search(text.output), text.output
    assert str(path) in text.output


def test_every_broken_example_is_covered() -> None:
    assert {p.name for p in (EXAMPLES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize("name", ["submission-a.json", "submission-b.json"])
def test_shipped_submissions_are_valid(name: str, invoke: Callable[..., Any]) -> None:
    result = invoke("validate", EXAMPLES / name, "--ground-truth", GROUND_TRUTH,
                    "--exclude", EXAMPLES / "corrupted_id.csv")
    assert result.exit_code == 0, result.output
    assert "40 cases, 0 errors" in result.output


def test_ground_truth_is_valid(invoke: Callable[..., Any]) -> None:
    result = invoke("validate", GROUND_TRUTH, "--strict")
    assert result.exit_code == 0, result.output


def test_strict_turns_warnings_into_exit_1(invoke: Callable[..., Any]) -> None:
    sub = EXAMPLES / "submission-a.json"
    assert invoke("validate", sub).exit_code == 0
    strict = invoke("validate", sub, "--strict", "--format", "json")
    assert strict.exit_code == 1
    payload = json.loads(strict.stdout)
    assert payload["valid"] is False and payload["errors"] == []
    assert [w["code"] for w in payload["warnings"]] == ["W003"]


def test_json_output_is_one_object_with_the_documented_keys(
    tmp_path: Path, invoke: Callable[..., Any]
) -> None:
    sub = write(tmp_path / "p.json", [case(1), {"id": case(2)["id"], "report": None}])
    result = invoke("validate", sub, "--format", "json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert set(payload) == {"valid", "n_cases", "errors", "warnings"}
    assert payload["n_cases"] == 1
    (error,) = payload["errors"]
    assert error["code"] == "E007" and error["index"] == 1 and error["id"] == case(2)["id"]
    assert {"message", "line", "column"} <= set(error)


def test_max_findings(tmp_path: Path, invoke: Callable[..., Any]) -> None:
    sub = write(tmp_path / "p.json", [dict(case(n), report="") for n in range(12)])
    short = invoke("validate", sub, "--max-findings", "2")
    assert short.output.count("the report is empty") == 2 and "and 10 more W003" in short.output
    full = invoke("validate", sub, "--max-findings", "0")
    assert full.output.count("the report is empty") == 12


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "missing.json"],
        ["validate", "."],
        ["validate", "examples/submission-a.json", "--format", "xml"],
        ["validate", "examples/submission-a.json", "--max-findings", "-1"],
        ["validate", "examples/submission-a.json", "--ids", "examples/ground-truth.json",
         "--ground-truth", "examples/ground-truth.json"],
        ["validate", "examples/submission-a.json", "--exclude", "examples/ground-truth.json"],
    ],
)
def test_usage_errors_exit_2(args: list[str], invoke: Callable[..., Any],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Traceback" not in result.output


def test_real_process_exit_codes_and_streams(run_process: Callable[..., Any]) -> None:
    ok = run_process("validate", "examples/submission-b.json", "--ground-truth",
                     "examples/ground-truth.json")
    assert ok.returncode == 0, ok.stderr
    assert "valid — 40 cases" in ok.stdout and "\x1b[" not in ok.stdout
    bad = run_process("validate", "examples/broken/nan-and-null.json")
    assert bad.returncode == 1
    assert "nan-and-null.json:12:5, item 2" in bad.stdout
    missing = run_process("validate", "nowhere.json")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    for done in (ok, bad, missing):
        assert "Traceback" not in done.stdout + done.stderr


def test_python_m_reg_eval(run_module: Callable[..., Any]) -> None:
    ok = run_module("validate", "examples/submission-a.json", "--ground-truth",
                    "examples/ground-truth.json", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["n_cases"] == 40
    bad = run_module("validate", "examples/broken/not-utf8.json")
    assert bad.returncode == 1 and "not-utf8.json:4:66" in bad.stdout
    help_text = run_module("validate", "--help")
    assert help_text.returncode == 0 and "--ground-truth" in help_text.stdout
    for done in (ok, bad, help_text):
        assert "Traceback" not in done.stdout + done.stderr


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=200),
    st.lists(st.dictionaries(st.sampled_from(["id", "report", "x"]),
                             st.one_of(st.none(), st.text(max_size=10), st.floats()),
                             max_size=3), max_size=4).map(lambda v: json.dumps(v).encode()),
))
def test_cli_never_prints_a_traceback(data: bytes, tmp_path: Path,
                                      invoke: Callable[..., Any]) -> None:
    path = tmp_path / "random.json"
    path.write_bytes(data)
    for output_format in ("text", "json"):
        result = invoke("validate", path, "--format", output_format)
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if output_format == "json":
            assert json.loads(result.stdout)["valid"] is (result.exit_code == 0)
