"""`reg-eval score-grounding` and `validate --kind grounding` end to end, with a fake judge."""

from __future__ import annotations

import json
from pathlib import Path

import grounding_literal as literal
import pytest
from grounding_fixtures import (
    FakeJudge,
    ReferenceJudgeModel,
    answer_items,
    mapping_rows,
    write_answers,
    write_mapping,
)
from typer.testing import CliRunner

from reg_eval.cli import app
from reg_eval.commands import judging

runner = CliRunner()


@pytest.fixture
def fake_judge(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    made: list[dict[str, object]] = []

    def make(spec: str, **options: object) -> FakeJudge:
        made.append({"spec": spec, **options})
        return FakeJudge()

    monkeypatch.setattr(judging, "make_judge", make)
    return made


def test_score_grounding_prints_and_writes_b_equal_to_the_organisers(
    tmp_path: Path, fake_judge: list[dict[str, object]]
) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    out, rows = tmp_path / "b.json", tmp_path / "rows.jsonl"
    res = runner.invoke(app, [
        "score-grounding", "--mapping", str(mapping), "--answers", str(answers),
        "--judge", "openai:http://127.0.0.1:9/v1", "--judge-model", "m", "--voting", "3",
        "--judge-seed", "7", "--output", str(out), "--per-case", str(rows),
        "--bootstrap", "100",
    ])
    assert res.exit_code == 0, res.output
    assert fake_judge[0]["spec"] == "openai:http://127.0.0.1:9/v1"
    assert fake_judge[0]["model"] == "m" and fake_judge[0]["seed"] == 7
    assert fake_judge[0]["dtype"] == "auto"  # the organisers' precision for the device
    reference = literal.run_visual(answers, mapping, ReferenceJudgeModel(3), voting=3)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["B"] == pytest.approx(reference["B"], abs=1e-12)
    for name in ("B1", "B2", "B3"):
        assert data["parts"][name] == pytest.approx(reference[name], abs=1e-12)
    assert data["signature"]["voting"] == 3
    assert data["judge_spread"]["samples"] == 3
    assert "Metric B" in res.stdout and "signature: reg-eval" in res.stdout
    # The fixture's warnings: label "Tissue" (W201); answers 000016/000017 not strings (W205);
    # id 999999 unknown (W202); 000011/000015 mismatched (W203); 000009/000013 absent (W204).
    warned = " ".join(res.stderr.split())
    assert "8 input warning(s)" in warned
    assert f"reg-eval validate --kind grounding {answers} --ground-truth {mapping}" in warned
    lines = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == sum(data["n"].values())
    judged = [row for row in lines if row["scored"] and row["part"] == "B3"]
    assert judged and {"similarity_verdict", "similarity_raw", "similarity_reasoning",
                       "background_verdict"} <= set(judged[0])
    assert all(row["signature"] == data["signature"]["text"] for row in lines)


def test_validate_grounding_locates_answer_problems(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(answers),
                              "--ground-truth", str(mapping), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    by_code: dict[str, list[dict[str, object]]] = {}
    for finding in data["warnings"]:
        by_code.setdefault(str(finding["code"]), []).append(finding)
    assert {f["id"] for f in by_code["W204"]} == {"000009", "000013"}
    assert {f["id"] for f in by_code["W203"]} == {"000011", "000015"}
    assert [f["id"] for f in by_code["W202"]] == ["999999"]
    assert {f["id"] for f in by_code["W205"]} == {"000016", "000017"}
    assert all("line" in f for f in by_code["W203"])

    items = answer_items()
    del items[2]["image"]
    items.append(dict(items[0]))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(items, indent=1), encoding="utf-8")
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(broken), "--format",
                              "json"])
    assert res.exit_code == 1
    errors = json.loads(res.stdout)["errors"]
    assert [(e["code"], e["index"]) for e in errors] == [("E205", 2), ("E009", len(items) - 1)]
    assert errors[0]["line"] > 1


