"""Random bytes and random JSON shapes: the loader only ever answers with findings."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reg_eval.io.findings import Finding
from reg_eval.io.submission import LoadResult, load_cases, parse_submission

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ids = st.one_of(st.from_regex(r"PIT_\d\d_\d{5}_\d\d\.tiff", fullmatch=True), st.text(max_size=20))
items = st.one_of(
    st.fixed_dictionaries({"id": ids, "report": st.text(max_size=60)}),
    st.fixed_dictionaries({"id": ids, "report": st.text(max_size=60)},
                          optional={"score": json_values}),
    st.dictionaries(st.sampled_from(["id", "report", "ID", "text"]), json_values, max_size=3),
    json_values,
)
submissions = st.one_of(st.lists(items, max_size=8), json_values)


def strict_reference(text: str) -> Any:
    """Python's json with NaN/Infinity refused, as strict parsers do."""

    def refuse(token: str) -> None:
        raise ValueError(token)

    return json.loads(text, parse_constant=refuse)


def check_result(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    assert all(isinstance(f, Finding) for f in result.findings)
    for finding in result.findings:
        json.dumps(finding.to_dict())  # always serialisable
        finding.location().encode("utf-8")  # always printable as UTF-8
        finding.message.encode("utf-8")


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_give_findings_only(data: bytes) -> None:
    check_result(parse_submission(data, Path("random.json")))


@SETTINGS
@given(submissions, st.sampled_from([None, 0, 2]))
def test_random_shapes_agree_with_a_literal_reading(shape: Any, indent: int | None) -> None:
    text = json.dumps(shape, indent=indent)
    result = parse_submission(text.encode("utf-8", "surrogatepass"), Path("shape.json"))
    check_result(result)
    try:
        value = strict_reference(text)
    except ValueError:
        assert not result.ok  # NaN/Infinity somewhere: the file is refused
        return
    expected_ok = (
        isinstance(value, list) and len(value) > 0
        and all(isinstance(item, dict) and isinstance(item.get("id"), str)
                and isinstance(item.get("report"), str) for item in value)
        and len({item["id"] for item in value}) == len(value)
    )
    assert result.ok == expected_ok
    if isinstance(value, list):
        expected_cases = [
            (index, item["id"], item["report"]) for index, item in enumerate(value)
            if isinstance(item, dict) and isinstance(item.get("id"), str)
            and isinstance(item.get("report"), str)
        ]
        assert [(c.index, c.id, c.report) for c in result.cases] == expected_cases


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=100))
def test_load_cases_from_disk_matches_parse(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.json"
        path.write_bytes(data)
        assert load_cases(path).findings == parse_submission(data, path).findings
