"""The command line in a fresh process, for tests: `python -m reg_eval ...`, which fails the
test (never skips it) when the command line does not import.

(It once skipped instead, which let a broken CLI pass the suite.) Shared by the command tests'
fixtures and the test that checks this very refusal.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def process_env(pythonpath_first: str = "") -> dict[str, str]:
    """The environment of a child process: this checkout importable, no colour, no debug."""
    env = dict(os.environ)
    env.pop("REG_EVAL_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (pythonpath_first, str(REPO), env.get("PYTHONPATH", "")) if part
    )
    env["NO_COLOR"] = "1"
    return env


@functools.cache
def cli_import_error(pythonpath_first: str = "") -> str | None:
    """The last line of the error `import reg_eval.cli` gives in a fresh process, or None."""
    done = subprocess.run([sys.executable, "-c", "import reg_eval.cli"], capture_output=True,
                          text=True, env=process_env(pythonpath_first), cwd=REPO, timeout=120)
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or ["unknown error"])[-1]


def module_runner(import_error: str | None) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`python -m reg_eval ...`; a command line that does not import fails the test."""
    if import_error is not None:
        pytest.fail(f"reg_eval.cli does not import: {import_error}", pytrace=False)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reg_eval", *(str(a) for a in args)],
            capture_output=True, text=True, env=process_env(), cwd=REPO, timeout=120,
        )

    return run
