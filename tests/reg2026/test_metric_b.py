"""Metric B equals the organisers' scorer given the same judge verdicts, case by case."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import grounding_literal as literal
import pytest
from grounding_fixtures import (
    FakeJudge,
    ReferenceJudgeModel,
    assert_same_as_the_template,
    write_answers,
    write_mapping,
)

from reg_eval.errors import InvalidInputError
from reg_eval.io.grounding import read_answers, read_mapping
from reg_eval.reg2026 import grounding_prompts as gp
from reg_eval.reg2026.grounding import score_grounding, score_grounding_files
from reg_eval.reg2026.metric_b import metric_b, overall


class _Capture:
    def __init__(self) -> None:
        self.prompt = ""

    def __call__(self, prompt: str) -> tuple[str, str]:
        self.prompt = prompt
        return "", ""


@pytest.mark.parametrize("question,answer", [
    ("Is tissue visible in this ROI? Answer briefly", "No tissue."),
    ("{odd} braces", "an answer with {braces} and\nlines\tand tabs"),
    ("", ""),
])
def test_the_prompts_are_the_organisers_text_byte_for_byte(question: str, answer: str) -> None:
    capture = _Capture()
    evaluator = literal.VisualGroundingEvaluator(capture)
    evaluator.judge_background(question, answer)
    assert gp.background_prompt(question, answer) == capture.prompt
    evaluator.judge_similarity(question, answer, answer + " B")
    assert gp.similarity_prompt(question, answer, answer + " B") == capture.prompt
    assert capture.prompt.startswith("\nYou are a pathology expert.\n")
    assert gp.background_prompt(question, answer).endswith(
        "Do not output anything more after your answer.\n        ")


@pytest.mark.parametrize("content", [
    "<answer>CORRECT</answer>", "<answer> incorrect\n</answer>", "<Answer>Correct</Answer>",
    "<answer>CORRECT</answer><answer>INCORRECT</answer>", "CORRECT", "<answer>maybe</answer>",
    "", None, "<answer>SAME</answer>",
])
def test_labels_are_read_as_the_organisers_parser_reads_them(content: str | None) -> None:
    for labels in (gp.BACKGROUND_LABELS, gp.SIMILARITY_LABELS):
        expected = literal.parse_judge_label(content, list(labels))
        got = gp.parse_label(content, labels)
        assert (got if got is not None else -1) == expected


def test_voting_breaks_ties_as_the_organisers_set_order_does() -> None:
    values = (1.0, 0.0, -1)
    for n in range(1, 6):
        for votes in itertools.product(values, repeat=n):
            results = list(votes)
            assert gp.vote(results) == max(set(results), key=results.count), votes
    assert gp.vote([1.0, 0.0]) == 0.0
    assert gp.vote([-1, 1.0]) == 1.0
    assert gp.vote([-1, 0.0, 1.0]) == 0.0


@pytest.mark.parametrize("voting", [1, 2, 3, 4])
@pytest.mark.parametrize("salt", [0, 1, 2])
def test_b_equals_the_organisers_scorer_on_every_case(
    tmp_path: Path, voting: int, salt: int
) -> None:
    mapping_path = write_mapping(tmp_path / "rois_mapping.txt")
    answers_path = write_answers(tmp_path / "answers.json")
    reference = literal.run_visual(answers_path, mapping_path,
                                   ReferenceJudgeModel(voting, salt), voting=voting)
    judge = FakeJudge(salt=salt)
    result = score_grounding_files(mapping_path, answers_path, judge, voting=voting,
                                   n_bootstrap=50)
    assert_same_as_the_template(result, reference)
    # one batch per vote, each distinct prompt once
    assert [index for index, _ in judge.batches] == list(range(voting))


def test_the_fixture_holds_every_case(tmp_path: Path) -> None:
    """Ties, unparseable and None verdicts, gated rows and pairs all occur."""
    result = score_grounding_files(write_mapping(tmp_path / "m.txt"),
                                   write_answers(tmp_path / "a.json"), FakeJudge(), voting=2,
                                   n_bootstrap=50)
    ties = [p for p in result.verdicts[0]
            if result.verdicts[0][p] != result.verdicts[1][p]]
    assert ties
    kinds = Counter(v for verdicts in result.verdicts for v in verdicts.values())
    assert set(kinds) == {1.0, 0.0, -1.0}
    missing = result.missing()
    assert ["000009"] in missing["B1"] and ["000010", "000013"] in missing["B2"]
    assert ["000011", "000009"] in missing["B3"] and ["000012", "000015"] in missing["B3"]
    ids = {tuple(item.ids) for item in result.plan.items}
    assert ("000019", "000003") in ids  # a tissue ROI without perturbed partner is in B3
    assert not any("000018" in i or "000020" in i or "000021" in i for i in ids)


def test_worked_example_of_the_rules() -> None:
    """The worked example of the scoring notes: B1 = B2 = B3 = 1, so B = 1."""
    assert metric_b({"B1": [1.0], "B2": [1.0], "B3": [(1 - 0.0) * 1.0]})["B"] == \
        pytest.approx(1.0)
    assert metric_b({"B1": [1.0, 0.0], "B2": [], "B3": [1.0]})["B"] == \
        pytest.approx(0.3 * 0.5 + 0.3 * 0.0 + 0.4 * 1.0)
    assert overall(0.5, 1.0) == pytest.approx(0.65)


def test_a_pair_pointing_nowhere_is_a_located_error(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path / "m.txt")
    text = mapping.read_text(encoding="utf-8").replace("\t000005\t000007\t", "\t000055\t000007\t")
    mapping.write_text(text, encoding="utf-8")
    loaded = read_mapping(mapping)
    errors = [f for f in loaded.errors if f.code == "E204"]
    assert errors and errors[0].id == "000002" and errors[0].line == 4
    with pytest.raises(InvalidInputError, match=r"E204.*line 4|line 4.*E204|m\.txt:4"):
        score_grounding(loaded, read_answers(write_answers(tmp_path / "a.json")), FakeJudge())
    with pytest.raises(KeyError):  # where the organisers' scorer crashes
        literal.run_visual(tmp_path / "a.json", mapping, ReferenceJudgeModel(1))


def test_identical_runs_ask_for_identical_prompts(tmp_path: Path) -> None:
    """A judge cache keyed by (prompt, sample index) answers a second run with no call."""

    class Cached:
        def __init__(self, inner: FakeJudge) -> None:
            self.inner = inner
            self.identity, self.settings = inner.identity, inner.settings
            self.store: dict[tuple[str, int], object] = {}
            self.calls = 0

        def generate(self, prompts: list[str], *, sample_index: int = 0) -> list[object]:
            todo = [p for p in prompts if (p, sample_index) not in self.store]
            if todo:
                self.calls += len(todo)
                for p, r in zip(todo, self.inner.generate(todo, sample_index=sample_index),
                                strict=True):
                    self.store[(p, sample_index)] = r
            return [self.store[(p, sample_index)] for p in prompts]

    cached = Cached(FakeJudge())
    files = (write_mapping(tmp_path / "m.txt"), write_answers(tmp_path / "a.json"))
    first = score_grounding_files(*files, cached, voting=3, n_bootstrap=50)
    calls = cached.calls
    assert calls > 0
    second = score_grounding_files(*files, cached, voting=3, n_bootstrap=50)
    assert cached.calls == calls
    assert second.to_dict() == first.to_dict()


def test_part_intervals_are_the_shared_bootstrap_and_b_combines_the_parts(
    tmp_path: Path,
) -> None:
    from reg_eval.stats import bootstrap_ci

    result = score_grounding_files(write_mapping(tmp_path / "m.txt"),
                                   write_answers(tmp_path / "a.json"), FakeJudge(salt=1),
                                   voting=3, n_bootstrap=300, seed=11)
    for offset, name in enumerate(("B1", "B2", "B3")):
        low, high = bootstrap_ci(result.scores[name], n_resamples=300, seed=11 + offset)
        assert result.ci[name] == (float(low), float(high))
    low, high = result.ci["B"]
    assert low <= result.means["B"] <= high


def test_a_csv_quirk_and_line_numbers_of_the_mapping(tmp_path: Path) -> None:
    """Quoted fields are read as Python's csv reads them; a CRLF file and a BOM are fine."""
    path = write_mapping(tmp_path / "m.txt")
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    text = text.replace("\t000003\t", '\t"000003"\t', 1)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    loaded = read_mapping(path)
    assert loaded.findings == [f for f in loaded.findings if f.code == "W201"]
    assert [r.anonymous_id for r in loaded.rows][:4] == ["000000", "000001", "000002", "000003"]
    assert [r.line for r in loaded.rows][:3] == [2, 3, 4]
