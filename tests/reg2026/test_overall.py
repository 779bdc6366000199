"""`reg-eval score-cot` with Metric B: A, B and Overall = 0.7·A + 0.3·B under one signature."""

from __future__ import annotations

import json
from pathlib import Path

import grounding_literal as literal
import pytest
from grounding_fixtures import FakeJudge, ReferenceJudgeModel, write_answers, write_mapping
from typer.testing import CliRunner

from reg_eval.cli import app
from reg_eval.commands import judging

runner = CliRunner()


def test_score_cot_with_grounding_prints_the_overall_score(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[dict[str, object]] = []

    def make(spec: str, **options: object) -> FakeJudge:
        made.append(options)
        return FakeJudge()

    monkeypatch.setattr(judging, "make_judge", make)
    root = cot_files["root"]
    mapping = write_mapping(root / "rois_mapping.txt")
    answers = write_answers(root / "answers.json")
    base = [
        "score-cot", "-g", str(cot_files["gt"]), "-s", str(cot_files["folder"]),
        "--profile", "offline", "--emb-model", str(cot_bert_dir),
        "--key-model", str(tiny_ruler_dir), "--device", "cpu", "--bootstrap", "20",
        "--cache-dir", str(root / "cache"), "--quiet",
    ]
    alone = runner.invoke(app, [*base, "--format", "json"])
    assert alone.exit_code == 0, alone.output
    a = json.loads(alone.stdout)["A"]
    out = root / "overall.json"
    res = runner.invoke(app, [*base, "--grounding-mapping", str(mapping),
                              "--grounding-answers", str(answers), "--judge", "fake:x",
                              "--voting", "2", "--output", str(out)])
    assert res.exit_code == 0, res.output
    # The run's --device, --cache-dir and --quiet apply to the judge too.
    assert (made[0]["device"], made[0]["cache_dir"], made[0]["use_cache"],
            made[0]["progress"]) == ("cpu", root / "cache", True, False)
    b = literal.run_visual(answers, mapping, ReferenceJudgeModel(2), voting=2)["B"]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["A"] == pytest.approx(a, abs=1e-12)
    assert data["B"] == pytest.approx(b, abs=1e-12)
    assert data["overall"] == pytest.approx(0.7 * a + 0.3 * b, abs=1e-12)
    assert data["signature"]["computed"].startswith("reg2026-overall")
    assert data["signature"]["b_voting"] == 2 and "judge_model" in data["signature"]
    assert res.stdout.count("signature: reg-eval") == 1
    assert "REG 2026 overall" in res.stdout and "not computed" not in res.stdout
    plain = " ".join(runner.invoke(app, base).stdout.split())
    assert "Metric B (0.30 of the overall score) is not computed" in plain
    partial = runner.invoke(app, [*base, "--grounding-mapping", str(mapping)])
    assert partial.exit_code == 2 and "--grounding-answers" in partial.output
