"""Terminal renderings of score and compare results; each one ends with its signature."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reg_eval.comparison import Comparison
from reg_eval.scoring import SUMMARY_COLUMNS, ScoreResult
from reg_eval.signature import Signature


def make_console(*, stderr: bool = False) -> Console:
    """A console that does not squeeze tables to 80 columns when output is piped or logged."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=160)
    return console


_LABELS = {"ranking": "Ranking", "bleu": "BLEU-4*", "rouge": "ROUGE-L", "key": "KEY", "emb": "EMB"}


def _comparability(console: Console, signature: Signature) -> None:
    if not signature.comparable_with_leaderboard:
        reasons = "; ".join(signature.not_comparable_because) or (
            f"profile {signature.get('profile')} is not the test-phase setup"
        )
        console.print(
            f"[bold yellow]NOT comparable with the REG 2025 leaderboard: {escape(reasons)}.[/]"
        )


class ScoredMeans(Protocol):
    """What a mean-and-CI table reads of a result (REG 2025 and REG 2026 alike)."""

    @property
    def confidence(self) -> float: ...

    @property
    def ci(self) -> Mapping[str, tuple[float, float]]: ...

    @property
    def means(self) -> Mapping[str, float]: ...


def means_table(
    title: str, result: ScoredMeans, names: Iterable[str], labels: Mapping[str, str],
    *, label: str = "",
) -> Table:
    """The headline table of a score: one row a metric, its mean and its confidence interval."""
    table = Table(title=f"{title}{(' — ' + label) if label else ''}", title_justify="left")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column(f"{round(result.confidence * 100)}% CI", justify="right")
    means = result.means
    for name in names:
        lo, hi = result.ci[name]
        table.add_row(labels[name], f"{means[name]:.4f}", f"[{lo:.4f}, {hi:.4f}]")
    return table


def print_score(console: Console, result: ScoreResult, *, label: str = "") -> None:
    sig = result.signature
    _comparability(console, sig)
    pct = round(result.confidence * 100)
    console.print(means_table("REG 2025 score", result, SUMMARY_COLUMNS, _LABELS, label=label))
    alignment = result.alignment
    console.print(
        f"n cases: {result.n_cases}   missing: {len(alignment.missing_ids)} "
        f"(policy {alignment.missing_policy})   extra ids ignored: {len(alignment.extra_ids)}"
    )
    organs = Table(title="By organ", title_justify="left")
    organs.add_column("organ")
    organs.add_column("n", justify="right")
    for name in SUMMARY_COLUMNS:
        organs.add_column(_LABELS[name], justify="right")
    organs.add_column(f"ranking {pct}% CI", justify="right")
    for organ, row in result.by_organ.items():
        lo, hi = row["ci"]["ranking"]
        organs.add_row(
            organ,
            str(row["n_cases"]),
            *(f"{row[name]:.4f}" for name in SUMMARY_COLUMNS),
            f"[{lo:.4f}, {hi:.4f}]",
        )
    console.print(organs)
    _print_groups(console, result, pct)
    console.print("* BLEU-4 is the official 4-gram count: no brevity penalty, can exceed 1.")
    console.print(f"signature: {sig.format()}", soft_wrap=True)


def _print_groups(console: Console, result: ScoreResult, pct: int) -> None:
    if not result.groups:
        return
    table = Table(title="Further metrics (not part of the official score)", title_justify="left")
    table.add_column("group")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column(f"{pct}% CI", justify="right")
    table.add_column("n defined", justify="right")
    means = result.means
    defined = result.defined
    for group_name, group in result.groups.items():
        for column in group.per_case:
            lo, hi = result.ci[column]
            interval = "" if math.isnan(lo) else f"[{lo:.4f}, {hi:.4f}]"
            label = f"{column} (headline)" if column == group.headline else column
            table.add_row(
                group_name, label, _number(means[column]), interval,
                f"{defined[column]}/{result.n_cases}",
            )
        for column, value in group.corpus.items():
            table.add_row(group_name, f"{column} (corpus)", _number(value), "", "")
    console.print(table)
    if any(group.headline for group in result.groups.values()):
        console.print(
            "(headline): the group's one number, shown and ranked first; its other rows are "
            "diagnostics."
        )
    if any(defined[c] < result.n_cases for g in result.groups.values() for c in g.per_case):
        console.print(
            "Means and CIs are over the cases where a value is defined (n defined); e.g. a "
            "field accuracy only where the reference states the field."
        )


def _number(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.4f}"


def print_comparison(console: Console, comparison: Comparison) -> None:
    sig = comparison.signature
    _comparability(console, sig)
    adjusted = len(comparison.runs) > 1
    table = Table(
        title=f"Against the baseline {comparison.baseline} ({sig.get('test')}, "
        f"{sig.get('trials')} trials{', Holm-adjusted p' if adjusted else ''})",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column(f"{comparison.baseline} (baseline)", justify="right")
    for run in comparison.runs:
        table.add_column(f"{run.name}: mean (delta, p)", justify="right")
    for name, base_mean in comparison.baseline_means.items():
        cells = []
        for run in comparison.runs:
            p = run.p_adjusted[name] if adjusted else run.p_values[name]
            n = run.n_paired.get(name, comparison.n_cases)
            if math.isnan(p):
                cells.append(f"{_number(run.means[name])} (no case defined in both)")
                continue
            mark = "*" if p < 0.05 else ""
            paired = "" if n == comparison.n_cases else f", n={n}"
            cells.append(
                f"{run.means[name]:.4f} ({run.deltas[name]:+.4f}, p={p:.4f}{mark}{paired})"
            )
        table.add_row(_LABELS.get(name, name), _number(base_mean), *cells)
    console.print(table)
    console.print(
        f"n cases: {comparison.n_cases}   * p < 0.05   n=: cases where the metric is defined "
        "in both runs (the means and the test use only those)"
    )
    console.print(f"signature: {sig.format()}", soft_wrap=True)
