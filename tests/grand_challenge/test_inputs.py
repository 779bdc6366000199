"""The platform's folders: the ground truth found, the upload read once, the phase told apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_inputs import job, write_jobs, zip_of

from reg_eval.errors import UsageError
from reg_eval.grand_challenge.algorithm import ASSEMBLED_NAME
from reg_eval.grand_challenge.inputs import find_ground_truth, read_layout

IDS = ["PIT_01_00001_01.tiff", "PIT_01_00002_01.tiff"]
ITEMS = [{"id": IDS[0], "report": "Lung, biopsy"}, {"id": IDS[1], "report": "Colon, biopsy"}]


def test_ground_truth_folder_rules(tmp_path: Path) -> None:
    folder = tmp_path / "gt"
    folder.mkdir()
    with pytest.raises(UsageError, match="no JSON file"):
        find_ground_truth(folder)
    (folder / "a.json").write_text("[]")
    assert find_ground_truth(folder) == folder / "a.json"
    (folder / "b.json").write_text("[]")
    with pytest.raises(UsageError, match="2 JSON files"):
        find_ground_truth(folder)
    (folder / "ground_truth.json").write_text("[]")
    assert find_ground_truth(folder) == folder / "ground_truth.json"
    with pytest.raises(UsageError, match="not found"):
        find_ground_truth(tmp_path / "nowhere")


def test_a_zipped_upload_is_read_from_its_one_json_member(tmp_path: Path) -> None:
    zip_of(tmp_path / "predictions.zip", {"inner/preds.json": json.dumps(ITEMS),
                                          "__MACOSX/._preds.json": "x"})
    layout = read_layout(tmp_path, IDS)
    assert layout.phase == "prediction-file"
    assert [(case.id, case.report) for case in layout.loaded.cases] == [
        (item["id"], item["report"]) for item in ITEMS]
    assert str(layout.loaded.path) == "predictions.zip:preds.json"
    assert layout.notes == ["read inner/preds.json from the zip upload predictions.zip"]
    with pytest.raises(UsageError, match="is a zip file, not an algorithm job list"):
        read_layout(tmp_path, IDS, phase="algorithm")


def test_a_job_list_becomes_the_submission_of_its_reports(tmp_path: Path) -> None:
    jobs = [job("job-0", "PIT_01_00001_01.tif", value="Lung, biopsy"),
            job("job-1", IDS[1], value={"report": "Colon, biopsy"})]
    jobs.append({**job("job-2", "other.tiff"), "status": "Failed"})
    write_jobs(tmp_path, jobs)
    layout = read_layout(tmp_path, IDS)
    assert layout.phase == "algorithm"
    assert str(layout.loaded.path) == ASSEMBLED_NAME
    assert [(case.id, case.report) for case in layout.loaded.cases] == [
        (item["id"], item["report"]) for item in ITEMS]
    assert layout.notes == [  # in the order of the jobs
        "job job-0: image PIT_01_00001_01.tif scored as case PIT_01_00001_01.tiff",
        "job job-2 has status 'Failed' and is not read",
    ]
    # Told to expect prediction files, the same upload is read as a (strange) submission.
    as_file = read_layout(tmp_path, IDS, phase="prediction-file")
    assert as_file.phase == "prediction-file" and as_file.loaded.cases == []
    assert "shaped like an algorithm job list" in as_file.notes[0]
