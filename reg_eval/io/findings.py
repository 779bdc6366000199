"""Findings: one problem in an input file, with where it is and how to fix it.

Every check has a stable code (E0xx errors, W0xx warnings) so that scripts, docs and tests can
name it; `CHECKS` is the single list of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """Errors make a submission unacceptable; warnings only under `--strict`."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Check:
    """A kind of finding: its code, a short name and what it means."""

    code: str
    name: str
    severity: Severity
    summary: str


_E, _W = Severity.ERROR, Severity.WARNING

CHECKS: dict[str, Check] = {
    check.code: check
    for check in (
        Check("E001", "not-utf8", _E, "bytes that are not UTF-8 (byte offset given)"),
        Check("E002", "utf8-bom", _E, "a UTF-8 byte-order mark at the start of the file"),
        Check("E003", "json-syntax", _E, "the file is not valid JSON (line and column given)"),
        Check("E004", "top-level-not-list", _E, "the top-level JSON value is not a list"),
        Check("E005", "item-not-object", _E, "a list item is not a JSON object"),
        Check("E006", "missing-key", _E, "an item lacks the `id` or the `report` key"),
        Check("E007", "not-a-string", _E, "`id` or `report` is not a string (null, number, ...)"),
        Check("E008", "non-standard-number", _E, "NaN or Infinity, which strict JSON forbids"),
        Check("E009", "duplicate-id", _E, "the same id appears more than once"),
        Check("E010", "missing-id", _E, "an id of the ground truth (or --ids) has no prediction"),
        Check("E011", "invalid-unicode", _E, "an unpaired surrogate escape such as \\ud800"),
        Check("E012", "no-cases", _E, "the list is empty"),
        Check("E013", "duplicate-key", _E, "the same key twice in one object"),
        Check("E014", "too-many-cases", _E, "more items than --max-cases (reading stops)"),
        Check("E015", "report-over-limit", _E, "a report longer than --max-report-chars"),
        Check("E016", "nested-too-deeply", _E, "lists/objects nested deeper than --max-depth"),
        Check("W001", "extra-id", _W, "an id that is not in the ground truth (or --ids)"),
        Check("W002", "id-pattern", _W, "an id that does not match PIT_NN_NNNNN_NN.tiff"),
        Check("W003", "empty-report", _W, "an empty or whitespace-only report"),
        Check("W004", "control-character", _W, "a control character other than \\n, \\t, \\r"),
        Check("W005", "report-too-long", _W, "estimated BERT-like token count above 512"),
        Check("W006", "unknown-key", _W, "a key other than `id` and `report`"),
        Check("W007", "excluded-id", _W, "an id listed in the organisers' corrupted_id.csv"),
        # REG 2026 chain-of-thought files (`reg-eval validate --kind cot`)
        Check("E101", "cot-shape", _E, "a file or case is not shaped like a chain of thought"),
        Check("E102", "step-not-object", _E, "a step of a chain is not a JSON object"),
        Check("E103", "missing-case-id", _E, "a case in a multi-case file has no usable `id`"),
        Check("W101", "step-field-type", _W, "a step field is not a string (read as text)"),
        Check("W102", "step-missing-field", _W, "a step lacks question, answer or next_question"),
        Check("W103", "unknown-step-key", _W, "a step key other than the three known ones"),
        Check("W104", "no-final-report", _W, "no step asks 'What is the final pathology report?'"),
        Check("W105", "chain-not-ended", _W, "the last step's next question is not empty/end"),
        Check("W106", "empty-chain", _W, "a case with no step at all"),
        Check("W107", "id-mismatch", _W, "a per-case file's inner id differs from its name"),
        Check("W108", "missing-case", _W, "a ground-truth case has no prediction (scored empty)"),
        Check("W109", "ignored-file", _W, "a file in a submission folder that is not read"),
        # REG 2026 Metric B inputs: ROI mappings and answers (`reg-eval validate --kind grounding`)
        Check("E201", "mapping-columns", _E, "rois_mapping.txt lacks a required column"),
        Check("E202", "mapping-row-shape", _E,
              "a mapping row has more or fewer fields than the header, or a runaway quote"),
        Check("E203", "mapping-duplicate-id", _E, "an anonymous_id is empty or appears twice"),
        Check("E204", "pair-points-nowhere", _E, "a paired id that no mapping row has"),
        Check("E205", "answer-missing-key", _E,
              "an answer lacks `id`, `image`, `question` or `answer`"),
        Check("E206", "job-output", _E, "an algorithm job's answer cannot be read or matched"),
        Check("W201", "label-or-variant", _W,
              "a label or variant outside its set (row not scored)"),
        Check("W202", "unknown-roi", _W,
              "an answer for an id that is not in the mapping (ignored)"),
        Check("W203", "answer-mismatch", _W,
              "an answer's image or question differs from the mapping"),
        Check("W204", "missing-answer", _W, "a mapped ROI has no answer (it scores 0)"),
        Check("W205", "answer-field-type", _W,
              "an answer field is not a string (read as its text)"),
        Check("W206", "partner-kind", _W, "a pair partner of an unexpected label or variant"),
        Check("W207", "mapping-trailing-field", _W,
              "mapping rows end with empty fields after the last column (ignored)"),
    )
}
COT_CODES: tuple[str, ...] = tuple(code for code in CHECKS if code[1] == "1")
GROUNDING_CODES: tuple[str, ...] = tuple(code for code in CHECKS if code[1] == "2")


@dataclass(frozen=True)
class Finding:
    """One problem, located as precisely as the input allows (all places optional).

    `line` and `column` count from 1 (column in characters, or in bytes for E001); `index` is
    the item's position in the list, counting from 0 as `jq '.[N]'` does.
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    index: int | None = None
    id: str | None = None
    hint: str | None = None

    @property
    def name(self) -> str:
        check = CHECKS.get(self.code)
        return check.name if check else self.code

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value is None:
                continue
            out[key] = value.value if isinstance(value, Severity) else value
        return out

    def location(self) -> str:
        """Where the finding is, e.g. "preds.json:3:17, item 2, id PIT_01_00002_01.tiff"."""
        parts: list[str] = []
        place = self.file or ""
        if self.line is not None:
            place += f":{self.line}" if place else f"line {self.line}"
            if self.column is not None:
                place += f":{self.column}"
        if place:
            parts.append(place)
        if self.index is not None:
            parts.append(f"item {self.index}")
        if self.id is not None:
            parts.append(f"id {self.id}")
        return ", ".join(parts)


def make_finding(code: str, message: str, **where: Any) -> Finding:
    """Build a finding whose severity comes from the check table."""
    return Finding(code=code, severity=CHECKS[code].severity, message=message, **where)


def shown(text: str, limit: int = 80) -> str:
    """A string made safe to print: control characters and lone surrogates escaped, cut short."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


class HasFindings:
    """Errors, warnings and the verdict of anything that keeps a `findings` list."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)
