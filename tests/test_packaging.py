"""The installed layout: every package listed, and `baselines/` under a name of its own."""

from __future__ import annotations

import ast
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


def test_version_is_declared_once_in_reg_eval_version() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in config["project"]
    assert "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "reg_eval._version.__version__"
    }
    import reg_eval
    from reg_eval._version import __version__

    assert reg_eval.__version__ == __version__
    declared = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "reg_eval").rglob("*.py")
        if "__version__ =" in path.read_text(encoding="utf-8")
    ]
    assert declared == ["reg_eval/_version.py"]


def test_no_module_imports_the_package_root() -> None:
    """`reg_eval/__init__.py` is the top of the house: modules below it never import it."""
    offenders = []
    for path in (REPO / "reg_eval").rglob("*.py"):
        if path.name == "__init__.py" and path.parent == REPO / "reg_eval":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "reg_eval" and node.level == 0:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name == "reg_eval" for a in node.names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def test_no_module_passes_locals_around() -> None:
    """Options travel as named arguments: a renamed parameter must be an error, not a default."""
    calls = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in [*(REPO / "reg_eval").rglob("*.py"), *(REPO / "baselines").rglob("*.py")]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in ("locals", "vars") and not node.args
    ]
    assert calls == []
