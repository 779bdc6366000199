"""Signatures: what a number is, so that no score travels without one.

A signature names what was computed, with which models (name, revision or file hash,
precision), which tokenisation, how cases were matched, and the reg-eval version. It has a
compact one-line form (for terminals and tables) and a dict form (for JSON outputs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reg_eval._version import __version__


@dataclass(frozen=True)
class Signature:
    computed: str
    """What the number is, e.g. "reg2025-ranking" or "compare:ar"."""
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    comparable_with_leaderboard: bool = False
    not_comparable_because: tuple[str, ...] = ()
    """Why the number may not stand beside the official table (empty when it may)."""

    @classmethod
    def build(
        cls,
        computed: str,
        fields: Mapping[str, object],
        *,
        comparable_with_leaderboard: bool,
        not_comparable_because: Sequence[str] = (),
    ) -> Signature:
        """A signature; any reason given makes it not comparable, whatever the flag says."""
        items = tuple((key, _text(value)) for key, value in fields.items() if value is not None)
        reasons = tuple(not_comparable_because)
        return cls(computed, items, comparable_with_leaderboard and not reasons, reasons)

    def get(self, key: str) -> str | None:
        return dict(self.fields).get(key)

    def format(self) -> str:
        """One line: `reg-eval:0.1.0|computed:…|key:value|…|comparable:no`."""
        parts = [f"reg-eval:{__version__}", f"computed:{self.computed}"]
        parts.extend(f"{key}:{value}" for key, value in self.fields)
        parts.append("comparable:" + ("yes" if self.comparable_with_leaderboard else "no"))
        return "|".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "reg_eval_version": __version__,
            "computed": self.computed,
            **dict(self.fields),
            "comparable_with_leaderboard": self.comparable_with_leaderboard,
            **(
                {"not_comparable_because": list(self.not_comparable_because)}
                if self.not_comparable_because
                else {}
            ),
            "text": self.format(),
        }

    def __str__(self) -> str:
        return self.format()


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
