"""The error-analysis report: one self-contained HTML file.

Styles, script, data and plots are inline, so the file opens offline and requests nothing.
Static parts are escaped here; case texts travel as inline JSON (escaped so that no report
text can close the script element) and the page's script inserts them as text nodes, never
as markup. Rows are rendered in chunks, so a 1,000-case report shows its first rows at once.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from reg_eval.columns import OFFICIAL_LABELS
from reg_eval.io.results import SCORE_COLUMNS
from reg_eval.paired import DEFAULT_TEST, DEFAULT_TRIALS
from reg_eval.report.analysis import (
    HeadToHead,
    ReportRun,
    case_payload,
    fact_columns,
    head_to_head,
    numeric_columns,
)
from reg_eval.report.static import CSS, JS, with_content_security_policy
from reg_eval.stats import DEFAULT_SEED

LABELS = OFFICIAL_LABELS
esc = html.escape


def json_for_script(value: object) -> str:
    """JSON that is safe inside <script type="application/json">.

    `<`, `>` and `&` only occur inside JSON strings, where their \\u escapes parse back to
    the same characters; U+2028 and U+2029 are escaped for older parsers.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _label(column: str) -> str:
    return LABELS.get(column, column)


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _p(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.4f}" + (" *" if value < 0.05 else "")


def _delta(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:+.4f}"


def _num(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.4f}"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _header(run: ReportRun, against: ReportRun | None) -> str:
    sig = run.result.signature_text
    parts = [
        "<header>",
        f"<h1>Error analysis: {esc(run.name)}"
        + (f" against {esc(against.name)}" if against else "")
        + "</h1>",
        f'<p class="muted">{run.result.n_cases} cases · REG 2025 official score '
        "(ranking = 0.15·(ROUGE + BLEU) + 0.4·KEY + 0.3·EMB)</p>",
        f'<p>Signature of {esc(run.name)}:</p><code class="sig">{esc(sig)}</code>',
    ]
    if against is not None:
        parts.append(
            f'<p>Signature of {esc(against.name)}:</p>'
            f'<code class="sig">{esc(against.result.signature_text)}</code>'
        )
    for item in (run, against):
        if item is not None and not item.result.comparable:
            reasons = "; ".join(item.result.not_comparable_because)
            parts.append(
                f'<p class="warn">{esc(item.name)} is not comparable with the REG 2025 '
                f"leaderboard: {esc(reasons)}.</p>"
            )
    links = [("overall", "Overall"), ("distributions", "Distributions"),
             ("organs", "By organ")]
    if against is not None:
        links.append(("head-to-head", "Head to head"))
    links.append(("cases", "Cases"))
    parts.append(
        '<nav aria-label="Sections"><ul>'
        + "".join(f'<li><a href="#{k}">{esc(t)}</a></li>' for k, t in links)
        + "</ul></nav></header>"
    )
    return "\n".join(parts)


def _overall(run: ReportRun) -> str:
    result = run.result
    pct = round(result.confidence * 100)
    rows = []
    for column in SCORE_COLUMNS:
        mean = result.ranking if column == "ranking" else result.components[column]
        lo, hi = result.ci[column]
        rows.append(
            f'<tr><th scope="row">{esc(_label(column))}</th><td class="num">{_f(mean)}</td>'
            f'<td class="num">[{_f(lo)}, {_f(hi)}]</td></tr>'
        )
    for group, block in (result.data.get("metrics") or {}).items():
        defined = block.get("defined") or {}
        headline = block.get("headline")
        for column, mean in (block.get("means") or {}).items():
            ci = (block.get("ci") or {}).get(column) or [None, None]
            n = defined.get(column)
            count = (
                f' <span class="muted">(defined on {n} of {result.n_cases} cases)</span>'
                if isinstance(n, int) and n < result.n_cases
                else ""
            )
            interval = "" if ci[0] is None else f"[{_f(ci[0])}, {_f(ci[1])}]"
            role = "headline" if column == headline else ("diagnostic" if headline else "")
            tag = f"{esc(group)}, {role}" if role else esc(group)
            rows.append(
                f'<tr><th scope="row">{esc(column)} <span class="muted">({tag})</span>'
                f'{count}</th><td class="num">{_f(mean) if mean is not None else "undefined"}'
                f'</td><td class="num">{interval}</td></tr>'
            )
    cases = result.data.get("cases") or {}
    missing = cases.get("missing_ids") or []
    extra = cases.get("extra_ids") or []
    return (
        '<section id="overall" aria-labelledby="overall-h"><h2 id="overall-h">Overall</h2>'
        f"<table><caption class=\"visually-hidden\">Mean scores of {esc(run.name)}</caption>"
        '<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Mean</th>'
        f'<th scope="col" class="num">{pct}% CI (bootstrap)</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
        f'<p class="muted">Missing cases: {len(missing)} (policy '
        f"{esc(str(cases.get('missing_policy', '?')))}); extra ids ignored: {len(extra)}. "
        "BLEU-4 is the official 4-gram count (no brevity penalty).</p></section>"
    )


