"""The docs stand on their own: every relative link resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
RELATIVE_PATH = re.compile(r"(?<![\w/.])\.\./[\w./-]+")
"""A `../something` path anywhere in the text: a link target or a path a reader is sent to."""


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(REPO).as_posix())
def test_links_and_paths_stay_inside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    problems = []
    targets = [m.group(1) for m in LINK.finditer(text)] + RELATIVE_PATH.findall(text)
    for target in targets:
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (page.parent / target.split("#")[0]).resolve()
        if not resolved.is_relative_to(REPO):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
    assert problems == []
