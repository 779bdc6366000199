"""A leaderboard as Markdown, CSV or a small self-contained HTML page.

Every rendering lists the signature of each local run shown, and names the official table
and its source file, so a row copied elsewhere can be traced.
"""

from __future__ import annotations

import csv
import html
import io
import math

from reg_eval.columns import OFFICIAL_COMPONENTS, OFFICIAL_LABELS
from reg_eval.leaderboard import Leaderboard, LocalEntry, OfficialRow, clinical_headline
from reg_eval.report.static import with_content_security_policy

LABELS = OFFICIAL_LABELS
_COMPONENT_ORDER = OFFICIAL_COMPONENTS
FINAL_NOTE = (
    "A local score s is placed in the final table as if it had been scored in both phases "
    "(0.2·s + 0.8·s = s)."
)
CLINICAL_LABEL = "Clinical (headline)"
"""The clinical group's headline mean, shown beside the official score; never ranks."""
CSV_COLUMNS = [
    "rank", "kind", "name", "ranking", "ci_low", "ci_high", *_COMPONENT_ORDER,
    "clinical_headline", "delta_vs_baseline", "p_value", "comparable", "note", "signature",
]


def _f(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _rank_text(item: LocalEntry | OfficialRow, with_official: bool) -> str:
    if isinstance(item, OfficialRow):
        return str(item.rank)
    return f"({item.place})" if with_official else str(item.rank)


def table_rows(board: Leaderboard) -> list[dict[str, str]]:
    """One dict of display strings per row, in table order."""
    with_official = bool(board.official)
    items = board.merged() if with_official else list(board.entries)
    rows = []
    for item in items:
        if isinstance(item, OfficialRow):
            comps = item.components or {}
            rows.append({
                "rank": _rank_text(item, with_official),
                "kind": "official",
                "name": item.team,
                "ranking": _f(item.score),
                "ci_low": "",
                "ci_high": "",
                **{c: _f(comps.get(c)) for c in _COMPONENT_ORDER},
                "clinical_headline": "",
                "delta_vs_baseline": "",
                "p_value": "",
                "comparable": "yes",
                "note": "official",
                "signature": item.source,
            })
            continue
        result = item.result
        lo, hi = result.ci["ranking"]
        rows.append({
            "rank": _rank_text(item, with_official),
            "kind": "local",
            "name": result.name,
            "ranking": _f(result.ranking),
            "ci_low": _f(lo),
            "ci_high": _f(hi),
            **{c: _f(result.components[c]) for c in _COMPONENT_ORDER},
            "clinical_headline": _f(headline[1]) if (headline := clinical_headline(result))
            else "",
            "delta_vs_baseline": _delta(item, "ranking"),
            "p_value": _p(item, "ranking"),
            "comparable": "yes" if result.comparable else "no",
            "note": item.note,
            "signature": result.signature_text,
        })
    return rows


def _delta(item: LocalEntry, metric: str) -> str:
    tested = item.paired.metrics.get(metric) if item.paired else None
    return "" if tested is None or math.isnan(tested.delta) else f"{tested.delta:+.4f}"


def _p(item: LocalEntry, metric: str) -> str:
    """The Holm-adjusted p (the raw p when one run is tested), as `compare` shows it."""
    tested = item.paired.metrics.get(metric) if item.paired else None
    return "" if tested is None or math.isnan(tested.p_holm) else _f(tested.p_holm)


def paired_rows(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """Every tested metric of every run against the baseline: header, then one row per run,
    each cell "Δ (p)" with the p of the table above."""
    if board.tests is None:
        return [], []
    metrics = list(board.tests.baseline_means)
    rows = [
        [e.result.name, *(f"{_delta(e, m)} (p={_p(e, m)})" if _p(e, m) else "" for m in metrics)]
        for e in board.entries
        if e.paired is not None
    ]
    return ["run", *(LABELS.get(m, m) for m in metrics)], rows


def _shows_clinical(board: Leaderboard) -> bool:
    return any(clinical_headline(entry.result) for entry in board.entries)


def _footer_lines(board: Leaderboard) -> list[str]:
    lines = []
    if _shows_clinical(board):
        lines.append(
            f"{CLINICAL_LABEL}: the mean of the clinical group's headline column of runs "
            "scored with it (docs/clinical-metrics.md); shown beside the official score, it "
            "does not rank."
        )
    if board.official_name:
        lines.append(
            f"Official rows: {board.official_title} (leaderboards/, sources in "
            "leaderboards/README.md). A local rank in parentheses is the place the run would "
            "take; runs marked not comparable were scored with other models, another precision or "
            "without every case (the note says which)."
        )
        if board.official_name == "reg2025-final":
            lines.append(FINAL_NOTE)
    tests = board.tests
    if tests is not None:
        holm = " Holm-adjusted across the runs;" if tests.correction == "holm" else ""
        lines.append(
            f"Δ and p: {tests.test_name} test of each metric's per-case values against "
            f"{board.baseline} ({tests.n} trials, seed {tests.seed}, cases matched by id;"
            f"{holm} a case where a metric is undefined in either run is left out of its test)."
        )
    return lines


def to_markdown(board: Leaderboard) -> str:
    pct = round(board.entries[0].result.confidence * 100)
    title = "Leaderboard" + (f" among the {board.official_title}" if board.official_name else "")
    header = ["rank", "run", "ranking", f"{pct}% CI", *(LABELS[c] for c in _COMPONENT_ORDER)]
    clinical = _shows_clinical(board)
    if clinical:
        header.append(CLINICAL_LABEL)
    show_test = any(e.paired for e in board.entries)
    if show_test:
        header += ["Δ vs baseline", "p"]
    header.append("note")
    out = [f"# {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table_rows(board):
        ci = f"[{row['ci_low']}, {row['ci_high']}]" if row["ci_low"] else ""
        name = row["name"] if row["kind"] == "official" else f"**{row['name']}**"
        cells = [row["rank"], name, row["ranking"], ci, *(row[c] for c in _COMPONENT_ORDER)]
        if clinical:
            cells.append(row["clinical_headline"])
        if show_test:
            cells += [row["delta_vs_baseline"], row["p_value"]]
        cells.append(row["note"])
        out.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    out.append("")
    header, rows = paired_rows(board)
    if rows:
        out += [f"## Paired tests against {board.baseline}", ""]
        out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
        out.append("")
    out.extend(_footer_lines(board))
    out += ["", "Signatures:"]
    out += [f"- {e.result.name}: `{e.result.signature_text}`" for e in board.entries]
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_csv(board: Leaderboard) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_rows(board))
    return buffer.getvalue()


PAGE_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;
background:#fff;margin:1.5rem auto;max-width:72rem;padding:0 1rem}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #c8c8c8;padding:.3rem .5rem;text-align:right}
th:nth-child(2),td:nth-child(2),td.note{text-align:left}
thead th{background:#f0f0f0}
tr.local{background:#fff7d6;font-weight:600}
code{font-size:.85em;word-break:break-all}
.visually-hidden{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}
""".strip()


def to_html(board: Leaderboard) -> str:
    esc = html.escape
    pct = round(board.entries[0].result.confidence * 100)
    title = "Leaderboard" + (f" among the {board.official_title}" if board.official_name else "")
    clinical = _shows_clinical(board)
    heads = ["Rank", "Run", "Ranking", f"{pct}% CI", *(LABELS[c] for c in _COMPONENT_ORDER),
             *([CLINICAL_LABEL] if clinical else []), "Δ vs baseline", "p", "Note"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{PAGE_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<table><caption class=\"visually-hidden\">{esc(title)}</caption><thead><tr>",
        "".join(f'<th scope="col">{esc(h)}</th>' for h in heads),
        "</tr></thead><tbody>",
    ]
    for row in table_rows(board):
        ci = f"[{row['ci_low']}, {row['ci_high']}]" if row["ci_low"] else ""
        cells = [row["ranking"], ci, *(row[c] for c in _COMPONENT_ORDER),
                 *([row["clinical_headline"]] if clinical else []),
                 row["delta_vs_baseline"], row["p_value"]]
        parts.append(
            f'<tr class="{row["kind"]}"><td>{esc(row["rank"])}</td>'
            f'<th scope="row">{esc(row["name"])}</th>'
            + "".join(f"<td>{esc(c)}</td>" for c in cells)
            + f'<td class="note">{esc(row["note"])}</td></tr>'
        )
    parts.append("</tbody></table>")
    header, rows = paired_rows(board)
    if rows:
        parts.append(f"<h2>Paired tests against {esc(board.baseline or '')}</h2><table><thead><tr>")
        parts.append("".join(f'<th scope="col">{esc(h)}</th>' for h in header))
        parts.append("</tr></thead><tbody>")
        parts += [
            f'<tr><th scope="row">{esc(row[0])}</th>'
            + "".join(f"<td>{esc(c)}</td>" for c in row[1:]) + "</tr>"
            for row in rows
        ]
        parts.append("</tbody></table>")
    parts += [f"<p>{esc(line)}</p>" for line in _footer_lines(board)]
    parts.append("<h2>Signatures</h2><ul>")
    parts += [
        f"<li>{esc(e.result.name)}: <code>{esc(e.result.signature_text)}</code></li>"
        for e in board.entries
    ]
    parts.append("</ul></body></html>")
    return with_content_security_policy("\n".join(parts) + "\n")


RENDERERS = {"md": to_markdown, "csv": to_csv, "html": to_html}
