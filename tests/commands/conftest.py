"""CLI fixtures: the validate/convert commands in a small Typer app, in-process and as a
real process, and `python -m reg_eval` (failing, never skipping, if the CLI does not import)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reg_eval.commands.convert import convert_command
from reg_eval.commands.validate import validate_command

REPO = Path(__file__).resolve().parents[2]
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


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REG_EVAL_DEBUG", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture
def run_process() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the two commands as a real console program (a small app in a fresh process)."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _APP_SOURCE, *(str(a) for a in args)],
            capture_output=True, text=True, env=_env(), cwd=REPO, timeout=120,
        )

    return run


@functools.cache
def _cli_import_error() -> str | None:
    done = subprocess.run([sys.executable, "-c", "import reg_eval.cli"], capture_output=True,
                          text=True, env=_env(), cwd=REPO, timeout=120)
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or ["unknown error"])[-1]


def module_runner(import_error: str | None) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`python -m reg_eval ...`; a command line that does not import fails the test.

    (It once skipped instead, which let a broken CLI pass the suite.)
    """
    if import_error is not None:
        pytest.fail(f"reg_eval.cli does not import: {import_error}", pytrace=False)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reg_eval", *(str(a) for a in args)],
            capture_output=True, text=True, env=_env(), cwd=REPO, timeout=120,
        )

    return run


@pytest.fixture
def run_module() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`python -m reg_eval ...` in a fresh process."""
    return module_runner(_cli_import_error())
