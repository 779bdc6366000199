"""The pinned environment imports as a whole.

`pip check` only compares declared requirements; some packages (pyarrow >= 21 with numpy < 2)
fail at import without declaring why. So every module of every pinned distribution is
imported here, in one process, next to the others.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
# Distributions that ship metadata only (no importable module of their own).
METADATA_ONLY = {"typer-slim"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_norm(name)] = version.strip()
    return pins


def test_lock_pins_the_constraints_we_rely_on() -> None:
    pins = _pins()
    assert pins["torch"] == "2.13.0"
    assert pins["spacy"].startswith("3.7.")
    assert pins["thinc"].startswith("8.2.")
    assert int(pins["numpy"].split(".")[0]) < 2
    assert int(pins["pyarrow"].split(".")[0]) < 21


def test_installed_versions_match_the_lock() -> None:
    wrong = {}
    for name, version in _pins().items():
        installed = metadata.version(name)
        if installed.split("+")[0] != version:
            wrong[name] = (version, installed)
    assert not wrong, f"pinned vs installed: {wrong}"


def test_every_pinned_distribution_imports() -> None:
    pins = _pins()
    modules: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            if _norm(dist) in pins and not module.startswith("_") and module not in {"tests"}:
                modules.setdefault(_norm(dist), set()).add(module)
    assert set(pins) - set(modules) <= METADATA_ONLY
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    names = sorted({m for ms in modules.values() for m in ms})
    # A fresh interpreter, so that import order of the test session cannot hide a failure.
    run = subprocess.run(
        [sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]


def test_pyarrow_works_with_the_pinned_numpy() -> None:
    pa = pytest.importorskip("pyarrow")
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"x": np.arange(3)})
    table = pa.Table.from_pandas(frame)
    assert table.column("x").to_numpy().tolist() == [0, 1, 2]


def test_spacy_runs_with_the_pinned_numpy() -> None:
    spacy = importlib.import_module("spacy")
    nlp = spacy.blank("en")
    assert [t.text for t in nlp("Prostate, biopsy;")] == ["Prostate", ",", "biopsy", ";"]
