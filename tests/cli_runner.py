"""Some of the CLI's commands on a Typer app of their own, run in this process, for tests.

`in_process("Leaderboards.", leaderboard=leaderboard_command)` gives a function that invokes
the app with its arguments as text (paths included) and returns Click's result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from click.testing import Result
from typer.testing import CliRunner


def in_process(about: str, **commands: Callable[..., Any]) -> Callable[..., Result]:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=about)

    @app.callback()
    def root() -> None:
        pass

    for name, command in commands.items():
        app.command(name.replace("_", "-"))(command)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])
