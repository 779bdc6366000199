"""The installed layout: every package listed, and `baselines/` under a name of its own."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _declared_packages() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["packages"]


def test_every_package_folder_is_declared() -> None:
    in_tree = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "reg_eval").rglob("__init__.py")
    }
    declared = set(_declared_packages())
    assert in_tree - declared == set(), "add these to [tool.setuptools] packages"
    assert declared - in_tree == {"reg_eval_baselines"}


def test_baselines_folder_installs_as_reg_eval_baselines() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["package-dir"] == {"reg_eval_baselines": "baselines"}


def test_a_distribution_named_baselines_does_not_clash(tmp_path: Path) -> None:
    """Another project's `baselines` package on the path leaves both importable."""
    other = tmp_path / "site" / "baselines"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("OWNER = 'another distribution'\n", encoding="utf-8")
    code = (
        "import baselines, reg_eval_baselines.synth, reg_eval_baselines.knn\n"
        "print(baselines.OWNER)\n"
        "print(reg_eval_baselines.synth.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["another distribution", "reg_eval_baselines.synth"]
