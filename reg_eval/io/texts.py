"""What makes a string a report text reg-eval can score: the one check, wherever it arrives.

A report that reaches scoring must be text (no lone surrogate, which cannot be written as
UTF-8 and breaks spaCy and tokenizers deep inside) and within `--max-report-chars` (a runaway
generation is refused, not cut). Every reader asks here: the submission loader (as findings),
JSON Lines conversion, grand-challenge job outputs, and texts handed over in memory
(`checked_texts`: the Python API, the HF module, the reward functions, training files), so
`Scorer(...)(refs, hyps)` answers a None, a number, a lone surrogate or a runaway generation
with one clear error naming the list and the position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reg_eval.errors import InvalidInputError
from reg_eval.io.limits import LimitExceeded, Limits, current_limits, raise_hint

SURROGATE_CHARS = "\ud800-\udfff"
SURROGATE = re.compile(f"[{SURROGATE_CHARS}]")
"""A lone UTF-16 surrogate: JSON's \\ud800 escapes decode to it, and it is not text."""
SURROGATE_HINT = "pair the surrogate with its low half, or remove it: it cannot be written as UTF-8"


def surrogate_problem(text: str) -> str | None:
    """'holds an unpaired surrogate (U+D800 at character 4), ...', or None for real text."""
    found = SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"holds an unpaired surrogate (U+{ord(found.group()):04X} at character "
        f"{found.start()}), which is not text and cannot be written as UTF-8"
    )


def length_problem(text: str, limits: Limits | None = None) -> str | None:
    """'has 120,000 characters, over the limit of 100,000 (--max-report-chars)', or None."""
    limit = (limits or current_limits()).max_report_chars
    if len(text) <= limit:
        return None
    return f"has {len(text):,} characters, over the limit of {limit:,} (--max-report-chars)"


def length_hint(text: str) -> str:
    """The fix for a report over the limit: a stopped generation, or the option to raise."""
    return (
        "a REG report has a few hundred characters: check that the model stopped generating; "
        + raise_hint("max_report_chars", str(len(text)))
        + f" (in Python: reg_eval.io.limits.limits_applied(Limits(max_report_chars={len(text)})))"
    )


def check_report_text(
    text: str,
    where: str,
    limits: Limits | None = None,
    *,
    refusal: type[InvalidInputError] = InvalidInputError,
) -> str:
    """`text` when it is a report reg-eval can score; otherwise an error that starts with
    `where` ("hypotheses[3]", "job 12, output report.json: the report"): `refusal` (a
    subclass such as the grand-challenge `SubmissionRejected`) or `LimitExceeded`."""
    surrogate = surrogate_problem(text)
    if surrogate is not None:
        raise refusal(f"{where} {surrogate}", hint=SURROGATE_HINT)
    too_long = length_problem(text, limits)
    if too_long is not None:
        raise LimitExceeded(f"{where} {too_long}", hint=length_hint(text))
    return text


def checked_texts(
    texts: Sequence[object],
    role: str,
    *,
    names: Sequence[str] | None = None,
    limits: Limits | None = None,
) -> list[str]:
    """`texts` as a list of report strings; the first that is not one raises, with its index.

    `role` names the list in messages, which read like `Scorer`'s own checks:
    "hypotheses[3] (case 'PIT_01_00004_01.tiff') holds an unpaired surrogate ..."; `names`,
    when given, are the case ids.
    """
    from reg_eval.io.items import describe

    limits = limits or current_limits()
    out: list[str] = []
    for index, text in enumerate(texts):
        where = f"{role}[{index}]"
        if names is not None and index < len(names):
            where += f" (case {names[index]!r})"
        if not isinstance(text, str):
            raise InvalidInputError(
                f"{where} is {describe(text)}, not a report string",
                hint="pass every report as a str; an empty report is \"\"",
            )
        out.append(check_report_text(text, where, limits))
    return out
