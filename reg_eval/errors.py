"""Errors the CLI turns into a message and an exit code, never a traceback."""

from __future__ import annotations


class RegEvalError(Exception):
    """Base for expected failures; `exit_code` is what the CLI exits with."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InvalidInputError(RegEvalError):
    """The input was read but is not acceptable (exit 1)."""

    exit_code = 1


class UsageError(RegEvalError):
    """Bad options, unreadable or missing files, missing models (exit 2)."""

    exit_code = 2
