"""Expected errors become a message and an exit code; tracebacks stay hidden."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

from reg_eval.errors import RegEvalError

INTERNAL_ERROR_EXIT = 3
BROKEN_PIPE_EXIT = 141
"""128 + SIGPIPE, what a shell reports for a program whose reader (`| head`) went away."""


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of output nobody reads
    raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a descriptor (tests)
        pass


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected errors into a message and exit code, and hide tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a reader that closed early is found here, not at exit
            return result
        except BrokenPipeError:  # `reg-eval ... | head`: the reader has all it wanted
            _quiet_stdout()
            raise typer.Exit(BROKEN_PIPE_EXIT) from None
        except RegEvalError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug: say so plainly, without a traceback
            if os.environ.get("REG_EVAL_DEBUG"):
                raise
            typer.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "  This is a bug in reg-eval. Rerun with REG_EVAL_DEBUG=1 to see the traceback.",
                err=True,
            )
            raise typer.Exit(INTERNAL_ERROR_EXIT) from None

    return wrapper
