"""CLI fixtures: the validate/convert commands in a small Typer app, in-process and as a
real process, and `python -m reg_eval` (failing, never skipping, if the CLI does not import;
tests/cli_process.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from cli_process import REPO, cli_import_error, module_runner, process_env
from typer.testing import CliRunner

from reg_eval.commands.convert import convert_command
from reg_eval.commands.validate import validate_command

EXAMPLES = REPO / "examples"

_APP_SOURCE = """
import typer
from reg_eval.commands.convert import convert_command
from reg_eval.commands.validate import validate_command

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def root() -> None:
    pass


app.command("validate")(validate_command)
app.command("convert")(convert_command)
app()
"""


def build_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Submission tools."""

    app.command("validate")(validate_command)
    app.command("convert")(convert_command)
    return app


@pytest.fixture
def invoke() -> Callable[..., object]:
    """Run the commands in-process; returns typer's Result (stdout and stderr kept apart)."""
    app = build_app()
    runner = CliRunner()

    def run(*args: str | Path) -> object:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=True)

    return run


@pytest.fixture
def run_process() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the two commands as a real console program (a small app in a fresh process)."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _APP_SOURCE, *(str(a) for a in args)],
            capture_output=True, text=True, env=process_env(), cwd=REPO, timeout=120,
        )

    return run


@pytest.fixture
def run_module() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`python -m reg_eval ...` in a fresh process."""
    return module_runner(cli_import_error())
