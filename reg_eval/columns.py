"""Which per-case columns a metric family writes, and of which kind: the column layout.

Every family (the official score, each metric group, REG 2026 Metric A) declares its columns
here as one value, and a saved result carries the layout of the run that wrote it, so that
readers know a detail column from a numeric one without guessing from its name.

- numeric: one number per case (NaN when undefined); means, CIs and paired tests use them.
- detail: one list per case (keywords, missed or invented facts); shown, never averaged.
- corpus: corpus-level values that are not means of per-case values (corpus BLEU).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ColumnLayout:
    numeric: tuple[str, ...]
    detail: tuple[str, ...] = ()
    corpus: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"numeric": list(self.numeric), "detail": list(self.detail),
                "corpus": list(self.corpus)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnLayout:
        """Read `to_dict()` back; a kind that is absent or not a list of names is empty."""

        def names(kind: str) -> tuple[str, ...]:
            value = data.get(kind)
            if not isinstance(value, list):
                return ()
            return tuple(name for name in value if isinstance(name, str))

        return cls(names("numeric"), names("detail"), names("corpus"))


def merged(layouts: Iterable[ColumnLayout]) -> ColumnLayout:
    """One layout over several families, in order; a name declared twice is an error."""
    numeric: list[str] = []
    detail: list[str] = []
    corpus: list[str] = []
    for layout in layouts:
        for target, names in ((numeric, layout.numeric), (detail, layout.detail),
                              (corpus, layout.corpus)):
            for name in names:
                if name in numeric or name in detail or name in corpus:
                    raise ValueError(f"column {name!r} is declared twice")
                target.append(name)
    return ColumnLayout(tuple(numeric), tuple(detail), tuple(corpus))


OFFICIAL_COMPONENTS: tuple[str, ...] = ("bleu", "rouge", "key", "emb")
"""The four REG 2025 components, in the organisers' order."""
OFFICIAL_LABELS: dict[str, str] = {
    "ranking": "Ranking", "bleu": "BLEU-4", "rouge": "ROUGE-L", "key": "KEY", "emb": "EMB",
}
"""How tables, pages and plots name the official columns."""
OFFICIAL = ColumnLayout(
    numeric=("ranking", *OFFICIAL_COMPONENTS),
    detail=("ref_keywords", "hyp_keywords", "missed_keywords", "extra_keywords"),
)
"""The official REG 2025 score: the ranking score, its components, and the KEY keywords."""
