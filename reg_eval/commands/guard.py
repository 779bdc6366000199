"""Expected errors become a message and an exit code; tracebacks stay hidden."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import typer

from reg_eval.errors import RegEvalError

INTERNAL_ERROR_EXIT = 3


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected errors into a message and exit code, and hide tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
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
