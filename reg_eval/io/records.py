"""Typed records read from submission and ground-truth files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One well-formed item: a slide id and its report; `index` is its place in the list."""

    id: str
    report: str
    index: int
