"""The map of the house (docs/architecture.md) holds: layers point down."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    """The import-linter contracts in pyproject.toml: an arrow up the layers fails here."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken." in result.stdout


MAX_MODULE_LINES = 600
"""A module longer than this holds more than one concept (docs/architecture.md)."""


def test_no_module_is_longer_than_the_limit() -> None:
    too_long = {
        str(path.relative_to(REPO)): n
        for folder in ("reg_eval", "baselines")
        for path in (REPO / folder).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, "split these modules by concept"


def _layered_names() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    return {
        name.strip() for layer in contract["layers"] for name in layer.split("|")
    }


def test_every_top_level_module_has_a_layer() -> None:
    """A new package or module under reg_eval/ must be placed in the layers."""
    children = {
        f"reg_eval.{path.stem if path.is_file() else path.name}"
        for path in (REPO / "reg_eval").iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert children - _layered_names() == set(), "add these to [tool.importlinter] layers"
