"""The page as text: escaping, inline data, no external resources, determinism."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from report.report_fixtures import make_result

from reg_eval.errors import InvalidInputError
from reg_eval.io.results import cases_from_rows, result_from_dict
from reg_eval.report.analysis import ReportRun, head_to_head
from reg_eval.report.html import build_report, json_for_script

HOSTILE = '</script><script>alert("x")</script><!-- <img src=x onerror=alert(1)> & \u2028'


def _run(name: str, result, hyps=None) -> ReportRun:  # type: ignore[no-untyped-def]
    sig = result.signature.format()
    rows = [{**row, "signature": sig} for row in result.per_case_rows()]
    texts = dict(zip(result.alignment.ids, hyps or result.alignment.hyps, strict=True))
    saved = result_from_dict(result.to_dict(), name=name, path=Path(f"{name}.json"))
    return ReportRun(name, saved, cases_from_rows(rows, path=None, signature_text=sig), texts)


def _data(page: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page,
                      re.S)
    assert match is not None
    return json.loads(match.group(1))


def test_json_for_script_cannot_close_the_element_and_parses_back() -> None:
    text = json_for_script({"t": HOSTILE})
    assert "</" not in text and "<" not in text and "\u2028" not in text
    assert json.loads(text) == {"t": HOSTILE}


def test_hostile_texts_and_names_stay_text() -> None:
    ids = ["c0", "c1", "c2", "c3"]
    refs = ["Breast, biopsy; carcinoma"] * 4
    hyps = [HOSTILE, "Breast, biopsy; carcinoma", "b", "c"]
    result = make_result(ids, bleu=[0.1, 0.2, 0.3, 0.4], refs=refs, hyps=hyps,
                         organs=["Breast", "<b>Organ</b>", "Breast", "Lung"])
    page = build_report(_run('<script>name</script>', result, hyps),
                        references=dict(zip(ids, refs, strict=True)))
    assert page.count("<script") == 2  # the data block and the page script
    assert "<b>Organ</b>" not in page and "&lt;b&gt;Organ&lt;/b&gt;" in page
    assert "<img" not in page
    data = _data(page)
    assert [c["id"] for c in data["cases"]] == ids
    rebuilt = "".join(t for op, t in data["cases"][0]["d"] if op in "=+")
    assert rebuilt == HOSTILE


def test_the_page_loads_nothing_from_elsewhere() -> None:
    ids = [f"c{i}" for i in range(12)]
    result = make_result(ids, bleu=np.linspace(0, 0.9, 12), clinical=True)
    page = build_report(_run("a", result), references=None)
    for attribute in re.findall(r'\b(?:src|href|action|poster|data)\s*=\s*"([^"]*)"', page):
        assert attribute.startswith("#"), attribute
    assert "@import" not in page
    assert all(target.startswith("#") for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", page))
    assert "default-src 'none'" in page
    # Same inputs, same bytes.
    assert build_report(_run("a", result), references=None) == page


def test_clinical_facts_and_keywords_reach_the_page_when_present() -> None:
    ids = ["c0", "c1", "c2"]
    with_facts = build_report(_run("a", make_result(ids, bleu=[0.1, 0.2, 0.3], clinical=True)),
                              references=None)
    case = _data(with_facts)["cases"][1]
    assert case["f"] == [["clinical missed", ["margin involved 1"]],
                         ["clinical invented", ["lymphovascular (category: invasion)"]]]
    assert case["mk"] == ["kw1"] and case["xk"] == ["invasive"]
    assert "clinical_f1" in _data(with_facts)["columns"]
    without = build_report(_run("a", make_result(ids, bleu=[0.1, 0.2, 0.3])), references=None)
    assert _data(without)["cases"][1]["f"] == []
    assert "Clinical facts were not computed" in without
    assert _data(without)["cases"][0]["d"] is None or isinstance(_data(without)["cases"][0]["d"],
                                                                  list)


def test_head_to_head_counts_wins_and_organ_deltas_by_hand() -> None:
    ids = ["c0", "c1", "c2", "c3"]
    organs = ["Breast", "Breast", "Lung", "Lung"]
    a = make_result(ids, bleu=[0.2, 0.4, 0.6, 0.8], organs=organs)
    b = make_result(ids, bleu=[0.4, 0.4, 0.2, 0.8], organs=organs)
    h2h = head_to_head(_run("a", a), _run("b", b), n_trials=100, seed=1)
    # ranking moves by 0.3 * Δbleu (BLEU and ROUGE both change): +0.06, 0, -0.12, 0
    assert h2h.wins == (1, 1, 2)
    deltas = {o["organ"]: o["delta"] for o in h2h.by_organ}
    assert deltas["Breast"] == pytest.approx(0.03)
    assert deltas["Lung"] == pytest.approx(-0.06)
    assert [c["id"] for c in h2h.largest[0]] == ["c2"]
    assert [c["id"] for c in h2h.largest[1]] == ["c0"]
    assert h2h.p_values["key"] == 1.0


def test_head_to_head_tests_every_metric_and_counts_undefined_cases() -> None:
    ids = ["c0", "c1", "c2", "c3"]
    a = make_result(ids, bleu=[0.2, 0.4, 0.6, 0.8], clinical=True)
    b = make_result(ids, bleu=[0.3, 0.5, 0.7, 0.9], clinical=True)
    b.groups["clinical"].per_case["clinical_f1"] = np.array([0.5, np.nan, 0.5, 0.5])
    run_a, run_b = _run("a", a), _run("b", b)
    h2h = head_to_head(run_a, run_b, n_trials=200, seed=1)
    assert list(h2h.p_values) == ["ranking", "bleu", "rouge", "key", "emb", "clinical_f1"]
    assert h2h.n_paired == {"ranking": 4, "bleu": 4, "rouge": 4, "key": 4, "emb": 4,
                            "clinical_f1": 3}
    # clinical_f1 of a: linspace(0.2, 0.8, 4) = 0.2, 0.4, 0.6, 0.8; b: 0.5 where defined
    assert h2h.deltas["clinical_f1"] == pytest.approx(((0.5 - 0.2) + (0.5 - 0.6) + (0.5 - 0.8)) / 3)
    assert h2h.deltas["bleu"] == pytest.approx(0.1)
    page = build_report(run_a, references=None, against=run_b, n_trials=200, seed=1)
    section = page[page.index('id="head-to-head"'):page.index('id="cases"')]
    assert "paired approximate randomization test (200 trials, seed 1" in section
    assert "cases tested" in section and section.count("<tr><th scope=\"row\">") >= 6


def test_head_to_head_refuses_runs_on_other_cases() -> None:
    a = make_result(["c0", "c1"], bleu=[0.1, 0.2])
    b = make_result(["c0", "c9"], bleu=[0.1, 0.2])
    with pytest.raises(InvalidInputError, match="c1"):
        head_to_head(_run("a", a), _run("b", b))


class _InlineBlocks(HTMLParser):
    """Every <style> and <script> element's text, as a browser's parser sees it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, dict[str, str | None], str]] = []
        self.style_attributes = 0
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.style_attributes += sum(1 for name, _ in attrs if name == "style")
        if tag in ("style", "script"):
            self._open, self._text = (tag, dict(attrs)), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            self.blocks.append((tag, self._open[1], "".join(self._text)))
            self._open = None


