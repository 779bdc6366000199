"""Figures of score results: matplotlib without pyplot, so no global state and no display.

Output is byte-identical for the same input: a fixed SVG hash salt, no dates in the
metadata, and a fixed creator string. SVG text is kept as text when inlined in a report
(small, selectable) and drawn as paths in files (looks the same in every viewer).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.columns import OFFICIAL_LABELS
from reg_eval.io.results import COMPONENTS, SCORE_COLUMNS, SavedResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LABELS = OFFICIAL_LABELS
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe-Ito colours: distinguishable with the common colour-vision deficiencies."""
CREATOR = "reg-eval"
HASH_SALT = "reg-eval"


def _rc(text_as_paths: bool) -> dict[str, Any]:
    return {
        "svg.hashsalt": HASH_SALT,
        "svg.fonttype": "path" if text_as_paths else "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "image.cmap": "viridis",
    }


def figure_bytes(
    fig: Figure, fmt: str, *, text_as_paths: bool = True, description: str | None = None
) -> bytes:
    """PNG or SVG bytes with fixed metadata, so the same figure always gives the same bytes.

    `description` (the runs' signatures for figure files) goes into the file's metadata.
    """
    import matplotlib

    metadata: dict[str, str | None]
    if fmt == "svg":
        metadata = {"Creator": CREATOR, "Date": None}
        if description:
            metadata["Description"] = description
    elif fmt == "png":
        metadata = {"Software": CREATOR}
        if description:
            metadata["Description"] = description
    else:
        raise ValueError(f"unsupported figure format {fmt!r}")
    buffer = io.BytesIO()
    with matplotlib.rc_context(_rc(text_as_paths)):
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=150 if fmt == "png" else 72)
    return buffer.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc(True)):
        fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def _styled(fn: Any) -> Any:
    """Build figures inside the fixed style, so axes pick it up at creation time."""

    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        import matplotlib

        with matplotlib.rc_context(_rc(True)):
            return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _errors(values: Sequence[float], cis: Sequence[tuple[float, float]]) -> list[list[float]]:
    low = [max(0.0, v - lo) for v, (lo, _) in zip(values, cis, strict=True)]
    high = [max(0.0, hi - v) for v, (_, hi) in zip(values, cis, strict=True)]
    return [low, high]


@_styled
def component_bars(runs: Sequence[SavedResult]) -> Figure:
    """Ranking and each component per run, with the bootstrap CI as error bars."""
    fig = _new_figure(max(5.5, 1.2 * len(SCORE_COLUMNS) * max(1, len(runs)) * 0.45 + 2), 3.6)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(runs))
    for index, run in enumerate(runs):
        values = [run.ranking] + [run.components[c] for c in COMPONENTS]
        cis = [run.ci[c] for c in SCORE_COLUMNS]
        positions = [x - 0.4 + width * (index + 0.5) for x in range(len(SCORE_COLUMNS))]
        ax.bar(positions, values, width=width * 0.92, color=PALETTE[index % len(PALETTE)],
               label=run.name, yerr=_errors(values, cis), capsize=2,
               error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    ax.set_xticks(range(len(SCORE_COLUMNS)), [LABELS[c] for c in SCORE_COLUMNS])
    ax.set_ylabel("mean over cases (95% CI)")
    top = max([1.0] + [run.ci[c][1] for run in runs for c in SCORE_COLUMNS])
    ax.set_ylim(0, top * 1.05)
    ax.set_title("Official score and components per run")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return fig


@_styled
def organ_heatmap(runs: Sequence[SavedResult], column: str = "ranking") -> Figure:
    """Organs × runs, coloured by the mean of `column`, each cell labelled with its value."""
    import numpy as np

    organs = sorted({organ for run in runs for organ in run.by_organ})
    matrix = np.full((len(organs), len(runs)), np.nan)
    for j, run in enumerate(runs):
        for i, organ in enumerate(organs):
            row = run.by_organ.get(organ)
            if row is not None and column in row:
                matrix[i, j] = float(row[column])
    fig = _new_figure(max(4.0, 1.3 * len(runs) + 2.5), max(2.5, 0.45 * len(organs) + 1.5))
    ax = fig.add_subplot()
    shown = np.ma.masked_invalid(matrix)
    finite = matrix[np.isfinite(matrix)]
    # The colour scale spans the data, in steps of 0.05, so small gaps between runs show.
    low = float(np.floor(finite.min() * 20) / 20) if finite.size else 0.0
    high = float(np.ceil(finite.max() * 20) / 20) if finite.size else 1.0
    high = high if high > low else low + 0.05
    image = ax.imshow(shown, aspect="auto", vmin=low, vmax=high, cmap="viridis")
    ax.set_xticks(range(len(runs)), [run.name for run in runs], rotation=20, ha="right")
    ax.set_yticks(range(len(organs)), organs)
    for i in range(len(organs)):
        for j in range(len(runs)):
            value = matrix[i, j]
            text = "—" if np.isnan(value) else f"{value:.3f}"
            light = not np.isnan(value) and (value - low) / (high - low) > 0.55
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="#000000" if light else "#ffffff" if not np.isnan(value) else "#333333")
    ax.spines[:].set_visible(False)
    fig.colorbar(image, ax=ax, label=f"mean {LABELS.get(column, column)}")
    ax.set_title(f"{LABELS.get(column, column)} by organ")
    return fig


