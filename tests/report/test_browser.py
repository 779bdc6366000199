"""The report in a real headless Chromium: rows, click and keyboard sorting, filtering,
no network requests, hostile text stays text, and a screenshot that is not blank."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from report.report_fixtures import make_result

from reg_eval.io.results import cases_from_rows, result_from_dict
from reg_eval.report.analysis import ReportRun
from reg_eval.report.html import build_report

N_CASES = 400
HOSTILE = '</script><script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'


def _run(name: str, result, hyps: list[str]) -> ReportRun:  # type: ignore[no-untyped-def]
    sig = result.signature.format()
    rows = [{**row, "signature": sig} for row in result.per_case_rows()]
    saved = result_from_dict(result.to_dict(), name=name, path=Path(f"{name}.json"))
    return ReportRun(name, saved, cases_from_rows(rows, path=None, signature_text=sig),
                     dict(zip(result.alignment.ids, hyps, strict=True)))


def _write_report(folder: Path) -> tuple[Path, list[str], list[float], list[str]]:
    rng = np.random.default_rng(7)
    ids = [f"PIT_01_{i:05d}_01.tiff" for i in range(N_CASES)]
    refs = [f"Stomach, biopsy;\n  Chronic gastritis with intestinal metaplasia {i}"
            for i in range(N_CASES)]
    hyps = [f"Stomach, biopsy;\n  Chronic active gastritis {i}" for i in range(N_CASES)]
    hyps[3] = HOSTILE
    a = make_result(ids, bleu=rng.uniform(0, 0.9, N_CASES), refs=refs, hyps=hyps, clinical=True)
    b = make_result(ids, bleu=rng.uniform(0, 0.9, N_CASES), refs=refs, hyps=hyps)
    page = build_report(_run("run-a", a, hyps), references=dict(zip(ids, refs, strict=True)),
                        against=_run("run-b", b, hyps), n_trials=200)
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    organs = list(a.organs)
    return path, ids, [float(x) for x in a.stats.ranking], organs


def _column_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "Array.from(document.querySelectorAll('#case-rows > tr > th')).map(e => e.textContent)"
    )


def test_report_in_headless_chromium(tmp_path: Path, browser_page) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    path, ids, ranking, organs = _write_report(tmp_path)
    url = path.resolve().as_uri()
    page = browser_page
    page.send("Network.enable")
    page.send("Page.enable")
    # Injected by the browser itself, so the page's policy does not apply to it.
    page.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__violations = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"))
    page.send("Page.navigate", url=url)
    page.wait_event("Page.loadEventFired", timeout=60)
    page.wait_for("document.getElementById('case-table').dataset.state === 'ready'")

    # One row per case, in file order before any sort.
    assert _column_ids(page) == ids

    # Sort by ranking with a real mouse click: best first, as aria-sort says.
    head = "#case-table th[data-key='ranking']"
    page.click(head + " button")
    page.wait_for("document.getElementById('case-table').dataset.state === 'ready'")
    assert page.evaluate(f"document.querySelector(\"{head}\").getAttribute('aria-sort')") == (
        "descending"
    )
    order = sorted(range(N_CASES), key=lambda i: (-ranking[i], i))
    assert _column_ids(page) == [ids[i] for i in order]

    # The keyboard reaches the same button: Enter flips the order, Space flips it back.
    page.evaluate(f"document.querySelector(\"{head} button\").focus()")
    page.press("Enter", "Enter", 13, "\r")
    page.wait_for(f"document.querySelector(\"{head}\").getAttribute('aria-sort') === 'ascending'")
    page.wait_for("document.getElementById('case-table').dataset.state === 'ready'")
    ascending = sorted(range(N_CASES), key=lambda i: (ranking[i], i))
    assert _column_ids(page) == [ids[i] for i in ascending]
    page.press(" ", "Space", 32, " ")
    page.wait_for(f"document.querySelector(\"{head}\").getAttribute('aria-sort') === 'descending'")

    # Filtering by organ keeps exactly that organ's cases.
    page.evaluate(
        "(() => { const s = document.getElementById('case-organ'); s.value = 'Prostate';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    page.wait_for("document.getElementById('case-table').dataset.state === 'ready'")
    shown = _column_ids(page)
    assert sorted(shown) == sorted(i for i, o in zip(ids, organs, strict=True) if o == "Prostate")

    # Hostile report text is shown as text and runs nothing.
    assert page.evaluate("window.__pwned === undefined")
    page.evaluate(
        "(() => { const s = document.getElementById('case-organ'); s.value = '';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    page.wait_for("document.getElementById('case-table').dataset.state === 'ready'")
    assert page.evaluate(
        "Array.from(document.querySelectorAll('#case-rows .diff'))"
        f".some(e => e.textContent.includes({HOSTILE[:30]!r}))"
    )
    injected = "document.querySelectorAll('#case-rows img, #case-rows script').length"
    assert page.evaluate(injected) == 0

    # The strict policy (no 'unsafe-inline') blocked nothing of the page's own: the script
    # ran (rows above), and the plots are styled by their classes (a bar in the first colour).
    assert page.evaluate("window.__violations") == []
    fill = page.evaluate(
        "Array.from(document.querySelectorAll('#organs svg path'))"
        ".map(e => getComputedStyle(e).fill).filter(f => f === 'rgb(0, 114, 178)').length"
    )
    assert fill > 0
    assert page.evaluate("document.querySelectorAll('[style]').length") == 0

    # The page asked the network for nothing: the only request is the file itself.
    requested = [e["params"]["request"]["url"] for e in page.events
                 if e["method"] == "Network.requestWillBeSent"]
    assert requested == [url]

    shot = page.send("Page.captureScreenshot", format="png")
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    assert image.size[0] >= 800
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20
    assert max(count for count, _ in colours) < 0.97 * image.size[0] * image.size[1]