def test_the_policy_allows_exactly_the_pages_own_blocks_and_no_inline_styles() -> None:
    ids = [f"c{i}" for i in range(9)]
    result = make_result(ids, bleu=np.linspace(0, 1, 9), hyps=[HOSTILE] * 9)
    page = build_report(_run("run", result, [HOSTILE] * 9), references=None)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert policy is not None
    directives = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert "unsafe" not in policy.group(1)
    assert directives["default-src"] == "'none'" and directives["img-src"] == "data:"
    parser = _InlineBlocks()
    parser.feed(page)
    assert parser.style_attributes == 0  # the plots' styles moved into hashed <style> blocks

    def source(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    styles = {source(text) for tag, _, text in parser.blocks if tag == "style"}
    scripts = {source(text) for tag, attrs, text in parser.blocks
               if tag == "script" and attrs.get("type") != "application/json"}
    assert len(styles) == 3 and len(scripts) == 1  # page CSS, two plots; the page script
    assert set(directives["style-src"].split()) == styles
    assert set(directives["script-src"].split()) == scripts


def test_a_groups_headline_column_is_marked_and_the_rest_are_diagnostics() -> None:
    ids = ["c0", "c1", "c2"]
    result = make_result(ids, bleu=[0.1, 0.2, 0.3], clinical=True)
    data = result.to_dict()
    assert data["metrics"]["clinical"]["headline"] is None
    plain = build_report(_run("a", result), references=None)
    assert "headline" not in plain and "diagnostic" not in plain
    data["metrics"]["clinical"]["headline"] = "clinical_f1"
    data["metrics"]["clinical"]["means"]["clinical_precision"] = 0.5
    data["metrics"]["clinical"]["ci"]["clinical_precision"] = [0.4, 0.6]
    saved = result_from_dict(data, name="a", path=Path("a.json"))
    base = _run("a", result)
    page = build_report(ReportRun("a", saved, base.cases, base.hypotheses), references=None)
    assert 'clinical_f1 <span class="muted">(clinical, headline)</span>' in page
    assert 'clinical_precision <span class="muted">(clinical, diagnostic)</span>' in page