@_styled
def histograms(columns: Mapping[str, Sequence[float]], bins: int = 20) -> Figure:
    """One panel per per-case score: how the cases spread, not just their mean."""
    names = list(columns)
    fig = _new_figure(2.3 * len(names), 2.4)
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    edges = [k / bins for k in range(bins + 1)]
    for index, (ax, name) in enumerate(zip(axes, names, strict=True)):
        values = [min(max(float(v), 0.0), 1.0) for v in columns[name]]
        ax.hist(values, bins=edges, color=PALETTE[index % len(PALETTE)], edgecolor="#ffffff",
                linewidth=0.4)
        ax.set_title(LABELS.get(name, name))
        ax.set_xlim(0, 1)
        ax.set_xlabel("per-case value")
    axes[0].set_ylabel("cases")
    return fig


@_styled
def organ_bars(
    by_organ: Mapping[str, Mapping[str, Any]],
    *,
    column: str = "ranking",
    other: Mapping[str, Mapping[str, Any]] | None = None,
    names: tuple[str, str] = ("run", "other"),
) -> Figure:
    """Mean `column` per organ with its CI; a second run's bars beside it when given."""
    organs = sorted(set(by_organ) | set(other or {}))
    fig = _new_figure(max(5.0, 0.9 * len(organs) + 2), 3.2)
    ax = fig.add_subplot()
    series = [(names[0], by_organ)] + ([(names[1], other)] if other is not None else [])
    width = 0.8 / len(series)
    for index, (label, table) in enumerate(series):
        xs, values, cis = [], [], []
        for position, organ in enumerate(organs):
            row = table.get(organ)
            if row is None:
                continue
            xs.append(position - 0.4 + width * (index + 0.5))
            values.append(float(row[column]))
            ci = row.get("ci", {}).get(column, [row[column], row[column]])
            cis.append((float(ci[0]), float(ci[1])))
        ax.bar(xs, values, width=width * 0.92, color=PALETTE[index], label=label,
               yerr=_errors(values, cis), capsize=2,
               error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    first = [by_organ.get(o) or (other or {}).get(o) or {} for o in organs]
    counts = [int(row.get("n_cases", 0)) for row in first]
    ax.set_xticks(range(len(organs)),
                  [f"{o}\n(n={n})" for o, n in zip(organs, counts, strict=True)], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"mean {LABELS.get(column, column)} (95% CI)")
    if other is not None:
        ax.legend(frameon=False, fontsize=8)
    return fig


_SVG_START = re.compile(r"<svg\b")


_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_SVG_STYLE_START = '<style type="text/css">'


def inline_svg(fig: Figure, label: str) -> str:
    """The figure as an <svg> element for an HTML page, labelled for screen readers.

    matplotlib styles each element with a `style` attribute, which a Content-Security-Policy
    without 'unsafe-inline' blocks. Each distinct attribute value becomes a class instead,
    defined in the figure's one <style> element (whose hash the page's policy allows).
    """
    import hashlib
    import html

    text = figure_bytes(fig, "svg", text_as_paths=False).decode("utf-8")
    body = text[text.index("<svg") :]
    if " class=" in body or body.count(_SVG_STYLE_START) > 1:
        raise RuntimeError("unexpected SVG layout from matplotlib: classes already in use")
    prefix = "f" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:8]
    classes: dict[str, str] = {}

    def to_class(match: re.Match[str]) -> str:
        value = html.unescape(match.group(1))
        if any(char in value for char in "<>&{}"):
            raise RuntimeError(f"unexpected SVG style {value!r}")
        name = classes.setdefault(value, f"{prefix}-{len(classes)}")
        return f' class="{name}"'

    body = _STYLE_ATTRIBUTE.sub(to_class, body)
    rules = "".join(f".{name}{{{value}}}" for value, name in classes.items())
    if _SVG_STYLE_START in body:
        body = body.replace(_SVG_STYLE_START, _SVG_STYLE_START + rules, 1)
    else:
        end = body.index(">") + 1
        body = f"{body[:end]}<defs>{_SVG_STYLE_START}{rules}</style></defs>{body[end:]}"
    return _SVG_START.sub(f'<svg role="img" aria-label="{html.escape(label)}"', body, count=1)


