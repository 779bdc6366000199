"""`reg-eval slides check|fix` as a user runs them: output, JSON shape, exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reg_eval.commands.slides import slides_app
from slide_files import SlideSet, build_slide_set

app = typer.Typer()
app.add_typer(slides_app, name="slides")
runner = CliRunner()


@pytest.fixture(scope="module")
def slide_set(tmp_path_factory: pytest.TempPathFactory) -> SlideSet:
    return build_slide_set(tmp_path_factory.mktemp("cmd-slides") / "raw")


def _run(*args: object) -> object:
    return runner.invoke(app, ["slides", *map(str, args)])


def test_check_text_and_exit_codes(slide_set: SlideSet) -> None:
    ok = _run("check", slide_set.good, slide_set.rgb_jpeg, slide_set.blank)
    assert ok.exit_code == 0, ok.output
    assert "3 slides: 0 with problems" in ok.output
    bad = _run("check", slide_set.folder)
    assert bad.exit_code == 1
    assert "problem photometric-mismatch" in bad.output and "problem truncated" in bad.output
    assert "problem not-a-tiff" in bad.output
    assert "7 slides: 3 with problems (2 unreadable, 1 with a fixable tag 262)" in bad.output
    strict = _run("check", slide_set.striped, "--strict")
    assert strict.exit_code == 1 and "warning striped" in strict.output
    assert _run("check", slide_set.striped).exit_code == 0


def test_check_json(tmp_path: Path, slide_set: SlideSet) -> None:
    (tmp_path / "corrupted_id.csv").write_text("id_list\nPIT_01_00004_01\n")
    (tmp_path / "revised_list.csv").write_text("id_list\nPIT_01_00002_01.tiff\n")
    result = _run("check", slide_set.folder, "--format", "json", "--exclude",
                  tmp_path / "corrupted_id.csv", "--revised", tmp_path / "revised_list.csv")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    rows = {row["id"]: row for row in data["slides"]}
    assert set(rows) == {f"PIT_01_0000{i}_01.tiff" for i in range(1, 7)} | {"notes.tiff"}
    for row in rows.values():
        assert {"path", "id", "readable", "problems"} <= set(row)
    assert [p["code"] for p in rows["PIT_01_00004_01.tiff"]["problems"]] == [
        "excluded", "truncated"]
    assert rows["PIT_01_00002_01.tiff"]["revised"] is True
    assert rows["PIT_01_00002_01.tiff"]["problems"][0]["code"] == "photometric-mismatch"
    assert rows["notes.tiff"]["readable"] is False
    assert data["lists"]["exclude"]["column"] == "id_list"


def test_check_usage_errors(tmp_path: Path, slide_set: SlideSet) -> None:
    missing = _run("check", tmp_path / "nope.tiff")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    too_long = _run("check", tmp_path / ("x" * 300 + ".tiff"))
    assert too_long.exit_code == 2 and "File name too long" in too_long.output
    (tmp_path / "bad.csv").write_text("case,score\nx,1\n")
    bad_list = _run("check", slide_set.good, "--exclude", tmp_path / "bad.csv")
    assert bad_list.exit_code == 1 and "['case', 'score']" in bad_list.output
    assert _run("check", slide_set.good, "--format", "xml").exit_code == 2
    (tmp_path / "empty").mkdir()
    assert _run("check", tmp_path / "empty").exit_code == 2


def test_output_to_a_reader_that_closed_ends_quietly(slide_set: SlideSet) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop("REG_EVAL_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "reg_eval", "slides", "check", str(slide_set.good), "--format",
         "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head -0` does: nothing will read what it prints
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, stderr
    assert stderr == ""


def test_fix_command(tmp_path: Path, slide_set: SlideSet) -> None:
    before = hashlib.sha256(slide_set.wrong_tag.read_bytes()).hexdigest()
    out = tmp_path / "fixed"
    result = _run("fix", slide_set.wrong_tag, slide_set.good, "--out", out)
    assert result.exit_code == 0, result.output
    assert "fixed   PIT_01_00002_01.tiff: tag 262 2 -> 6" in result.output
    assert "ok      PIT_01_00001_01.tiff" in result.output
    assert hashlib.sha256(slide_set.wrong_tag.read_bytes()).hexdigest() == before
    assert _run("check", out).exit_code == 0
    again = _run("fix", slide_set.wrong_tag, "--out", out)
    assert again.exit_code == 2 and "--force" in again.output
    broken = _run("fix", slide_set.truncated, "--out", out)
    assert broken.exit_code == 1 and "truncated" in broken.output
    assert _run("fix", slide_set.wrong_tag).exit_code == 2


def test_synth_writes_a_set_the_tools_agree_with(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = _run("synth", "--out", out, "--n", "4", "--width", "256", "--height", "192")
    assert result.exit_code == 0, result.output
    assert (out / "revised_list.csv").read_text() == "id_list\nPIT_01_00002_01\n"
    assert (out / "corrupted_id.csv").read_text() == "id_list\nPIT_01_00003_01\n"
    data = json.loads(_run("check", out, "--format", "json").stdout)
    problems = {row["id"]: [p["code"] for p in row["problems"]] for row in data["slides"]}
    assert problems == {"PIT_01_00001_01.tiff": [],
                        "PIT_01_00002_01.tiff": ["photometric-mismatch"],
                        "PIT_01_00003_01.tiff": ["truncated"], "PIT_01_00004_01.tiff": []}
    assert _run("synth", "--out", out, "--n", "4").exit_code == 2  # not without --force
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x.txt").write_text("x")
    refused = _run("synth", "--out", tmp_path / "mine", "--force")
    assert refused.exit_code == 2 and "slides.csv" in refused.output
