"""`reg-eval leaderboard` and `reg-eval final` through a Typer app, as the CLI runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from cli_runner import in_process
from report.report_fixtures import make_result, write_run

from reg_eval.commands.final import final_command
from reg_eval.commands.leaderboard import leaderboard_command

NOT_COMPARABLE = (
    "not comparable: profile offline is not the test-phase setup (use --profile reg2025)"
)
IDS = [f"c{i}" for i in range(20)]


@pytest.fixture
def cli() -> object:
    return in_process("Leaderboards.", leaderboard=leaderboard_command, final=final_command)


def _run(folder: Path, name: str, ranking: float, **kw: object) -> tuple[Path, Path]:
    ones = np.ones(len(IDS))
    bleu = np.linspace(-0.05, 0.05, len(IDS)) + (ranking - 0.7) / 0.3
    return write_run(folder, name, make_result(IDS, bleu=bleu, key=ones, emb=ones, **kw))  # type: ignore[arg-type]


def test_markdown_csv_and_html(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, a_cases = _run(tmp_path, "a", 0.80)
    b, b_cases = _run(tmp_path, "b", 0.84, profile="offline", comparable=False)
    done = cli("leaderboard", a, b, "--per-case", a_cases, "--per-case", b_cases, "--n", "100")
    assert done.exit_code == 0, done.output
    assert "| (" not in done.stdout  # no official rows asked for
    assert NOT_COMPARABLE in done.stdout
    assert done.stdout.count("reg-eval:0.1.0|") == 2
    assert "+0.0400" in done.stdout  # b against the baseline a
    assert "paired approximate randomization test of each metric" in done.stdout
    done = cli("leaderboard", a, b, "--per-case", a_cases, "--per-case", b_cases, "--n", "100",
               "--test", "bs")
    assert done.exit_code == 0 and "paired bootstrap test of each metric" in done.stdout
    done = cli("leaderboard", a, b, "--per-case", a_cases, "--per-case", b_cases, "--test", "t")
    assert done.exit_code == 2 and "unknown test 't'" in done.stderr
    done = cli("leaderboard", a, b, "--official", "reg2025-final", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 28 and {r["kind"] for r in rows} == {"local", "official"}
    out = tmp_path / "board.html"
    done = cli("leaderboard", a, "--format", "html", "--out", out)
    assert done.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>")
    assert cli("leaderboard", a, "--format", "html", "--out", out).exit_code == 2
    assert cli("leaderboard", a, "--format", "html", "--out", out, "--force").exit_code == 0


def test_bad_inputs_are_usage_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, _ = _run(tmp_path, "a", 0.80)
    done = cli("leaderboard", a, "--official", "reg2030")
    assert done.exit_code == 2 and "reg2025-phase2" in done.stderr
    assert cli("leaderboard", tmp_path / "none.json").exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"ranking": 1}))
    done = cli("leaderboard", broken)
    assert done.exit_code == 1 and "signature" in done.stderr


def test_final_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p1, _ = _run(tmp_path, "p1", 0.75)
    p2, _ = _run(tmp_path, "p2", 0.85)
    done = cli("final", "--phase1", p1, "--phase2", p2, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["final"] == pytest.approx(0.2 * 0.75 + 0.8 * 0.85)
    assert data["phase1"]["signature"].startswith("reg-eval:")
    done = cli("final", "--phase2", p2)
    assert done.exit_code == 0
    assert f"final score: {0.8 * 0.85:.4f}" in done.stdout
    assert "phase 1 result: it counts 0" in done.stderr
    assert "phase 2 signature: reg-eval:" in done.stdout
    assert "would rank" in done.stdout
    assert cli("final").exit_code == 2
