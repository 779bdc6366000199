"""A chain of thought's steps: the records, how a JSON list becomes steps, and the warnings
about a well-formed chain that will score oddly.

A case is a list of steps `{question, answer, next_question}`; each field is read as the
official scorer reads it (`reg_eval.reg2026.canonical.field_text`). Every problem becomes a
`Finding` with a chain-of-thought code (`reg_eval.io.findings.COT_CODES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reg_eval.io.findings import CHECKS, COT_CODES, Check, Finding, shown
from reg_eval.io.items import describe
from reg_eval.io.texts import SURROGATE_HINT, length_hint, length_problem, surrogate_problem
from reg_eval.reg2026.canonical import (
    END_MARKER,
    canonical_next_question,
    field_text,
    is_final_report_question,
)

STEP_LIST_KEYS: tuple[str, ...] = (
    "chain-of-thought",
    "chain_of_thought",
    "workflow",
    "workflow_steps",
    "reasoning_steps",
    "steps",
)
"""Keys that may hold a case's list of steps; the first one present is used."""

STEP_KEYS: tuple[str, ...] = ("question", "answer", "next_question")

EXAMPLE_STEP = '{"question": "What is the organ?", "answer": "Breast", "next_question": "..."}'

COT_CHECKS: dict[str, Check] = {code: CHECKS[code] for code in COT_CODES}
"""The chain-of-thought checks (defined with every other check in `reg_eval.io.findings`)."""


def check_of(code: str) -> Check:
    return COT_CHECKS.get(code) or CHECKS[code]


def cot_finding(code: str, message: str, **where: Any) -> Finding:
    return Finding(code=code, severity=check_of(code).severity, message=message, **where)


@dataclass(frozen=True)
class Step:
    """One step, each field read as the scorer reads it (see `canonical.field_text`)."""

    question: str
    answer: str
    next_question: str


@dataclass(frozen=True)
class ChainCase:
    id: str
    """The matching id: `raw_id` without a trailing .svs/.tiff."""
    raw_id: str
    steps: tuple[Step, ...]
    file: str
    index: int | None = None
    """Place in a multi-case file's list; None for a per-case file."""
    organ: str | None = None


def parse_steps(value: Any, findings: list[Finding], **where: Any) -> tuple[Step, ...] | None:
    """Steps from a JSON list; None (with an error) when the list cannot be scored."""
    if not isinstance(value, list):
        findings.append(cot_finding(
            "E101", f"the steps must be a list, found {describe(value)}",
            hint=f"write a list of steps such as [{EXAMPLE_STEP}]", **where,
        ))
        return None
    steps: list[Step] = []
    ok = True
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            findings.append(cot_finding(
                "E102", f"step {position} is {describe(item)}, not an object",
                hint=f"each step is an object such as {EXAMPLE_STEP}", **where,
            ))
            ok = False
            continue
        for key in STEP_KEYS:
            if key not in item:
                if key == "next_question" and position == len(value) - 1:
                    continue  # the last step may leave it out: it reads as "" (the end)
                findings.append(cot_finding(
                    "W102", f"step {position} has no `{key}`; it is read as \"\"", **where,
                ))
            elif item[key] is not None and not isinstance(item[key], str):
                findings.append(cot_finding(
                    "W101",
                    f"step {position}: `{key}` is {describe(item[key])}; it is read as "
                    f"{field_text(item[key])!r}",
                    hint="write every step field as a JSON string", **where,
                ))
        unknown = [key for key in item if key not in STEP_KEYS]
        if unknown:
            findings.append(cot_finding(
                "W103",
                f"step {position} has key(s) {', '.join(shown(k, 30) for k in unknown)}, "
                "which are not read",
                hint="the known keys are question, answer and next_question", **where,
            ))
        step = Step(*(field_text(item.get(key)) for key in STEP_KEYS))
        problem = _text_problem(step, position)
        if problem is not None:
            code, message, hint = problem
            findings.append(cot_finding(code, message, hint=hint, **where))
            ok = False
            continue
        steps.append(step)
    return tuple(steps) if ok else None


def _text_problem(step: Step, position: int) -> tuple[str, str, str] | None:
    """(code, message, hint) for a step field that is no report text reg-eval can score."""
    for key in STEP_KEYS:
        text = getattr(step, key)
        surrogate = surrogate_problem(text)
        if surrogate is not None:
            return "E011", f"step {position}: `{key}` {surrogate}", SURROGATE_HINT
        too_long = length_problem(text)
        if too_long is not None:
            return "E015", f"step {position}: `{key}` {too_long}", length_hint(text)
    return None


def steps_holder_key(obj: dict[str, Any]) -> str | None:
    return next((key for key in STEP_LIST_KEYS if key in obj), None)


def chain_findings(steps: Sequence[Step], **where: Any) -> list[Finding]:
    """Warnings about a well-formed chain that will score oddly."""
    if not steps:
        return [cot_finding(
            "W106", "the chain has no step; it scores as an empty chain", **where
        )]
    found: list[Finding] = []
    if not any(is_final_report_question(step.question) for step in steps):
        found.append(cot_finding(
            "W104",
            "no step asks 'What is the final pathology report?', so the final report is scored "
            "as an empty text",
            hint="end the chain with that question and the report as its answer", **where,
        ))
    if canonical_next_question(steps[-1].next_question) != END_MARKER:
        found.append(cot_finding(
            "W105",
            f"the last step's next question is {shown(steps[-1].next_question, 60)!r}, not "
            "empty: the chain does not end",
            hint='give the last step "next_question": ""', **where,
        ))
    return found
