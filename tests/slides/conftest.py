"""The slide set of tests/slide_files.py, built once per session."""

from __future__ import annotations

import pytest

from slide_files import SlideSet, build_slide_set


@pytest.fixture(scope="session")
def slide_set(tmp_path_factory: pytest.TempPathFactory) -> SlideSet:
    """Read-only: tests that change files copy them first."""
    return build_slide_set(tmp_path_factory.mktemp("slides") / "raw")
