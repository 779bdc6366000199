"""convert on hostile tables and JSON Lines; report --results, leaderboard and final on hostile
result files. Each refuses with its exit code, the file and line, and writes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_inputs import (
    GOOD_ITEMS,
    HOSTILE_JSON,
    Hostile,
    assert_refused,
    folder_snapshot,
    make_hostile,
    write_json,
)
from typer.testing import Result

Cli = Callable[..., Result]
USER_FILE = b'[{"id": "PIT_01_00001_01.tiff", "report": "the user\'s own submission"}]\n'

TABLES: list[tuple[str, bytes, str, int, str]] = [
    # name, content, suffix, exit code, what the message must say
    ("unquoted-comma", b"id,report\nPIT_01_00012_01.tiff,Prostate, biopsy; Acinar adenocarcinoma"
     b"\n", ".csv", 1, ":2: the row has 3 cells"),
    ("split-by-line-break", b"id\treport\nPIT_01_00001_01.tiff\tLung, biopsy;\n  Adenoma\n",
     ".tsv", 1, ":3: the row has 1 cell"),
    ("unclosed-quote", b'id,report\nPIT_01_00001_01.tiff,"Lung\nPIT_01_00002_01.tiff,x\n',
     ".csv", 1, ":2: a quote opened"),
    ("text-after-quote", b'id,report\nPIT_01_00001_01.tiff,"Lung" biopsy\n', ".csv", 1,
     ":2: not valid CSV"),
    ("no-header-columns", b"slide,text\na,b\n", ".csv", 1, ":1: no column"),
    ("utf16-table", "id,report\nPIT_01_00001_01.tiff,Lung\n".encode("utf-16"), ".csv", 1,
     "the file is UTF-16 encoded"),
    ("utf16-no-bom-table", "id,report\nPIT_01_00001_01.tiff,Lung\n".encode("utf-16-le"),
     ".csv", 1, "looks like UTF-16LE text without a byte-order mark"),
    ("cp1252-table", "id,report\nPIT_01_00001_01.tiff,Lung biopsié\n".encode("cp1252"),
     ".csv", 1, "not valid UTF-8"),
    ("jsonl-key-twice", b'{"id": "a", "report": "x", "report": "y"}\n', ".jsonl", 1,
     ":1: not valid JSON (the key 'report' appears twice"),
    ("jsonl-nested", ("[" * 100_000).encode() + b"\n", ".jsonl", 1, ":1: lists and objects"),
    ("jsonl-huge-number", b'{"id": "a", "report": ' + b"9" * 5000 + b"}\n", ".jsonl", 1,
     ":1: not valid JSON"),
    ("jsonl-surrogate", b'{"id": "a", "report": "x \\ud800"}\n', ".jsonl", 1,
     "unpaired surrogate"),
    ("empty-table", b"", ".csv", 1, "is empty"),
]


@pytest.mark.parametrize(("name", "content", "suffix", "code", "says"), TABLES,
                         ids=[t[0] for t in TABLES])
def test_convert_refuses_and_keeps_the_users_file(
    cli: Cli, tmp_path: Path, name: str, content: bytes, suffix: str, code: int, says: str
) -> None:
    source = tmp_path / f"{name}{suffix}"
    source.write_bytes(content)
    out = tmp_path / "predictions.json"
    out.write_bytes(USER_FILE)
    before = folder_snapshot(tmp_path)
    result = cli("convert", source, "--out", out, "--force")
    assert_refused(result, code, source.name, says)
    assert folder_snapshot(tmp_path) == before


def test_convert_over_the_case_limit(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f"PIT_01_{n:05d}_01.tiff,Lung\n" for n in range(5))
    source = tmp_path / "p.csv"
    source.write_text("id,report\n" + rows, encoding="utf-8")
    result = cli("convert", source, "--out", tmp_path / "o.json", "--max-cases", "3")
    assert_refused(result, 1, "p.csv:5:", "--max-cases")
    assert not (tmp_path / "o.json").exists()


# -- saved results ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved_run(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path,
              tiny_ruler_dir: Path) -> tuple[Path, Path]:
    """A real `reg-eval score --output --per-case` pair, to put beside a hostile one."""
    from typer.testing import CliRunner

    from reg_eval.cli import app

    folder = tmp_path_factory.mktemp("run")
    gt = write_json(folder / "gt.json", [*GOOD_ITEMS,
                                         {"id": "PIT_01_00002_01.tiff", "report": "Lung"}])
    result, per_case = folder / "result.json", folder / "cases.jsonl"
    done = CliRunner().invoke(app, [
        "score", "-g", str(gt), "-s", str(gt), "--profile", "offline", "--emb-model",
        str(tiny_bert_dir), "--key-model", str(tiny_ruler_dir), "--device", "cpu",
        "--cache-dir", str(folder / "cache"), "--bootstrap", "20", "--quiet", "--metrics",
        "official", "--output", str(result), "--per-case", str(per_case),
    ])
    assert done.exit_code == 0, done.output
    return result, per_case


RESULT_HOSTILE = [h for h in HOSTILE_JSON if not h.options]
"""Result files take no limit options: the size-limit cases do not apply."""
WRONG_SHAPES = {
    "components-a-list": {"signature": {}, "n_cases": 1, "ranking": 0.5, "components": [1]},
    "ranking-a-string": {"signature": {}, "n_cases": 1, "ranking": "0.5", "components": {}},
}


def _hostile_result(tmp_path: Path, hostile: Hostile | str) -> Path:
    if isinstance(hostile, str):
        return write_json(tmp_path / f"{hostile}.json", WRONG_SHAPES[hostile])
    return make_hostile(hostile, tmp_path)


HOSTILE_RESULTS = [*RESULT_HOSTILE, *WRONG_SHAPES]
RESULT_IDS = [h if isinstance(h, str) else h.name for h in HOSTILE_RESULTS]


def _code(hostile: Hostile | str) -> int:
    return hostile.exit_code if isinstance(hostile, Hostile) else 1


@pytest.mark.parametrize("hostile", HOSTILE_RESULTS, ids=RESULT_IDS)
def test_report_results(cli: Cli, tmp_path: Path, saved_run: tuple[Path, Path],
                        hostile: Hostile | str) -> None:
    path = _hostile_result(tmp_path, hostile)
    out = tmp_path / "report.html"
    out.write_bytes(USER_FILE)
    result = cli("report", "--results", path, "--per-case", saved_run[1], "--out", out,
                 "--force")
    assert_refused(result, _code(hostile), path.name)
    assert out.read_bytes() == USER_FILE


PER_CASE_HOSTILE = {
    "nested-line": ("[" * 100_000).encode() + b"\n",
    "huge-number-line": b'{"id": "a", "ranking": ' + b"9" * 5000 + b"}\n",
    "not-utf8": b'{"id": "a\x80"}\n',
    "no-id": b'{"ranking": 0.5}\n',
    "truncated-line": b'{"id": "PIT_01_00001_01.tiff", "rank\n',
}


@pytest.mark.parametrize("name", PER_CASE_HOSTILE)
def test_report_per_case(cli: Cli, tmp_path: Path, saved_run: tuple[Path, Path],
                         name: str) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(PER_CASE_HOSTILE[name])
    out = tmp_path / "report.html"
    result = cli("report", "--results", saved_run[0], "--per-case", path, "--out", out)
    assert_refused(result, 1, path.name)
    assert not out.exists()


@pytest.mark.parametrize("hostile", HOSTILE_RESULTS, ids=RESULT_IDS)
def test_leaderboard_and_final(cli: Cli, tmp_path: Path, saved_run: tuple[Path, Path],
                               hostile: Hostile | str) -> None:
    path = _hostile_result(tmp_path, hostile)
    good = shutil.copy(saved_run[0], tmp_path / "good-run.json")
    assert_refused(cli("leaderboard", good, path), _code(hostile), path.name)
    assert_refused(cli("final", "--phase1", good, "--phase2", path), _code(hostile), path.name)


def test_the_saved_run_itself_is_accepted(cli: Cli, saved_run: tuple[Path, Path]) -> None:
    """The hostile cases above fail because of the hostile file, not the good one."""
    assert cli("final", "--phase1", saved_run[0], "--phase2", saved_run[0]).exit_code == 0
    assert json.loads(saved_run[0].read_text(encoding="utf-8"))["n_cases"] == 2
