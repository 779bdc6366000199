"""The report page's stylesheet and script, inlined into every report (no network, no CDN).

Colours meet WCAG AA contrast (4.5:1 or more for text); inserted and deleted words are
also underlined or struck through, so the diff does not rely on colour alone.
"""

from __future__ import annotations

import base64
import hashlib
import re

CSS = """
:root{--fg:#1a1a1a;--muted:#4a4a4a;--line:#c4c4c4;--head:#eef1f5;--accent:#0b5cad;
--ins-bg:#d8f3dc;--ins-fg:#0a3b16;--del-bg:#fbe0df;--del-fg:#6e0b0b;--warn-bg:#fff4ce}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:#fff;margin:0 auto;max-width:100rem;padding:0 1.25rem 3rem}
header{border-bottom:2px solid var(--line);padding:1rem 0 .5rem}
h1{font-size:1.5rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
a{color:var(--accent)}
nav ul{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:1rem}
code.sig{display:block;font-size:.8rem;word-break:break-all;background:#f6f6f6;
padding:.35rem .5rem;border:1px solid var(--line);border-radius:3px}
.warn{background:var(--warn-bg);border:1px solid #b58900;padding:.4rem .6rem;border-radius:3px}
.muted{color:var(--muted)}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;vertical-align:top}
thead th{background:var(--head);text-align:left}
td.num,th.num{text-align:right;white-space:nowrap}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
figcaption{color:var(--muted);font-size:.9rem}
.controls{display:flex;flex-wrap:wrap;gap:1rem;align-items:end;margin:.6rem 0}
.controls label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
.controls input,.controls select{font:inherit;padding:.25rem .4rem;border:1px solid #767676;
border-radius:3px;color:var(--fg);background:#fff}
.table-wrap{overflow-x:auto}
#case-table{width:100%}
#case-table td.num{font-size:.85rem;padding:.3rem .35rem}
#case-table thead th{font-size:.85rem;padding:.3rem .35rem;vertical-align:bottom}
#case-table th button{all:unset;cursor:pointer;display:inline;font-weight:700}
#case-table th button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{
outline:3px solid var(--accent);outline-offset:2px}
#case-table th[aria-sort=ascending] .arrow::after{content:"\\25B2"}
#case-table th[aria-sort=descending] .arrow::after{content:"\\25BC"}
#case-table th[aria-sort=none] .arrow::after{content:"\\21C5";color:var(--muted)}
tbody th{text-align:left}
#case-table tbody th{font-weight:600;white-space:nowrap}
td.text{min-width:22rem;max-width:60rem}
.run-label{font-weight:700;font-size:.8rem;margin-right:.3rem}
.diff{white-space:pre-wrap;overflow-wrap:anywhere}
ins{background:var(--ins-bg);color:var(--ins-fg);text-decoration:underline}
del{background:var(--del-bg);color:var(--del-fg);text-decoration:line-through}
.facts{font-size:.85rem;margin:.3rem 0 0;color:var(--muted)}
.facts b{color:var(--fg)}
.delta-pos{color:#0a5a20}.delta-neg{color:#8a1010}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;
clip:rect(0 0 0 0);white-space:nowrap}
"""

JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var cases = data.cases, columns = data.columns;
  var table = document.getElementById("case-table");
  var tbody = document.getElementById("case-rows");
  var status = document.getElementById("case-status");
  var search = document.getElementById("case-search");
  var organ = document.getElementById("case-organ");
  var winner = document.getElementById("case-winner");
  var CHUNK = 150;
  var sortKey = null, sortDir = "none", view = [], generation = 0, timer = null;

  function fmt(x) { return x === null || x === undefined ? "" : x.toFixed(4); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function searchText(c) {
    if (c._s === undefined) {
      var parts = [c.id, c.organ];
      (c.d || []).forEach(function (s) { parts.push(s[1]); });
      c._s = parts.join(" ").toLowerCase();
    }
    return c._s;
  }
  function diffNode(segments, label) {
    var box = el("div", "diff");
    if (!segments) { box.appendChild(el("span", "muted", "(texts not given)")); return box; }
    if (label) box.appendChild(el("span", "run-label", label));
    segments.forEach(function (s) {
      if (s[0] === "=") box.appendChild(document.createTextNode(s[1]));
      else box.appendChild(el(s[0] === "+" ? "ins" : "del", null, s[1]));
    });
    return box;
  }
  function factLine(box, label, items) {
    if (!items || !items.length) return;
    var p = el("p", "facts");
    p.appendChild(el("b", null, label + ": "));
    p.appendChild(document.createTextNode(items.join("; ")));
    box.appendChild(p);
  }
  function row(c) {
    var tr = document.createElement("tr");
    var th = el("th", null, c.id); th.scope = "row"; tr.appendChild(th);
    tr.appendChild(el("td", null, c.organ));
    for (var j = 0; j < columns.length; j++) tr.appendChild(el("td", "num", fmt(c.v[j])));
    if (data.against) {
      var d = el("td", "num " + (c.w > 0 ? "delta-pos" : c.w < 0 ? "delta-neg" : ""),
        (c.w > 0 ? "+" : "") + fmt(c.w));
      tr.appendChild(d);
    }
    var text = el("td", "text");
    text.appendChild(diffNode(c.d, data.against ? data.names[0] + ": " : ""));
    if (data.against && c.od) text.appendChild(diffNode(c.od, data.names[1] + ": "));
    factLine(text, "missed KEY keywords", c.mk);
    factLine(text, "extra KEY keywords", c.xk);
    (c.f || []).forEach(function (f) { factLine(text, f[0], f[1]); });
    tr.appendChild(text);
    return tr;
  }
  function render() {
    var mine = ++generation, i = 0;
    tbody.textContent = "";
    table.setAttribute("data-state", "rendering");
    status.textContent = "Showing " + view.length + " of " + cases.length + " cases";
    function step() {
      if (mine !== generation) return;
      var frag = document.createDocumentFragment();
      var end = Math.min(i + CHUNK, view.length);
      for (; i < end; i++) frag.appendChild(row(cases[view[i]]));
      tbody.appendChild(frag);
      if (i < view.length) setTimeout(step, 0);
      else table.setAttribute("data-state", "ready");
    }
    step();
  }
  function keyValue(c, key) {
    if (key === "id") return c.id;
    if (key === "organ") return c.organ;
    if (key === "other") return c.o;
    if (key === "delta") return c.w;
    return c.v[columns.indexOf(key)];
  }
  function compare(a, b) {
    var x = keyValue(cases[a], sortKey), y = keyValue(cases[b], sortKey);
    var r;
    if (x === null || x === undefined) r = (y === null || y === undefined) ? 0 : 1;
    else if (y === null || y === undefined) r = -1;
    else if (typeof x === "number") r = sortDir === "ascending" ? x - y : y - x;
    else r = sortDir === "ascending" ? x.localeCompare(y) : y.localeCompare(x);
    return r !== 0 ? r : a - b;
  }
  function apply() {
    var q = (search.value || "").trim().toLowerCase();
    var o = organ.value, w = winner ? winner.value : "";
    view = [];
    for (var i = 0; i < cases.length; i++) {
      var c = cases[i];
      if (o && c.organ !== o) continue;
      if (w === "a" && !(c.w < 0)) continue;
      if (w === "b" && !(c.w > 0)) continue;
      if (w === "tie" && c.w !== 0) continue;
      if (q && searchText(c).indexOf(q) < 0) continue;
      view.push(i);
    }
    if (sortKey) view.sort(compare);
    render();
  }
  var heads = table.querySelectorAll("thead th[data-key]");
  Array.prototype.forEach.call(heads, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      var numeric = th.getAttribute("data-type") === "num";
      if (sortKey === key) sortDir = sortDir === "ascending" ? "descending" : "ascending";
      else sortDir = numeric ? "descending" : "ascending";
      sortKey = key;
      Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", sortDir);
      apply();
    });
  });
  search.addEventListener("input", function () {
    clearTimeout(timer); timer = setTimeout(apply, 150);
  });
  organ.addEventListener("change", apply);
  if (winner) winner.addEventListener("change", apply);
  apply();
})();
"""


_INLINE_BLOCK = re.compile(r"<(style|script)([^>]*)>(.*?)</\1>", re.DOTALL)


def content_security_policy(page: str) -> str:
    """The page's policy: nothing from anywhere, and only its own inline blocks run.

    Every <style> and executable <script> block of `page` is allowed by its sha256, so
    neither 'unsafe-inline' nor any injected block (user text is escaped, so none can
    appear) is accepted. JSON data blocks are not executed and need no entry.
    """
    styles: list[str] = []
    scripts: list[str] = []
    for tag, attributes, content in _INLINE_BLOCK.findall(page):
        if tag == "script" and "application/json" in attributes:
            continue
        digest = base64.b64encode(hashlib.sha256(content.encode("utf-8")).digest()).decode()
        target = styles if tag == "style" else scripts
        source = f"'sha256-{digest}'"
        if source not in target:
            target.append(source)
    parts = ["default-src 'none'", "img-src data:"]
    parts.append("style-src " + (" ".join(styles) or "'none'"))
    parts.append("script-src " + (" ".join(scripts) or "'none'"))
    return "; ".join(parts)


def with_content_security_policy(page: str) -> str:
    """`page` with its policy as the first element of <head>."""
    meta = (
        '<meta http-equiv="Content-Security-Policy" '
        f'content="{content_security_policy(page)}">'
    )
    return page.replace("<head>", "<head>" + meta, 1)
