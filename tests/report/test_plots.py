from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from report.report_fixtures import make_result, write_run

from reg_eval.errors import UsageError
from reg_eval.io.results import load_result
from reg_eval.report.plots import write_plot_files

REPO = Path(__file__).resolve().parents[2]


def _runs(folder: Path) -> list[Path]:
    ids = [f"c{i}" for i in range(30)]
    a = make_result(ids, bleu=np.linspace(0, 0.8, 30))
    b = make_result(ids, bleu=np.linspace(0.2, 0.9, 30), profile="offline", comparable=False)
    return [write_run(folder, "a", a)[0], write_run(folder, "b", b)[0]]


def test_plot_files_are_written_and_byte_identical(tmp_path: Path) -> None:
    paths = _runs(tmp_path)
    runs = [load_result(p) for p in paths]
    first = write_plot_files(runs, tmp_path / "one")
    assert sorted(p.name for p in first) == ["components.png", "components.svg",
                                             "organs.png", "organs.svg", "signatures.txt"]
    signatures = (tmp_path / "one" / "signatures.txt").read_text()
    for run in runs:
        assert f"{run.name}: {run.signature_text}" in signatures
        # the full signature also travels in each figure file's metadata
        assert run.signature_text.encode() in (tmp_path / "one" / "organs.svg").read_bytes()
    for path in first:
        if path.suffix == ".txt":
            continue
        data = path.read_bytes()
        assert len(data) > 1000
        assert data.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in data
    assert b"<dc:date>" not in (tmp_path / "one" / "organs.svg").read_bytes()
    # A second run in a fresh process gives the same bytes.
    code = (
        "import sys; from pathlib import Path; "
        "from reg_eval.io.results import load_result; "
        "from reg_eval.report.plots import write_plot_files; "
        "write_plot_files([load_result(p) for p in sys.argv[2:]], Path(sys.argv[1]))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "two"), *map(str, paths)],
                   check=True, cwd=REPO, timeout=120)
    for path in first:
        assert (tmp_path / "two" / path.name).read_bytes() == path.read_bytes(), path.name


def test_existing_plots_are_kept_without_force(tmp_path: Path) -> None:
    runs = [load_result(p) for p in _runs(tmp_path)]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "organs.svg").write_text("mine")
    with pytest.raises(UsageError, match="exists"):
        write_plot_files(runs, tmp_path / "out")
    assert (tmp_path / "out" / "organs.svg").read_text() == "mine"
    assert not (tmp_path / "out" / "components.png").exists()
    write_plot_files(runs, tmp_path / "out", force=True)
    assert (tmp_path / "out" / "organs.svg").read_text() != "mine"
