"""REG 2026 runs side by side (`leaderboard`) and one run on a page (`report`), from saved
results: Metric A, Metric B with its parts and judge spread, the overall score, signatures.

There is no official REG 2026 table to place the runs among: the test ROIs and chains are
hidden. Runs are ranked by the overall score where every run has one, else by A, else by B.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from reg_eval.io.results_reg2026 import Reg2026Saved
from reg_eval.reg2026.metric_b import REASONING_COLUMNS, VERDICT_COLUMNS

COLUMNS = ("rank", "run", "overall", "A", "A 95% CI", "B", "B 95% CI", "B1", "B2", "B3",
           "judge", "voting", "B spread (sd)", "comparable")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _ci(bounds: tuple[float, float] | None) -> str:
    return "—" if bounds is None else f"[{bounds[0]:.4f}, {bounds[1]:.4f}]"


def _sort_key(runs: Sequence[Reg2026Saved]) -> str:
    for key in ("overall", "a", "b"):
        if all(getattr(run, key) is not None for run in runs):
            return key
    return "name"


def rows(runs: Sequence[Reg2026Saved]) -> list[dict[str, str]]:
    """One row per run, best first."""
    key = _sort_key(runs)
    ordered = sorted(runs, key=lambda r: (r.name,) if key == "name" else (-getattr(r, key),
                                                                           r.name))
    out = []
    for rank, run in enumerate(ordered, start=1):
        b = run.metric_b or {}
        parts = b.get("parts", {})
        spread = (b.get("judge_spread") or {}).get("B_sd")
        sig = run.data["signature"]
        out.append({
            "rank": str(rank), "run": run.name, "overall": _fmt(run.overall),
            "A": _fmt(run.a), "A 95% CI": _ci(run.ci("A")),
            "B": _fmt(run.b), "B 95% CI": _ci(run.ci("B")),
            "B1": _fmt(parts.get("B1")), "B2": _fmt(parts.get("B2")),
            "B3": _fmt(parts.get("B3")),
            "judge": str(sig.get("judge_model", "—")) if run.metric_b is not None else "—",
            "voting": str(b.get("voting", "—")) if run.metric_b is not None else "—",
            "B spread (sd)": _fmt(spread) if spread is not None else "—",
            "comparable": "yes" if run.comparable else "no",
        })
    return out


def render_markdown(runs: Sequence[Reg2026Saved]) -> str:
    table = rows(runs)
    lines = ["## REG 2026 runs (Overall = 0.7·A + 0.3·B)", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row[c].replace("|", "\\|") for c in COLUMNS) + " |"
              for row in table]
    lines += ["", "No official REG 2026 table: the test data are hidden. A difference in B "
              "smaller than the judge's spread is not told apart by the judge.", "",
              "Signatures:", ""]
    lines += [f"- {run.name}: `{run.signature_text}`" for run in runs]
    return "\n".join(lines) + "\n"


def render_csv(runs: Sequence[Reg2026Saved]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*COLUMNS, "signature"], lineterminator="\n")
    writer.writeheader()
    signatures = {run.name: run.signature_text for run in runs}
    for row in rows(runs):
        writer.writerow({**row, "signature": signatures[row["run"]]})
    return buffer.getvalue()


def _html_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"


_STYLE = ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
          "code{word-break:break-all}</style>")


def render_html(runs: Sequence[Reg2026Saved]) -> str:
    table = rows(runs)
    body = _html_table(COLUMNS, [[row[c] for c in COLUMNS] for row in table])
    sigs = "".join(f"<li>{html.escape(run.name)}: <code>{html.escape(run.signature_text)}"
                   "</code></li>" for run in runs)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>REG 2026 runs</title>"
            f"{_STYLE}</head><body><h1>REG 2026 runs</h1>{body}<p>No official REG 2026 table:"
            " the test data are hidden.</p><h2>Signatures</h2><ul>" + sigs
            + "</ul></body></html>\n")


RENDERERS = {"md": render_markdown, "csv": render_csv, "html": render_html}


def render_page(run: Reg2026Saved, per_case: Sequence[dict[str, Any]] = ()) -> str:
    """One run on a self-contained HTML page: the scores, B's missing rows, and the judged
    rows of `per_case` (its `--per-case` JSON lines) when given."""
    summary = render_html([run]).split("<h1>REG 2026 runs</h1>", 1)[1].split("<p>", 1)[0]
    b = run.metric_b
    sections = [f"<h1>REG 2026: {html.escape(run.name)}</h1>", summary]
    if b is not None:
        missing = b.get("missing", {})
        sections.append("<h2>Scored 0 for a missing or mismatched answer</h2>" + _html_table(
            ("part", "ids"),
            [[part, ", ".join("/".join(map(str, ids)) for ids in missing.get(part, []))]
             for part in ("B1", "B2", "B3")],
        ))
    judged = [row for row in per_case if row.get("metric", "B") == "B" and "part" in row]
    if judged:
        header = ("part", "ids", "score", "answers", "verdicts", "reasoning")
        body = []
        for row in judged:
            verdicts = "; ".join(f"{kind}: {row[column]}"
                                 for kind, column in VERDICT_COLUMNS.items() if column in row)
            reasoning = " | ".join(str(row[column]) for column in REASONING_COLUMNS.values()
                                   if column in row)
            body.append([str(row["part"]), "/".join(map(str, row.get("ids", []))),
                         f"{float(row.get('score', 0.0)):.2f}",
                         " || ".join(map(str, row.get("answers", []))),
                         verdicts or "; ".join(map(str, row.get("reasons", []))),
                         reasoning])
        sections.append("<h2>Metric B rows</h2>" + _html_table(header, body))
    sections.append(f"<h2>Signature</h2><p><code>{html.escape(run.signature_text)}</code></p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>REG 2026 "
            f"{html.escape(run.name)}</title>{_STYLE}</head><body>" + "".join(sections)
            + "</body></html>\n")


def leaderboard_text(
    paths: Sequence[Any], *, official: str, per_case: Sequence[Any] | None, output_format: str
) -> str:
    """The `leaderboard` output for saved REG 2026 results (all of them REG 2026)."""
    from reg_eval.errors import UsageError
    from reg_eval.io.results import run_names
    from reg_eval.io.results_reg2026 import is_reg2026_file, load_reg2026_result

    others = [str(p) for p in paths if not is_reg2026_file(p)]
    if others:
        raise UsageError(f"{others[0]} is not a REG 2026 result; REG 2025 and REG 2026 runs "
                         "are ranked apart", hint="give one kind of result file at a time")
    if official != "none":
        raise UsageError("there is no official REG 2026 table to place the runs among",
                         hint="leave out --official")
    if per_case:
        raise UsageError("--per-case (the paired test) is for REG 2025 runs")
    names = run_names(list(paths))
    runs = [load_reg2026_result(p, name=n) for p, n in zip(paths, names, strict=True)]
    return RENDERERS[output_format](runs)