def test_validate_grounding_checks_a_mapping(tmp_path: Path) -> None:
    rows = mapping_rows()
    rows[2]["paired_anonymous_id"] = "000055"
    mapping = write_mapping(tmp_path / "rois_mapping.txt", rows)
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(mapping), "--format",
                              "json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert [(e["code"], e["line"], e["id"]) for e in data["errors"]] == [("E204", 4, "000002")]
    assert [(w["code"], w["id"]) for w in data["warnings"]] == [("W201", "000021")]
    no_column = tmp_path / "short.txt"
    no_column.write_text("anonymous_id\timage\n000000\troi.jpg\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(no_column)])
    assert res.exit_code == 1 and "E201" in res.stdout and "variant" in res.stdout


def _job(pk: str, roi_name: str, answer_file: bool = True) -> dict[str, object]:
    return {
        "pk": pk, "status": "Succeeded",
        "inputs": [
            {"pk": f"{pk}-q", "socket": {"slug": "visual-context-question"}, "value": "q"},
            {"pk": f"{pk}-i", "socket": {"slug": "histopathology-region-of-interest-thumbnail"},
             "file": f"https://example.org/media/{roi_name}"},
        ],
        "outputs": [{"socket": {"slug": "visual-context-response",
                                "relative_path": "visual-context-response.json"}}],
    }


def test_answers_are_read_from_algorithm_jobs(
    tmp_path: Path, fake_judge: list[dict[str, object]]
) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    items = {item["id"]: item for item in answer_items()}
    folder = tmp_path / "input"
    jobs = []
    for n, row in enumerate(mapping_rows()):
        rid = row["anonymous_id"]
        if rid not in items or rid in ("000011", "000015"):
            continue
        pk = f"job-{n:03d}"
        jobs.append(_job(pk, row["image"]))
        out = folder / pk / "output" / "visual-context-response.json"
        out.parent.mkdir(parents=True)
        text = str(items[rid]["answer"] or "")
        value = {"answer": text} if n % 2 else text
        out.write_text(json.dumps(value), encoding="utf-8")
    (folder / "predictions.json").write_text(json.dumps(jobs), encoding="utf-8")
    # the same answers as JSON (image and question copied from the mapping)
    flat = [{"id": rid, "image": r["image"], "question": r["question"].strip(),
             "answer": str(items[rid]["answer"] or "")}
            for r in mapping_rows() if (rid := r["anonymous_id"]) in items
            and rid not in ("000011", "000015")]
    as_json = write_answers(tmp_path / "flat.json", flat)
    results = []
    for answers in (folder, as_json):
        out = tmp_path / f"{answers.name}.b.json"
        res = runner.invoke(app, ["score-grounding", "--mapping", str(mapping), "--answers",
                                  str(answers), "--judge", "x:y", "--output", str(out),
                                  "--bootstrap", "20"])
        assert res.exit_code == 0, res.output
        results.append(json.loads(out.read_text(encoding="utf-8")))
    assert results[0]["parts"] == results[1]["parts"]
    assert results[0]["missing"] == results[1]["missing"]

    # The signature covers the answers the jobs gave, not only the job list: a changed answer
    # with the same predictions.json changes answers_sha256.
    first = results[0]["signature"]["answers_sha256"]
    assert first and len(first) == 16
    changed = folder / jobs[0]["pk"] / "output" / "visual-context-response.json"
    changed.write_text(json.dumps("Something else entirely."), encoding="utf-8")
    out = tmp_path / "changed.b.json"
    res = runner.invoke(app, ["score-grounding", "--mapping", str(mapping), "--answers",
                              str(folder), "--judge", "x:y", "--output", str(out),
                              "--bootstrap", "20"])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8"))["signature"]["answers_sha256"] != first

    jobs.append(_job("job-x", "roi_999999.jpg"))
    (folder / "predictions.json").write_text(json.dumps(jobs), encoding="utf-8")
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(folder), "--ground-truth",
                              str(mapping)])
    assert res.exit_code == 1 and "E206" in res.stdout and "job-x" in res.stdout


def test_answers_over_the_input_limits_are_refused(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    items = answer_items()
    items[0]["answer"] = "x" * 200
    answers = write_answers(tmp_path / "long.json", items)
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(answers),
                              "--ground-truth", str(mapping), "--max-report-chars", "100",
                              "--format", "json"])
    assert res.exit_code == 1
    assert [e["code"] for e in json.loads(res.stdout)["errors"]] == ["E015"]
    res = runner.invoke(app, ["validate", "--kind", "grounding", str(answers),
                              "--max-cases", "5"])
    assert res.exit_code == 1 and "--max-cases" in res.output


