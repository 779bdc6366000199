"""Report texts handed over in memory (the Python API, the HF module, the reward functions).

Files pass the loader's checks; texts passed as Python lists pass these, so `Scorer(...)(refs,
hyps)` answers a None, a number, a lone surrogate or a runaway generation with one clear error
naming the list and the position, instead of an exception from deep inside spaCy or a
tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reg_eval.errors import InvalidInputError
from reg_eval.io.limits import LimitExceeded, Limits, current_limits

_SURROGATE = re.compile(r"[\ud800-\udfff]")


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
    from reg_eval.io.submission import describe

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
        surrogate = _SURROGATE.search(text)
        if surrogate:
            raise InvalidInputError(
                f"{where} holds an unpaired surrogate (U+{ord(surrogate.group()):04X} at "
                f"character {surrogate.start()}), which is not text",
                hint="decode the report properly, or drop the character",
            )
        if len(text) > limits.max_report_chars:
            raise LimitExceeded(
                f"{where} has {len(text):,} characters, over the limit of "
                f"{limits.max_report_chars:,} (--max-report-chars)",
                hint="check that the generation stopped; to accept longer reports, score "
                f"inside reg_eval.io.limits.limits_applied(Limits(max_report_chars={len(text)})) "
                f"or pass --max-report-chars {len(text)}",
            )
        out.append(text)
    return out