PLOT_FILES = ("components", "organs")
SIGNATURES_FILE = "signatures.txt"


def _signature_footer(fig: Figure, runs: Sequence[SavedResult]) -> str:
    """A short visible footer per run and the full signatures for the file's metadata.

    The figure names each run's profile, comparability and a digest of its signature; the
    full signature text travels in the metadata and in signatures.txt beside the files.
    """
    import hashlib

    short = "\n".join(
        f"{run.name}: profile {run.profile}, "
        f"{'comparable' if run.comparable else 'NOT comparable'} with the leaderboard, "
        f"signature sha256:{hashlib.sha256(run.signature_text.encode()).hexdigest()[:12]}"
        for run in runs
    )
    # supxlabel takes part in the constrained layout, so the axes make room for it
    fig.supxlabel(short, fontsize=5, color="#444444")
    return "\n".join(f"{run.name}: {run.signature_text}" for run in runs)


def write_plot_files(
    runs: Sequence[SavedResult], out_dir: Path, *, force: bool = False
) -> list[Path]:
    """components.{png,svg} and organs.{png,svg}; nothing is written if one would clash."""
    from reg_eval.errors import UsageError
    from reg_eval.io.writers import atomic_write_bytes

    targets = [out_dir / f"{stem}.{fmt}" for stem in PLOT_FILES for fmt in ("png", "svg")]
    signatures_path = out_dir / SIGNATURES_FILE
    clash = [t for t in [*targets, signatures_path] if t.exists()]
    if clash and not force:
        raise UsageError(f"{clash[0]} already exists", hint="pass --force to overwrite it")
    figures = {"components": component_bars(runs), "organs": organ_heatmap(runs)}
    description = ""
    for fig in figures.values():
        description = _signature_footer(fig, runs)
    written = []
    for target in targets:
        fig = figures[target.stem]
        data = figure_bytes(fig, target.suffix[1:], description=description)
        written.append(atomic_write_bytes(target, data, force=True))
    written.append(atomic_write_bytes(signatures_path, (description + "\n").encode(), force=True))
    return written