def _distributions(run: ReportRun) -> str:
    from reg_eval.report.plots import histograms, inline_svg

    columns = {c: [float(row[c]) for row in run.cases.rows] for c in SCORE_COLUMNS}
    svg = inline_svg(histograms(columns), "Histograms of the per-case ranking and components")
    return (
        '<section id="distributions" aria-labelledby="dist-h">'
        '<h2 id="dist-h">Distributions over cases</h2>'
        + _figure(svg, f"Per-case values of {run.name}: ranking, BLEU-4, ROUGE-L, KEY, EMB "
                  "(20 bins on [0, 1]; BLEU-4 values above 1 are counted in the last bin).")
        + "</section>"
    )


def _organs(run: ReportRun, against: ReportRun | None) -> str:
    from reg_eval.report.plots import inline_svg, organ_bars

    by_organ = run.result.by_organ
    other = against.result.by_organ if against else None
    names = (run.name, against.name if against else "")
    svg = inline_svg(organ_bars(by_organ, other=other, names=names),
                     "Mean ranking per organ with confidence intervals")
    pct = round(run.result.confidence * 100)
    rows = []
    for organ, row in by_organ.items():
        ci = row.get("ci", {}).get("ranking", [None, None])
        count = esc(str(row.get("n_cases", "")))
        rows.append(
            f'<tr><th scope="row">{esc(organ)}</th><td class="num">{count}</td>'
            + "".join(f'<td class="num">{_f(row.get(c))}</td>' for c in SCORE_COLUMNS)
            + f'<td class="num">[{_f(ci[0])}, {_f(ci[1])}]</td></tr>'
        )
    heads = "".join(f'<th scope="col" class="num">{esc(_label(c))}</th>' for c in SCORE_COLUMNS)
    return (
        '<section id="organs" aria-labelledby="organs-h"><h2 id="organs-h">By organ</h2>'
        + _figure(svg, f"Mean ranking per organ with {pct}% bootstrap CIs.")
        + f"<table><caption class=\"visually-hidden\">Scores of {esc(run.name)} by organ"
        '</caption><thead><tr><th scope="col">Organ</th><th scope="col" class="num">n</th>'
        + heads
        + f'<th scope="col" class="num">ranking {pct}% CI</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _case_list(title: str, items: Sequence[dict[str, Any]], names: tuple[str, str]) -> str:
    if not items:
        return f"<h3>{esc(title)}</h3><p class=\"muted\">None.</p>"
    rows = "".join(
        f'<tr><th scope="row">{esc(i["id"])}</th><td>{esc(i["organ"])}</td>'
        f'<td class="num">{_f(i["a"])}</td><td class="num">{_f(i["b"])}</td>'
        f'<td class="num">{i["delta"]:+.4f}</td></tr>'
        for i in items
    )
    return (
        f"<h3>{esc(title)}</h3><table><thead><tr><th scope=\"col\">Case</th>"
        '<th scope="col">Organ</th>'
        f'<th scope="col" class="num">{esc(names[0])}</th>'
        f'<th scope="col" class="num">{esc(names[1])}</th>'
        '<th scope="col" class="num">Δ ranking</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _head_to_head(h2h: HeadToHead) -> str:
    a, b = h2h.names
    overall = "".join(
        f'<tr><th scope="row">{esc(_label(c))}</th><td class="num">{_num(h2h.means[c][0])}</td>'
        f'<td class="num">{_num(h2h.means[c][1])}</td>'
        f'<td class="num">{_delta(h2h.deltas[c])}</td>'
        f'<td class="num">{_p(h2h.p_values[c])}</td>'
        f'<td class="num">{h2h.n_paired[c]}</td></tr>'
        for c in h2h.p_values
    )
    organs = "".join(
        f'<tr><th scope="row">{esc(o["organ"])}</th><td class="num">{o["n"]}</td>'
        f'<td class="num">{_f(o["a"])}</td><td class="num">{_f(o["b"])}</td>'
        f'<td class="num">{o["delta"]:+.4f}</td></tr>'
        for o in h2h.by_organ
    )
    wins_a, wins_b, ties = h2h.wins
    return (
        '<section id="head-to-head" aria-labelledby="h2h-h">'
        f'<h2 id="h2h-h">Head to head: {esc(b)} against {esc(a)}</h2>'
        f"<p>On the per-case ranking, <strong>{esc(a)}</strong> is better on {wins_a} cases, "
        f"<strong>{esc(b)}</strong> on {wins_b}, and {ties} are ties ({h2h.n_cases} cases, "
        "matched by id).</p>"
        f"<table><caption>Means and {esc(h2h.test_name)} test "
        f"({h2h.n_trials} trials, seed {h2h.seed}; * p &lt; 0.05; a case where a metric is "
        "undefined in either run is left out of its test)</caption><thead><tr>"
        f'<th scope="col">Metric</th><th scope="col" class="num">{esc(a)}</th>'
        f'<th scope="col" class="num">{esc(b)}</th>'
        f'<th scope="col" class="num">Δ ({esc(b)} − {esc(a)})</th>'
        '<th scope="col" class="num">p</th><th scope="col" class="num">cases tested</th>'
        f"</tr></thead><tbody>{overall}</tbody></table>"
        "<h3>Per-organ deltas of the ranking</h3>"
        '<table><thead><tr><th scope="col">Organ</th><th scope="col" class="num">n</th>'
        f'<th scope="col" class="num">{esc(a)}</th><th scope="col" class="num">{esc(b)}</th>'
        f'<th scope="col" class="num">Δ</th></tr></thead><tbody>{organs}</tbody></table>'
        + _case_list(f"Cases {a} wins by most", h2h.largest[0], h2h.names)
        + _case_list(f"Cases {b} wins by most", h2h.largest[1], h2h.names)
        + "</section>"
    )


def _cases_section(
    run: ReportRun, against: ReportRun | None, numeric: list[str], facts: list[str]
) -> str:
    organs = sorted({str(row.get("organ", "")) for row in run.cases.rows})
    organ_options = '<option value="">all organs</option>' + "".join(
        f'<option value="{esc(o)}">{esc(o)}</option>' for o in organs
    )
    winner = ""
    if against is not None:
        winner = (
            '<label>Winner<select id="case-winner"><option value="">all cases</option>'
            f'<option value="a">{esc(run.name)} better</option>'
            f'<option value="b">{esc(against.name)} better</option>'
            '<option value="tie">ties</option></select></label>'
        )

    def sortable(key: str, label: str, kind: str) -> str:
        cls = ' class="num"' if kind == "num" else ""
        return (
            f'<th scope="col"{cls} data-key="{esc(key)}" data-type="{kind}" aria-sort="none">'
            f'<button type="button">{esc(label)}<span class="arrow" aria-hidden="true"></span>'
            "</button></th>"
        )

    heads = [sortable("id", "Case", "text"), sortable("organ", "Organ", "text")]
    heads += [sortable(c, _label(c), "num") for c in numeric]
    if against is not None:
        heads.append(sortable("delta", "Δ ranking", "num"))
    heads.append('<th scope="col">Reference against hypothesis</th>')
    fact_note = (
        "Missed and invented clinical facts are listed under each text."
        if facts
        else "Clinical facts were not computed for this run (score with "
        "<code>--metrics official,clinical</code> to list missed and invented facts)."
    )
    return (
        '<section id="cases" aria-labelledby="cases-h"><h2 id="cases-h">Cases</h2>'
        '<p>Word-level diff of the reference against the generated report: '
        "<del>struck-through words</del> are only in the reference, <ins>underlined words</ins> "
        f"only in the hypothesis. Missed and extra KEY keywords follow each text. {fact_note} "
        + (f"Δ ranking is {esc(against.name)} − {esc(run.name)}, per case. " if against else "")
        + "Sort with the column buttons (mouse, Enter or Space).</p>"
        '<div class="controls" role="search">'
        '<label>Search id, organ or text<input id="case-search" type="search"></label>'
        f'<label>Organ<select id="case-organ">{organ_options}</select></label>{winner}</div>'
        '<p id="case-status" role="status" aria-live="polite"></p>'
        '<div class="table-wrap"><table id="case-table" data-state="loading">'
        f"<caption class=\"visually-hidden\">Per-case scores of {esc(run.name)}</caption>"
        f'<thead><tr>{"".join(heads)}</tr></thead><tbody id="case-rows"></tbody></table></div>'
        "</section>"
    )


def build_report(
    run: ReportRun,
    *,
    references: Mapping[str, str] | None,
    against: ReportRun | None = None,
    test: str = DEFAULT_TEST,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
) -> str:
    """The whole page as a string; the same inputs always give the same bytes."""
    numeric = numeric_columns(run.cases)
    facts = fact_columns(run.cases)
    h2h = head_to_head(run, against, test=test, n_trials=n_trials, seed=seed) if against else None
    payload = {
        "columns": numeric,
        "against": against is not None,
        "names": [run.name, against.name if against else ""],
        "cases": case_payload(run, references, numeric=numeric, facts=facts, against=against),
    }
    title = f"reg-eval report: {run.name}" + (f" against {against.name}" if against else "")
    body = [
        _header(run, against),
        "<main>",
        _overall(run),
        _distributions(run),
        _organs(run, against),
        _head_to_head(h2h) if h2h else "",
        _cases_section(run, against, numeric, facts),
        "</main>",
        '<footer><p class="muted">Written by reg-eval. This file is self-contained: it loads '
        "nothing from the network and opens offline in any browser.</p></footer>",
    ]
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(part for part in body if part)
        + f'\n<script type="application/json" id="report-data">{json_for_script(payload)}'
        f"</script>\n<script>{JS}</script>\n</body></html>\n"
    )
    return with_content_security_policy(page)
