"""Fixtures for the I/O tests: files written by each test, and a literal position finder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str | bytes, str], Path]:
    """Write text (UTF-8) or bytes to a fresh file in the test's folder."""

    def write(content: str | bytes, name: str = "preds.json") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture
def write_cases(write_file: Callable[..., Path]) -> Callable[..., Path]:
    """Write a Python list as indented JSON (NaN allowed, as a careless exporter would)."""

    def write(cases: Any, name: str = "preds.json") -> Path:
        return write_file(json.dumps(cases, indent=2, ensure_ascii=False), name)

    return write


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _case(n: int, report: str = "Lung, biopsy;\n  Adenocarcinoma") -> dict[str, str]:
    return {"id": f"PIT_01_{n:05d}_01.tiff", "report": report}


@pytest.fixture
def line_column() -> Callable[[str, int], tuple[int, int]]:
    """1-based line and character column of an offset, counted the plain way."""
    return _line_column


@pytest.fixture
def case() -> Callable[..., dict[str, str]]:
    """A well-formed case dict with id PIT_01_<n>_01.tiff."""
    return _case
