"""The map of the house (docs/architecture.md) holds: layers point down."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
import tomllib
from collections import Counter
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


def _modules() -> list[Path]:
    return [path for folder in ("reg_eval", "baselines") for path in (REPO / folder).rglob("*.py")]


def test_every_module_opens_by_naming_its_concept() -> None:
    """A module is one concept (docs/architecture.md); its docstring's first line names it.

    Size is no test of that: a long module can hold one concept and a short one two. What a
    machine can hold the code to is that the concept is written down where the module opens.
    An empty `__init__.py` is exempt: a package's concept is its line in the layer table.
    """
    unnamed = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        if path.name == "__init__.py" and not source.strip():
            continue
        docstring = ast.get_docstring(ast.parse(source)) or ""
        if not docstring.strip() or not docstring.splitlines()[0].strip():
            unnamed.append(str(path.relative_to(REPO)))
    assert unnamed == [], "open these modules with a docstring naming their one concept"


def test_every_top_level_module_and_package_has_a_line_in_the_map() -> None:
    """docs/architecture.md says what each top-level module and package is for."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    unmapped = [
        path.name for path in (REPO / "reg_eval").iterdir()
        if ((path.suffix == ".py" and path.name != "__init__.py")
            or (path.is_dir() and (path / "__init__.py").exists()))
        and f"reg_eval/{path.name}" not in text and f"`{path.name}`" not in text
    ]
    assert unmapped == [], "give these a line in the layer table of docs/architecture.md"


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


# The test suite's own layout: helpers import through pytest's `pythonpath` option, each test
# file has a name of its own, and no test runs pytest again inside pytest.

TESTS = REPO / "tests"


def sys_path_edits(source: str) -> list[int]:
    """Lines that touch `sys.path` (a conftest that edits it hides how the tests import)."""
    return [
        node.lineno for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr == "path"
        and isinstance(node.value, ast.Name) and node.value.id == "sys"
    ]


RUNNERS_OF_PYTEST = {"pytester", "testdir"}
"""Fixtures that run pytest inside the running pytest."""


def _runs_pytest(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "main" and isinstance(node.value, ast.Name) \
            and node.value.id == "pytest"
    if isinstance(node, ast.List | ast.Tuple):
        words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        return ("-m", "pytest") in itertools.pairwise(words)
    if isinstance(node, ast.arg):
        return node.arg in RUNNERS_OF_PYTEST
    return isinstance(node, ast.Constant) and isinstance(node.value, str) \
        and (node.value in RUNNERS_OF_PYTEST or "-m pytest" in node.value)


def pytest_runs(source: str) -> list[int]:
    """Lines that start pytest inside a test: `pytest.main(...)`, a `-m pytest` command line
    (a list of words or one string), or a fixture that runs pytest (pytester, testdir, their
    plugin). This file, which spells the forms out, is not searched."""
    return sorted(node.lineno for node in ast.walk(ast.parse(source)) if _runs_pytest(node))


def test_no_conftest_edits_sys_path() -> None:
    edits = {
        str(path.relative_to(REPO)): lines
        for path in TESTS.rglob("conftest.py")
        if (lines := sys_path_edits(path.read_text(encoding="utf-8")))
    }
    assert edits == {}, "use [tool.pytest.ini_options] pythonpath in pyproject.toml"


def test_every_test_file_has_a_name_of_its_own() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, n in names.items() if n > 1] == [], "rename the more specific one"


def test_no_test_runs_pytest_inside_pytest() -> None:
    runs = {
        str(path.relative_to(REPO)): lines
        for path in TESTS.rglob("*.py")
        if path != Path(__file__).resolve()
        and (lines := pytest_runs(path.read_text(encoding="utf-8")))
    }
    assert runs == {}, "test the function or fixture directly"


def test_the_layout_checks_see_what_they_refuse() -> None:
    """Worked examples: each check names the line of each form it refuses, and no other."""
    assert sys_path_edits("import sys\nx = 1\nsys.path.insert(0, 'tests')\n") == [3]
    assert sys_path_edits("import os\nos.path.join('a')\n") == []
    refused = (
        "import pytest, subprocess, sys\n"
        "pytest.main(['-q'])\n"
        "subprocess.run([sys.executable, '-m', 'pytest', '-q'])\n"
        "def test_a(pytester):\n    pass\n"
        "pytest_plugins = ['pytester']\n"
        "subprocess.run([sys.executable, '-m', 'reg_eval', 'pytest'])\n"
        "import pytest\npytest.fail('x')\n"
        "os.system('python -m pytest tests')\n"
    )
    assert pytest_runs(refused) == [2, 3, 4, 6, 10]
