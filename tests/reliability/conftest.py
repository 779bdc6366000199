"""Hostile input for every entry point: the files, the command runner, and what a clean
refusal looks like (the documented exit code, the file named, no traceback, nothing of the
user's overwritten or half-written)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result


@pytest.fixture
def cli() -> Callable[..., Result]:
    """The whole `reg-eval` command line, in-process."""
    from reg_eval.cli import app

    runner = CliRunner()

    def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        environment = {"REG_EVAL_DEBUG": "", "NO_COLOR": "1", **(env or {})}
        return runner.invoke(app, [str(a) for a in args], env=environment,
                             catch_exceptions=False)

    return run


@pytest.fixture
def model_args(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> list[str]:
    """Options that make a scoring command use the tiny local models and no shared cache."""
    return ["--profile", "offline", "--emb-model", str(tiny_bert_dir), "--key-model",
            str(tiny_ruler_dir), "--device", "cpu", "--cache-dir", str(tmp_path / "cache"),
            "--bootstrap", "20", "--quiet"]