def test_score_grounding_refuses_bad_input_with_located_errors(
    tmp_path: Path, fake_judge: list[dict[str, object]]
) -> None:
    answers = write_answers(tmp_path / "answers.json")
    bad = tmp_path / "rois_mapping.txt"
    bad.write_text("anonymous_id\timage\tquestion\n000000\troi.jpg\tq\n", encoding="utf-8")
    res = runner.invoke(app, ["score-grounding", "--mapping", str(bad), "--answers",
                              str(answers), "--judge", "x:y"])
    assert res.exit_code == 1
    assert "E201" in res.output and "rois_mapping.txt:1" in res.output
    assert "variant" in res.output and not fake_judge  # refused before any judge is made
    mapping = write_mapping(tmp_path / "good.txt")
    res = runner.invoke(app, ["score-grounding", "--mapping", str(mapping), "--answers",
                              str(answers), "--judge", "x:y", "--voting", "0"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["score-grounding", "--mapping", str(mapping), "--answers",
                              str(tmp_path / "absent.json"), "--judge", "x:y"])
    assert res.exit_code == 2 and "absent.json" in res.output


def test_a_manifest_gives_jobs_their_case_titles(tmp_path: Path) -> None:
    from reg_eval.io.grounding import read_mapping
    from reg_eval.io.grounding_jobs import answers_from_jobs

    mapping = read_mapping(write_mapping(tmp_path / "rois_mapping.txt"))
    folder = tmp_path / "input"
    jobs, uploads = [], []
    for n, rid in enumerate(("000000", "000002")):
        job = _job(f"job-{n}", "anonymised.jpeg")  # the file name says nothing
        jobs.append(job)
        uploads.append({"display_set": {"title": rid, "values": [
            {"pk": value["pk"], "interface": {"slug": value["socket"]["slug"]}}
            for value in job["inputs"]]}})  # type: ignore[union-attr]
        out = folder / f"job-{n}" / "output" / "visual-context-response.json"
        out.parent.mkdir(parents=True)
        out.write_text(json.dumps(f"answer {rid}"), encoding="utf-8")
    (folder / "predictions.json").write_text(json.dumps(jobs), encoding="utf-8")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"uploads": uploads}), encoding="utf-8")
    got = answers_from_jobs(folder, mapping, manifest=manifest)
    assert got.ok and {k: a.text for k, a in got.answers.items()} == {
        "000000": "answer 000000", "000002": "answer 000002"}
    assert got.answers["000000"].image == "roi_000000.jpg"
    unmatched = answers_from_jobs(folder, mapping)  # no manifest: the names match nothing
    assert [f.code for f in unmatched.errors] == ["E206", "E206"]


def test_score_grounding_passes_the_judge_precision(
    tmp_path: Path, fake_judge: list[dict[str, object]]
) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    res = runner.invoke(app, [
        "score-grounding", "--mapping", str(mapping), "--answers", str(answers),
        "--judge", "transformers:/models/judge", "--judge-dtype", "float16",
    ])
    assert res.exit_code == 0, res.output
    assert len(fake_judge) == 1
    assert {k: fake_judge[0][k] for k in ("spec", "model", "seed", "cache_dir", "dtype")} == {
        "spec": "transformers:/models/judge", "model": None, "seed": 12345,
        "cache_dir": None, "dtype": "float16"}


def test_a_served_metric_b_judge_refuses_a_precision(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    res = runner.invoke(app, [
        "score-grounding", "--mapping", str(mapping), "--answers", str(answers),
        "--judge", "openai:http://127.0.0.1:9/v1", "--judge-model", "m",
        "--judge-dtype", "bfloat16",
    ])
    assert res.exit_code == 2, res.output
    assert "--judge-dtype bfloat16 sets a local judge's precision" in res.output


def test_the_shared_run_options_reach_the_judge(
    tmp_path: Path, fake_judge: list[dict[str, object]]
) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    args = ["score-grounding", "--mapping", str(mapping), "--answers", str(answers),
            "--judge", "x:y", "--bootstrap", "10"]
    res = runner.invoke(app, [*args, "--device", "cpu", "--no-cache", "--quiet"])
    assert res.exit_code == 0, res.output
    assert (fake_judge[0]["device"], fake_judge[0]["use_cache"],
            fake_judge[0]["progress"]) == ("cpu", False, False)
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (fake_judge[1]["device"], fake_judge[1]["use_cache"],
            fake_judge[1]["progress"]) == ("auto", True, True)


def test_broken_answers_are_refused_before_any_judge_is_made(
    tmp_path: Path, fake_judge: list[dict[str, object]]
) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    items = answer_items()
    del items[2]["image"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(items, indent=1), encoding="utf-8")
    res = runner.invoke(app, ["score-grounding", "--mapping", str(mapping), "--answers",
                              str(broken), "--judge", "x:y"])
    assert res.exit_code == 1 and "E205" in res.output
    assert not fake_judge


def test_a_mapping_folder_is_refused_with_the_mapping_hint(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "answers.json")
    res = runner.invoke(app, ["score-grounding", "--mapping", str(tmp_path), "--answers",
                              str(answers), "--judge", "x:y"])
    assert res.exit_code == 2
    shown = " ".join(res.output.split())
    assert "is a folder, not a ROI mapping" in shown and "rois_mapping.txt" in shown
    assert "reg-eval convert" not in shown
