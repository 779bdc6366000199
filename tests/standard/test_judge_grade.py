"""The `judge` group end to end: on a fake OpenAI-compatible server and on a tiny Qwen3."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from fake_chat_server import FakeChatServer
from tiny_qwen3 import build_tiny_qwen3, scripted_qwen3

from reg_eval.cache import FeatureCache
from reg_eval.errors import UsageError
from reg_eval.groups import ScoringContext, load_group, parse_metric_groups
from reg_eval.judge import GenerationSettings
from reg_eval.signature import SignedModel
from reg_eval.standard.judge_grade import JudgeGroup

REFS = [
    "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason score 7 (3+4)",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Lung, biopsy;\n  Adenocarcinoma, acinar predominant",
    "Colon, colonoscopic biopsy;\n  Tubular adenoma with low grade dysplasia",
]
HYPS = [
    "Prostate, biopsy;\n  No tumor present",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade III",
    "Lung, biopsy;\n  Adenocarcinoma, acinar predominant",
    "Colon, colonoscopic biopsy;\n  Tubular adenoma",
]
VERDICTS = {
    "No tumor present": '{"grade": 4, "category": "malignancy"}',
    "grade III": 'Grade differs.\n{"grade": 2, "category": "grade"}',
    "acinar predominant": '{"grade": 0, "category": "none"}',
    "Tubular adenoma\n": "I cannot decide.",
}


def grader(prompt: str, body: dict[str, object]) -> tuple[str, str]:
    generated = re.search(r"<generated>\n(.*)\n</generated>", prompt, re.S)
    assert generated is not None
    text = generated.group(1) + "\n"
    for clue, verdict in VERDICTS.items():
        if clue in text:
            return ("weighing the two reports", verdict)
    raise AssertionError(f"no verdict for {text!r}")


def context(tmp_path: Path, *, cache: bool = True) -> ScoringContext:
    return ScoringContext(
        device="cpu",
        cache=FeatureCache(tmp_path) if cache else None,
        cache_root=tmp_path,
        batch_size=4,
    )


def test_group_is_registered_and_needs_a_judge() -> None:
    assert parse_metric_groups("official,judge") == ("official", "judge")
    with pytest.raises(UsageError, match="needs a judge"):
        load_group("judge")
    with pytest.raises(UsageError, match="needs a judge"):
        load_group("judge", judge=None, judge_model=None)


def test_grades_from_a_served_judge(tmp_path: Path) -> None:
    with FakeChatServer(grader) as server:
        group = load_group("judge", judge=f"openai:{server.base_url}", judge_model="qwen3-8b")
        result = group.compute(REFS, HYPS, context(tmp_path))
        assert server.completions == 4
        again = JudgeGroup(f"openai:{server.base_url}", "qwen3-8b")
        second = again.compute(REFS, HYPS, context(tmp_path))
        assert server.completions == 4  # every verdict came from the cache
    assert again.judge is not None and again.judge.calls == 0
    grades = result.per_case["judge_grade"]
    assert grades[:3].tolist() == [4.0, 2.0, 0.0] and math.isnan(grades[3])
    scores = result.per_case["judge_score"]
    assert scores[:3].tolist() == [0.0, 0.5, 1.0] and math.isnan(scores[3])
    assert result.corpus == {"judge_unparseable": 1.0}
    assert [d["category"] for d in result.details or []] == [
        "malignancy", "grade", "none", None
    ]
    assert (result.details or [])[3] == {"category": None, "answer": "I cannot decide."}
    assert result.breakdowns["judge_categories"] == {
        "none": 1, "malignancy": 1, "diagnosis": 0, "grade": 1, "value": 0, "finding": 0,
        "specimen": 0,
    }
    signed = result.signature["judge"]
    assert isinstance(signed, SignedModel)
    assert (signed.identity.role, signed.identity.name, signed.identity.precision) == (
        "judge", "qwen3-8b", "served"
    )
    assert signed.identity.options == (("backend", "openai"), ("base_url", server.base_url))
    assert result.signature["prompt"].startswith("severity-rubric-v1|sha256:")
    assert result.signature["settings"] == (
        "max_new_tokens=32768,enable_thinking=True,temperature=model-default,"
        "top_p=model-default,top_k=model-default,seed=12345"
    )
    np.testing.assert_array_equal(second.per_case["judge_grade"], grades)
    assert second.signature == result.signature


def test_the_prompt_the_server_sees_is_the_rubric_prompt(tmp_path: Path) -> None:
    from reg_eval.standard.judge_rubric import grading_prompt

    with FakeChatServer(grader) as server:
        JudgeGroup(f"openai:{server.base_url}", "m").compute(REFS[:1], HYPS[:1], context(tmp_path))
    assert server.bodies[0]["messages"] == [
        {"role": "user", "content": grading_prompt(REFS[0], HYPS[0])}
    ]


def test_scorer_runs_the_judge_group_end_to_end(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from typer.testing import CliRunner

    from reg_eval.cli import app

    ids = [f"PIT_01_{n:05d}_01.tiff" for n in range(len(REFS))]
    gt, sub, out = tmp_path / "gt.json", tmp_path / "sub.json", tmp_path / "result.json"
    cases = tmp_path / "cases.jsonl"
    gt.write_text(json.dumps([{"id": i, "report": r} for i, r in zip(ids, REFS, strict=True)]))
    sub.write_text(json.dumps([{"id": i, "report": h} for i, h in zip(ids, HYPS, strict=True)]))
    with FakeChatServer(grader) as server:
        done = CliRunner().invoke(app, [
            "score", "-g", str(gt), "-s", str(sub), "--profile", "offline",
            "--emb-model", str(tiny_bert_dir), "--key-model", str(tiny_ruler_dir),
            "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--bootstrap", "20",
            "--quiet", "--metrics", "official,judge", "--judge", f"openai:{server.base_url}",
            "--judge-model", "qwen3-8b", "--output", str(out), "--per-case", str(cases),
        ])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in cases.read_text(encoding="utf-8").splitlines()]
    assert [(r["judge_grade"], r["judge_category"]) for r in rows] == [
        (4.0, "malignancy"), (2.0, "grade"), (0.0, "none"), (None, None),
    ]
    assert rows[3]["judge_answer"] == "I cannot decide."
    judged = json.loads(out.read_text(encoding="utf-8"))["metrics"]["judge"]
    assert judged["means"]["judge_grade"] == pytest.approx(2.0)  # (4 + 2 + 0) / 3
    assert judged["means"]["judge_score"] == pytest.approx(0.5)  # (0 + 0.5 + 1) / 3
    assert judged["defined"] == {"judge_grade": 3, "judge_score": 3}
    assert judged["corpus"] == {"judge_unparseable": 1}
    assert judged["signature"]["judge"]["name"] == "qwen3-8b"
    assert judged["signature"]["judge"]["options"] == {
        "backend": "openai", "base_url": server.base_url
    }
    first = out.read_bytes()
    # The server is gone: a rerun succeeds only because every verdict is cached.
    again = CliRunner().invoke(app, [
        "score", "-g", str(gt), "-s", str(sub), "--profile", "offline",
        "--emb-model", str(tiny_bert_dir), "--key-model", str(tiny_ruler_dir),
        "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--bootstrap", "20",
        "--quiet", "--metrics", "official,judge", "--judge", f"openai:{server.base_url}",
        "--judge-model", "qwen3-8b", "--output", str(out), "--force",
    ])
    assert again.exit_code == 0, again.output
    assert out.read_bytes() == first


def test_grades_from_a_tiny_local_model(tmp_path: Path) -> None:
    folder = build_tiny_qwen3(tmp_path / "qwen3")
    group = JudgeGroup(
        f"transformers:{folder}", settings=GenerationSettings(max_new_tokens=8)
    )
    result = group.compute(REFS, HYPS, context(tmp_path / "cache"))
    # A random-weight model writes no valid grade: every case is missing, and counted.
    assert np.isnan(result.per_case["judge_grade"]).all()
    assert result.corpus == {"judge_unparseable": 4.0}
    signed = result.signature["judge"]
    assert isinstance(signed, SignedModel)
    identity = signed.identity
    assert (identity.name, identity.precision, identity.device_type) == (
        str(folder), "float32", "cpu"
    )
    assert identity.sha256 is not None and len(identity.sha256) == 64
    assert dict(identity.libraries)["transformers"]
    assert all(isinstance(d["answer"], str) for d in result.details or [])
    rerun = JudgeGroup(f"transformers:{folder}", settings=GenerationSettings(max_new_tokens=8))
    rerun.compute(REFS, HYPS, context(tmp_path / "cache"))
    assert rerun.judge is not None and rerun.judge.calls == 0


VERDICT = '{"grade": 2, "category": "grade"}'
"""What the scripted tiny judge answers for every pair, after a short reasoning."""


def test_score_grades_with_a_tiny_local_judge_end_to_end(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from typer.testing import CliRunner

    from reg_eval.cli import app

    folder = scripted_qwen3(
        build_tiny_qwen3(tmp_path / "qwen3"), tmp_path / "judge",
        ["<think>", "x", "</think>", VERDICT], added=[VERDICT],
    )
    ids = [f"PIT_01_{n:05d}_01.tiff" for n in range(len(REFS))]
    gt, sub, out = tmp_path / "gt.json", tmp_path / "sub.json", tmp_path / "result.json"
    cases = tmp_path / "cases.jsonl"
    gt.write_text(json.dumps([{"id": i, "report": r} for i, r in zip(ids, REFS, strict=True)]))
    sub.write_text(json.dumps([{"id": i, "report": h} for i, h in zip(ids, HYPS, strict=True)]))
    done = CliRunner().invoke(app, [
        "score", "-g", str(gt), "-s", str(sub), "--profile", "offline",
        "--emb-model", str(tiny_bert_dir), "--key-model", str(tiny_ruler_dir),
        "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--bootstrap", "20",
        "--quiet", "--metrics", "official,judge", "--judge", f"transformers:{folder}",
        "--judge-dtype", "float32", "--output", str(out), "--per-case", str(cases),
    ])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in cases.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ids
    assert [(r["judge_grade"], r["judge_score"], r["judge_category"], r["judge_answer"])
            for r in rows] == [(2.0, 0.5, "grade", VERDICT)] * 4
    judged = json.loads(out.read_text(encoding="utf-8"))["metrics"]["judge"]
    assert judged["means"] == {"judge_grade": 2.0, "judge_score": 0.5}
    assert judged["defined"] == {"judge_grade": 4, "judge_score": 4}
    assert judged["corpus"] == {"judge_unparseable": 0}
    signed = judged["signature"]["judge"]
    assert signed["name"] == str(folder)
    assert signed["precision"] == "float32"


def test_no_cache_asks_again(tmp_path: Path) -> None:
    with FakeChatServer(grader) as server:
        for _ in range(2):
            JudgeGroup(f"openai:{server.base_url}", "m").compute(
                REFS, HYPS, context(tmp_path, cache=False)
            )
        assert server.completions == 8


def test_score_without_a_judge_is_a_usage_error(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from typer.testing import CliRunner

    from reg_eval.cli import app

    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps([{"id": "PIT_01_00001_01.tiff", "report": REFS[0]}]))
    done = CliRunner().invoke(app, [
        "score", "-g", str(gt), "-s", str(gt), "--emb-model", str(tiny_bert_dir),
        "--key-model", str(tiny_ruler_dir), "--device", "cpu", "--cache-dir",
        str(tmp_path / "cache"), "--quiet", "--metrics", "official,judge",
    ])
    assert done.exit_code == 2
    assert "needs a judge" in done.output and "--judge" in done.output
    assert "Traceback" not in done.output


def test_one_group_keeps_its_judge_across_submissions(tmp_path: Path) -> None:
    with FakeChatServer(grader) as server:
        group = JudgeGroup(f"openai:{server.base_url}", "m")
        group.compute(REFS[:2], HYPS[:2], context(tmp_path))
        first = group.judge
        group.compute(REFS, HYPS, context(tmp_path))
        assert group.judge is first
        assert first is not None and first.calls == 4 and first.hits == 2
        assert server.completions == 4


def test_the_judge_dtype_reaches_a_local_judge_and_not_the_run_dtype(tmp_path: Path) -> None:
    folder = build_tiny_qwen3(tmp_path / "qwen3")
    import dataclasses

    import torch

    from reg_eval.backends import devices

    if not devices._cpu_supports(torch.bfloat16):
        pytest.skip("this torch build cannot run bfloat16 on the CPU")
    asked = JudgeGroup(f"transformers:{folder}", judge_dtype="bfloat16")
    official = context(tmp_path / "cache")  # the run's --dtype (EMB's) is float32
    assert asked.make_judge(official).judge.identity.precision == "bfloat16"
    run = dataclasses.replace(official, dtype="bfloat16")
    default = JudgeGroup(f"transformers:{folder}", judge_dtype="auto")
    assert default.make_judge(run).judge.identity.precision == "float32"  # auto on the CPU
    with pytest.raises(UsageError, match="unknown dtype 'half'") as info:
        JudgeGroup(f"transformers:{folder}", judge_dtype="half")
    assert "--judge-dtype" in (info.value.hint or "")
