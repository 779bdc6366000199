"""The headline table that `score` and `score-cot` print: a metric a row, its mean and CI."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console

from reg_eval.commands.render import means_table


@dataclass
class _Scored:
    confidence: float = 0.9
    ci: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"a": (0.25, 0.75), "b": (0.0, 0.125), "c": (0.5, 0.5)}
    )
    means: dict[str, float] = field(default_factory=lambda: {"a": 0.5, "b": 1 / 16, "c": 0.5})


def test_means_table_rows_in_the_order_given_with_their_labels() -> None:
    console = Console(record=True, width=100, color_system=None)
    console.print(means_table("Title", _Scored(), ("b", "a"), {"a": "alpha", "b": "beta"},
                              label="run-1"))
    lines = [line.strip() for line in console.export_text().splitlines()]
    assert lines[0] == "Title — run-1"
    assert any("metric" in line and "mean" in line and "90% CI" in line for line in lines)
    rows = [line for line in lines if line.startswith(("│ alpha", "│ beta"))]
    assert [[cell.strip() for cell in row.split("│")[1:4]] for row in rows] == [
        ["beta", "0.0625", "[0.0000, 0.1250]"],
        ["alpha", "0.5000", "[0.2500, 0.7500]"],
    ]
