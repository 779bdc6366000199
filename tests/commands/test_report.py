"""`reg-eval report` from saved files and from a (stubbed) score run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from cli_runner import in_process
from report.report_fixtures import make_result, write_run, write_texts

from reg_eval.commands.report import report_command
from reg_eval.scoring import Scorer

N = 9
IDS = [f"PIT_01_{i:05d}_01.tiff" for i in range(N)]
REFS = [f"Prostate, needle biopsy;\n  Acinar adenocarcinoma, Gleason score {6 + i % 3}"
        for i in range(N)]
HYPS_A = ["Prostate, needle biopsy;\n  Acinar adenocarcinoma, Gleason score 7"] * N
HYPS_B = ["Prostate, needle biopsy;\n  Benign prostatic tissue"] * N


@pytest.fixture
def cli() -> object:
    return in_process("Reports.", report=report_command)


def _data(page: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'id="report-data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


def _results(tmp_path: Path):  # type: ignore[no-untyped-def]
    a = make_result(IDS, bleu=np.linspace(0.2, 0.6, N), refs=REFS, hyps=HYPS_A, clinical=True)
    b = make_result(IDS, bleu=np.linspace(0.0, 0.3, N), refs=REFS, hyps=HYPS_B, seed=2)
    return a, b


def test_report_from_saved_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = _results(tmp_path)
    a_json, a_cases = write_run(tmp_path, "a", a)
    b_json, b_cases = write_run(tmp_path, "b", b)
    gt = write_texts(tmp_path / "gt.json", IDS, REFS)
    sub = write_texts(tmp_path / "sub-a.json", IDS, HYPS_A)
    out = tmp_path / "report.html"
    done = cli("report", "--results", a_json, "--per-case", a_cases, "--ground-truth", gt,
               "--submission", sub, "--against-results", b_json, "--against-per-case", b_cases,
               "--n", "200", "--out", out)
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    data = _data(page)
    assert [c["id"] for c in data["cases"]] == IDS
    assert data["against"] and data["names"] == ["sub-a", "b"]
    first = data["cases"][0]
    assert "".join(t for op, t in first["d"] if op in "=+") == HYPS_A[0]
    assert first["od"] is None  # no texts given for the second run
    assert "Head to head: b against sub-a" in page
    assert a.signature.format() in page
    # Refuses to overwrite; --force replaces.
    again = cli("report", "--results", a_json, "--per-case", a_cases, "--out", out)
    assert again.exit_code == 2 and "--force" in again.stderr
    forced = cli("report", "--results", a_json, "--per-case", a_cases, "--out", out, "--force")
    assert forced.exit_code == 0
    assert _data(out.read_text(encoding="utf-8"))["cases"][0]["d"] is None


def test_mismatched_saved_files_are_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = _results(tmp_path)
    a_json, _ = write_run(tmp_path, "a", a)
    _, b_cases = write_run(tmp_path, "b", b)
    done = cli("report", "--results", a_json, "--per-case", b_cases, "--out", tmp_path / "r.html")
    assert done.exit_code == 1 and "same `reg-eval score` run" in done.stderr
    assert not (tmp_path / "r.html").exists()
    done = cli("report", "--results", a_json, "--out", tmp_path / "r.html")
    assert done.exit_code == 2
    done = cli("report", "--out", tmp_path / "r.html")
    assert done.exit_code == 2 and "--ground-truth" in done.stderr


def test_report_scores_when_no_saved_files(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = _results(tmp_path)
    by_file = {"sub-a.json": a, "sub-b.json": b}
    calls: list[tuple[str, str]] = []

    def fake_score_files(self, ground_truth, submission, *, missing="error"):  # type: ignore[no-untyped-def]
        calls.append((Path(submission).name, missing))
        return by_file[Path(submission).name]

    monkeypatch.setattr(Scorer, "score_files", fake_score_files)
    gt = write_texts(tmp_path / "gt.json", IDS, REFS)
    sub_a = write_texts(tmp_path / "sub-a.json", IDS, HYPS_A)
    sub_b = write_texts(tmp_path / "sub-b.json", IDS, HYPS_B)
    out = tmp_path / "report.html"
    done = cli("report", "-g", gt, "-s", sub_a, "--against", sub_b, "--missing", "empty",
               "--n", "100", "--out", out, "--quiet")
    assert done.exit_code == 0, done.output
    assert calls == [("sub-a.json", "empty"), ("sub-b.json", "empty")]
    data = _data(out.read_text(encoding="utf-8"))
    assert data["names"] == ["sub-a", "sub-b"]
    assert data["cases"][0]["od"] is not None
    assert "signature sub-a: reg-eval:" in done.stdout


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<script>alert(1)</script>", '"<script>alert(1)</script>"'),
        (-1, "-1"),
        (2.5, "2.5"),
        (True, "true"),
        (None, "null"),
        ([3], "[3]"),
    ],
)
def test_a_bad_organ_case_count_in_a_results_file_is_named(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, value: object, shown: str
) -> None:
    a, _ = _results(tmp_path)
    a_json, a_cases = write_run(tmp_path, "a", a)
    data = json.loads(a_json.read_text(encoding="utf-8"))
    data["by_organ"]["Prostate"]["n_cases"] = value
    a_json.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.html"
    done = cli("report", "--results", a_json, "--per-case", a_cases, "--out", out)
    assert done.exit_code == 1, done.output
    assert f'{a_json}: by_organ["Prostate"].n_cases is {shown}' in done.stderr
    assert "Traceback" not in done.output and "internal error" not in done.output
    assert not out.exists()


def test_other_bad_organ_rows_are_named(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, _ = _results(tmp_path)
    a_json, a_cases = write_run(tmp_path, "a", a)
    good = json.loads(a_json.read_text(encoding="utf-8"))
    for change, message in [
        (lambda d: d.__setitem__("by_organ", ["Prostate"]), "'by_organ' must be an object"),
        (lambda d: d["by_organ"].__setitem__("Prostate", 3), 'by_organ["Prostate"] must be'),
        (lambda d: d["by_organ"]["Prostate"].__setitem__("ranking", "high"),
         'by_organ["Prostate"].ranking is missing or not a number'),
        (lambda d: d["by_organ"]["Prostate"]["ci"].__setitem__("ranking", ["<b>", 1]),
         'by_organ["Prostate"].ci must map each score to [low, high]'),
    ]:
        data = json.loads(json.dumps(good))
        change(data)
        a_json.write_text(json.dumps(data), encoding="utf-8")
        done = cli("report", "--results", a_json, "--per-case", a_cases,
                   "--out", tmp_path / "r.html")
        assert done.exit_code == 1, (message, done.output)
        assert message in done.stderr
