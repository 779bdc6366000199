from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from report.report_fixtures import make_result, write_run
from typer.testing import CliRunner

from reg_eval.commands.plot import plot_command


def test_plot_command_writes_png_and_svg(tmp_path: Path) -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Plots."""

    app.command("plot")(plot_command)
    ids = [f"c{i}" for i in range(12)]
    a, _ = write_run(tmp_path, "a", make_result(ids, bleu=np.linspace(0, 1, 12)))
    runner = CliRunner()
    out = tmp_path / "figs"
    done = runner.invoke(app, ["plot", str(a), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == [
        "components.png", "components.svg", "organs.png", "organs.svg", "signatures.txt"
    ]
    assert "signature a: reg-eval:" in done.stdout
    again = runner.invoke(app, ["plot", str(a), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.stderr
