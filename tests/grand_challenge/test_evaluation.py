"""grand-challenge evaluation: both phase layouts, zip uploads, refusals and metrics.json."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reg_eval.errors import UsageError
from reg_eval.grand_challenge import SubmissionRejected, run_gc_evaluation
from reg_eval.io.jobs import is_job_list

GROUND_TRUTH = [
    {"id": "PIT_01_00001_01.tiff", "report": "Prostate, biopsy;\n  Adenocarcinoma, grade ii"},
    {"id": "PIT_01_00002_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"},
    {"id": "PIT_01_00003_01.tiff", "report": "Stomach, endoscopic biopsy;\n  Chronic gastritis"},
]
PREDICTIONS = {
    "PIT_01_00001_01.tiff": "Prostate, biopsy;\n  Adenocarcinoma, grade ii",
    "PIT_01_00002_01.tiff": "Lung, biopsy; no tumor",
    "PIT_01_00003_01.tiff": "Stomach, biopsy;\n  Chronic gastritis with intestinal metaplasia",
}
COLUMNS = ("ranking", "bleu", "rouge", "key", "emb")


@pytest.fixture
def options(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> dict[str, Any]:
    return {
        "profile": "offline",
        "emb_model": str(tiny_bert_dir),
        "key_model": str(tiny_ruler_dir),
        "cache_dir": tmp_path / "cache",
        "device": "cpu",
        "bootstrap": 50,
    }


@pytest.fixture
def ground_truth_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "opt" / "ml" / "input" / "data" / "ground_truth"
    folder.mkdir(parents=True)
    (folder / "reg-test-reports.json").write_text(json.dumps(GROUND_TRUTH), encoding="utf-8")
    return folder


def submission_items() -> list[dict[str, str]]:
    return [{"id": case_id, "report": report} for case_id, report in PREDICTIONS.items()]


def literal_cases(tiny_bert_dir: Path, tiny_ruler_dir: Path) -> dict[str, dict[str, float]]:
    """Per-case values from the literal per-text computation of the scoring notes."""
    import spacy
    from transformers import AutoModel, AutoTokenizer

    from literal_reference import case_literal

    nlp = spacy.load(tiny_ruler_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_dir)
    model = AutoModel.from_pretrained(tiny_bert_dir).eval()
    refs = {item["id"]: item["report"] for item in GROUND_TRUTH}
    return {
        case_id: case_literal(nlp, model, tokenizer, refs[case_id], hyp)
        for case_id, hyp in PREDICTIONS.items()
    }


def assert_numbers_only(value: Any, where: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_numbers_only(item, f"{where}.{key}")
    else:
        assert isinstance(value, int | float) and not isinstance(value, bool), where
        assert math.isfinite(value), where


def assert_metrics_shape(path: Path, ids: list[str]) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    document = json.loads(text)
    assert set(document) == {"case", "aggregates"}
    assert_numbers_only(document)
    assert list(document["case"]) == ids
    for values in document["case"].values():
        assert set(COLUMNS) <= set(values)
    aggregates = document["aggregates"]
    for name in COLUMNS:
        assert name in aggregates
        interval = aggregates["ci"][name]
        assert interval["lower"] <= aggregates[name] <= interval["upper"]
    assert aggregates["n_cases"] == len(ids)
    return document


def test_prediction_file_phase_scores_like_the_literal_computation(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any],
    tiny_bert_dir: Path, tiny_ruler_dir: Path,
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    (input_dir / "predictions.json").write_text(json.dumps(submission_items()))
    output = tmp_path / "output" / "metrics.json"
    outcome = run_gc_evaluation(
        input_dir=input_dir, ground_truth=ground_truth_dir, output=output, **options
    )
    assert outcome.phase == "prediction-file"
    ids = [item["id"] for item in GROUND_TRUTH]
    document = assert_metrics_shape(output, ids)
    expected = literal_cases(tiny_bert_dir, tiny_ruler_dir)
    for case_id in ids:
        for name in COLUMNS:
            got = document["case"][case_id][name]
            assert got == pytest.approx(expected[case_id][name], abs=1e-5), (case_id, name)
    for name in COLUMNS:
        mean = sum(expected[i][name] for i in ids) / len(ids)
        assert document["aggregates"][name] == pytest.approx(mean, abs=1e-5)
    assert document["aggregates"]["comparable_with_leaderboard"] == 0
    signature = (output.parent / "signature.txt").read_text()
    assert signature.startswith("reg-eval:") and "profile:offline" in signature


def test_csv_named_upload_holding_json_and_a_zipped_upload_give_the_same_metrics(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    payload = json.dumps(submission_items())
    as_csv = tmp_path / "csv-input"
    as_csv.mkdir()
    (as_csv / "predictions.csv").write_text(payload)
    zipped = tmp_path / "zip-input"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "predictions.json", "w") as archive:
        archive.writestr("my-team/predictions.json", payload)
        archive.writestr("__MACOSX/my-team/._predictions.json", b"\x00\x01")
    first = run_gc_evaluation(
        input_dir=as_csv, ground_truth=ground_truth_dir, output=tmp_path / "a" / "m.json",
        **options,
    )
    second = run_gc_evaluation(
        input_dir=zipped, ground_truth=ground_truth_dir, output=tmp_path / "b" / "m.json",
        **options,
    )
    assert first.phase == second.phase == "prediction-file"
    assert (tmp_path / "a" / "m.json").read_bytes() == (tmp_path / "b" / "m.json").read_bytes()
    assert any("zip" in note for note in second.notes)


def make_job(pk: str, image_name: str, *, report: str | None, inline: bool = False,
             status: str = "Succeeded") -> dict[str, Any]:
    output: dict[str, Any] = {
        "interface": {"slug": "pathology-report", "relative_path": "pathology-report.json",
                      "kind": "Anything"},
        "value": report if inline else None,
        "file": None,
    }
    return {
        "pk": pk,
        "status": status,
        "inputs": [
            {"interface": {"slug": "whole-slide-image", "relative_path": "images/whole-slide-image",
                           "kind": "Image"},
             "image": {"pk": f"img-{pk}", "name": image_name}, "file": None, "value": None},
        ],
        "outputs": [output],
    }


def algorithm_input(tmp_path: Path, reports: dict[str, str]) -> Path:
    """A job list; one report inline in the list, one image converted to .tif."""
    input_dir = tmp_path / "algorithm-input"
    input_dir.mkdir()
    jobs = []
    for n, (case_id, report) in enumerate(reports.items()):
        pk = f"7f1c0c2e-0000-0000-0000-00000000000{n}"
        image_name = case_id.replace(".tiff", ".tif") if n == 1 else case_id
        inline = n == 2
        jobs.append(make_job(pk, image_name, report=report, inline=inline))
        if not inline:
            folder = input_dir / pk / "output"
            folder.mkdir(parents=True)
            (folder / "pathology-report.json").write_text(json.dumps(report))
    jobs.append(make_job("failed-job", "PIT_01_00009_01.tiff", report=None, status="Failed"))
    (input_dir / "predictions.json").write_text(json.dumps(jobs))
    return input_dir


def test_algorithm_phase_reads_each_job_output_and_matches_the_prediction_file_phase(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = algorithm_input(tmp_path, PREDICTIONS)
    assert is_job_list(json.loads((input_dir / "predictions.json").read_text()))
    output = tmp_path / "out" / "metrics.json"
    outcome = run_gc_evaluation(
        input_dir=input_dir, ground_truth=ground_truth_dir, output=output, **options
    )
    assert outcome.phase == "algorithm"
    ids = [item["id"] for item in GROUND_TRUTH]
    assert_metrics_shape(output, ids)
    assert any("failed-job" in note for note in outcome.notes)
    assert any("PIT_01_00002_01.tif " in note for note in outcome.notes)

    file_input = tmp_path / "file-input"
    file_input.mkdir()
    (file_input / "predictions.json").write_text(json.dumps(submission_items()))
    run_gc_evaluation(
        input_dir=file_input, ground_truth=ground_truth_dir, output=tmp_path / "f" / "m.json",
        **options,
    )
    assert output.read_bytes() == (tmp_path / "f" / "m.json").read_bytes()


def test_algorithm_phase_with_custom_slugs_and_plain_text_outputs(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    jobs = []
    for n, (case_id, report) in enumerate(PREDICTIONS.items()):
        pk = f"job-{n}"
        jobs.append({
            "pk": pk,
            "inputs": [{"interface": {"slug": "slide"}, "image": {"name": case_id}}],
            "outputs": [{"interface": {"slug": "report-text", "relative_path": "report.txt"}}],
        })
        (input_dir / pk / "output").mkdir(parents=True)
        (input_dir / pk / "output" / "report.txt").write_text(report)
    (input_dir / "predictions.json").write_text(json.dumps(jobs))
    with pytest.raises(UsageError, match="--report-slug"):
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                          output=tmp_path / "x.json", **options)
    outcome = run_gc_evaluation(
        input_dir=input_dir, ground_truth=ground_truth_dir, output=tmp_path / "o" / "m.json",
        report_slug="report-text", image_slug="slide", **options,
    )
    assert outcome.phase == "algorithm"
    assert outcome.result.alignment.hyps == list(PREDICTIONS.values())


def test_a_missing_case_is_refused_with_the_first_error_last(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    items = submission_items()[1:]  # PIT_01_00001_01.tiff is missing
    items.append({"id": "PIT_01_00002_01.tiff", "report": "again"})  # and one duplicated
    (input_dir / "predictions.json").write_text(json.dumps(items))
    output = tmp_path / "output" / "metrics.json"
    with pytest.raises(SubmissionRejected) as caught:
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir, output=output,
                          **options)
    error = caught.value
    assert error.exit_code == 1
    assert error.message.startswith("submission not valid (2 errors): E009")
    assert any("E010" in line for line in error.details)
    assert any("PIT_01_00001_01.tiff" in line for line in error.details)
    assert not output.exists()


def test_missing_empty_scores_the_missing_case_as_an_empty_report(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    (input_dir / "predictions.json").write_text(json.dumps(submission_items()[1:]))
    output = tmp_path / "output" / "metrics.json"
    outcome = run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                                output=output, missing="empty", **options)
    document = assert_metrics_shape(output, [item["id"] for item in GROUND_TRUTH])
    assert document["aggregates"]["n_missing"] == 1
    assert outcome.result.alignment.hyps[0] == ""
    assert document["case"]["PIT_01_00001_01.tiff"]["bleu"] == 0.0


def test_zip_with_two_json_files_is_refused(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    with zipfile.ZipFile(input_dir / "predictions.csv", "w") as archive:
        archive.writestr("a.json", "[]")
        archive.writestr("b.json", "[]")
    with pytest.raises(SubmissionRejected, match="exactly one JSON file"):
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                          output=tmp_path / "m.json", **options)


def test_existing_metrics_file_is_kept_without_force(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    (input_dir / "predictions.json").write_text(json.dumps(submission_items()))
    output = tmp_path / "metrics.json"
    output.write_text("mine")
    with pytest.raises(UsageError, match="--force"):
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir, output=output,
                          **options)
    assert output.read_text() == "mine"
    run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir, output=output,
                      force=True, **options)
    assert json.loads(output.read_text())["aggregates"]["n_cases"] == 3


# -- hostile uploads: nothing read outside the input, nothing unbounded -----------------------

from hostile_inputs import (  # noqa: E402
    corrupt_zip_data,
    deep_json,
    job,
    patch_zip,
    write_jobs,
    zip_bomb,
    zip_of,
)

from reg_eval.io.limits import LimitExceeded, Limits  # noqa: E402


def outside_report(tmp_path: Path) -> Path:
    """A report the evaluator must never read: it lies outside the input folder."""
    folder = tmp_path / "outside" / "x" / "output"
    folder.mkdir(parents=True)
    (folder / "pathology-report.json").write_text(json.dumps("Prostate, biopsy; secret"))
    return folder.parent


def refused(tmp_path: Path, input_dir: Path, ground_truth_dir: Path, options: dict[str, Any],
            **kwargs: Any) -> SubmissionRejected:
    output = tmp_path / "out" / "metrics.json"
    with pytest.raises(SubmissionRejected) as caught:
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir, output=output,
                          **options, **kwargs)
    assert not output.exists()
    assert "\n" not in caught.value.message
    return caught.value


@pytest.mark.parametrize("pk_kind", ["absolute", "dotdot", "nested"])
def test_a_job_pk_never_leads_outside_the_input_folder(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any], pk_kind: str
) -> None:
    outside = outside_report(tmp_path)
    input_dir = tmp_path / "input"
    pk = {"absolute": str(outside), "dotdot": "../outside/x", "nested": "a/../../outside/x"}
    jobs = [job(pk[pk_kind], item["id"]) for item in GROUND_TRUTH]
    error = refused(tmp_path, write_jobs(input_dir, jobs), ground_truth_dir, options,
                    phase="algorithm")
    assert "not a plain job id" in error.message


def test_symlinks_that_leave_the_input_folder_are_refused(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    outside = outside_report(tmp_path)
    input_dir = write_jobs(tmp_path / "input", [job("job-0", item["id"]) for item in GROUND_TRUTH])
    (input_dir / "job-0").symlink_to(outside, target_is_directory=True)
    error = refused(tmp_path, input_dir, ground_truth_dir, options)
    assert "leads outside the input folder" in error.message
    # the upload itself as a link to a file elsewhere
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(submission_items()))
    linked = tmp_path / "linked-input"
    linked.mkdir()
    (linked / "predictions.json").symlink_to(elsewhere)
    assert "leads outside" in refused(tmp_path, linked, ground_truth_dir, options).message


def test_an_upload_shaped_like_a_job_list_is_a_submission_in_a_prediction_file_phase(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    inside = tmp_path / "input"
    jobs = [job("job-0", item["id"], value=item["report"]) for item in GROUND_TRUTH]
    error = refused(tmp_path, write_jobs(inside, jobs), ground_truth_dir, options,
                    phase="prediction-file")
    assert "E006" in error.message


def test_a_lone_surrogate_in_an_inline_value_is_a_clear_refusal(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    jobs = [job(f"job-{n}", item["id"], value=item["report"]) for n, item in
            enumerate(GROUND_TRUTH)]
    text = json.dumps(jobs).replace("Prostate, biopsy", "Prostate \\ud800 biopsy")
    (input_dir / "predictions.json").write_text(text)
    error = refused(tmp_path, input_dir, ground_truth_dir, options)
    assert "job job-0" in error.message and "unpaired surrogate" in error.message


@pytest.mark.parametrize("where", ["upload", "job-output"])
def test_100000_nested_brackets_end_with_a_clear_reason(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any], where: str
) -> None:
    input_dir = tmp_path / "input"
    if where == "upload":
        input_dir.mkdir()
        (input_dir / "predictions.json").write_text(deep_json(100_000))
        error = refused(tmp_path, input_dir, ground_truth_dir, options)
        assert "E016" in error.message and "nested" in error.message
    else:
        write_jobs(input_dir, [job(f"job-{n}", item["id"]) for n, item in enumerate(GROUND_TRUTH)])
        for n in range(len(GROUND_TRUTH)):
            (input_dir / f"job-{n}" / "output").mkdir(parents=True)
            (input_dir / f"job-{n}" / "output" / "pathology-report.json").write_text(
                deep_json(100_000))
        with pytest.raises(LimitExceeded, match=r"job job-0, output pathology-report\.json: "
                           "lists and objects are nested"):
            run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                              output=tmp_path / "m.json", **options)


def test_a_zip_bomb_stops_at_the_decompressed_limit(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    bomb = zip_bomb(input_dir / "predictions.json", 5 * 1024 * 1024)
    assert bomb.stat().st_size < 50_000
    with pytest.raises(LimitExceeded, match=r"--max-decompressed-mb"):
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                          output=tmp_path / "m.json", limits=Limits(max_decompressed_mb=2),
                          **options)


def test_a_zip_whose_header_understates_its_size_is_stopped_while_reading(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    bomb = zip_bomb(input_dir / "predictions.json", 5 * 1024 * 1024)
    data = bytearray(bomb.read_bytes())
    import struct

    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        struct.pack_into("<I", data, at + size_at, 100)  # claims 100 bytes unpacked
    bomb.write_bytes(bytes(data))
    with pytest.raises(SubmissionRejected, match="cannot be read"):
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                          output=tmp_path / "m.json", limits=Limits(max_decompressed_mb=2),
                          **options)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("encrypted", "is encrypted"),
        ("method-99", "compression method 99"),
        ("corrupt", "cannot be read"),
        ("truncated", "cannot be read|no zip directory"),
        ("many-members", "1,001 entries"),
    ],
)
def test_damaged_or_odd_zips_end_with_a_clear_reason(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any], damage: str, expected: str
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    upload = input_dir / "predictions.json"
    payload = json.dumps(submission_items())
    if damage == "many-members":
        zip_of(upload, {f"f{n}.txt": "x" for n in range(1001)})
    else:
        zip_of(upload, {"predictions.json": payload * 20})
    if damage == "encrypted":
        patch_zip(upload, flag_bits=0x1)
    elif damage == "method-99":
        patch_zip(upload, method=99)
    elif damage == "corrupt":
        corrupt_zip_data(upload)
    elif damage == "truncated":
        upload.write_bytes(upload.read_bytes()[:200])
    error = refused(tmp_path, input_dir, ground_truth_dir, options)
    import re

    assert re.search(expected, error.message), error.message


def test_a_member_name_over_255_bytes_is_read_without_using_it_as_a_path(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    name = "é" * 200 + ".json"  # 400 bytes in UTF-8
    zip_of(input_dir / "predictions.json", {name: json.dumps(submission_items())})
    outcome = run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                                output=tmp_path / "o" / "metrics.json", **options)
    assert outcome.phase == "prediction-file"
    assert any("é…" in note for note in outcome.notes)


def test_an_upload_over_the_size_limit_is_not_read(
    tmp_path: Path, ground_truth_dir: Path, options: dict[str, Any]
) -> None:
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    (input_dir / "predictions.json").write_bytes(b" " * (2 * 1024 * 1024))
    with pytest.raises(LimitExceeded, match=r"2.0 MB, over the limit of 1 MB \(--max-upload-mb"):
        run_gc_evaluation(input_dir=input_dir, ground_truth=ground_truth_dir,
                          output=tmp_path / "m.json", limits=Limits(max_upload_mb=1), **options)
