from __future__ import annotations

import json
from pathlib import Path

import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval_baselines.run import (
    read_case_ids,
    read_training_reports,
    run_baseline,
    write_submission,
)
from reg_eval_baselines.synth import SynthConfig, write_benchmark

SMALL = SynthConfig(n_train=60, n_test=20, dim=16, min_patches=8, max_patches=16, seed=9,
                    difficulty=0.0)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "bench"
    write_benchmark(out, SMALL)
    return out


def run(bench: Path, out: Path, name: str = "knn", **options: object):
    return run_baseline(
        name, features_dir=bench / "features", train_path=bench / "train.json",
        test_ids_path=bench / "test.json", out_path=out, **options,
    )


@pytest.mark.parametrize("name", ["majority", "knn"])
def test_round_trip_and_determinism(bench: Path, tmp_path: Path, name: str) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    result = run(bench, first, name)
    run(bench, second, name)
    assert first.read_bytes() == second.read_bytes()
    written = json.loads(first.read_text(encoding="utf-8"))
    truth = json.loads((bench / "test.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in written] == [r["id"] for r in truth]
    assert all(set(r) == {"id", "report"} and r["report"] for r in written)
    assert (result.n_train, result.n_test, result.dim) == (60, 20, 16)
    train_reports = {r["report"] for r in json.loads((bench / "train.json").read_text())}
    assert {r["report"] for r in written} <= train_reports


def test_knn_beats_majority_end_to_end(bench: Path, tmp_path: Path) -> None:
    truth = {r["id"]: r["report"] for r in json.loads((bench / "test.json").read_text())}
    hits = {}
    for name in ("majority", "knn"):
        run(bench, tmp_path / f"{name}.json", name)
        written = json.loads((tmp_path / f"{name}.json").read_text())
        hits[name] = sum(r["report"] == truth[r["id"]] for r in written)
    assert hits["knn"] > hits["majority"]


def test_manifest_instead_of_folder(bench: Path, tmp_path: Path) -> None:
    run(bench, tmp_path / "a.json")
    run_baseline(
        "knn", features_dir=None, manifest=bench / "manifest.csv",
        train_path=bench / "train.json", test_ids_path=bench / "test.json",
        out_path=tmp_path / "b.json",
    )
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_refuses_overwrite(bench: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    out.write_text("user file")
    with pytest.raises(UsageError, match="already exists"):
        run(bench, out)
    assert out.read_text() == "user file"
    run(bench, out, force=True)
    assert json.loads(out.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_skip_bad(bench: Path, tmp_path: Path) -> None:
    features = tmp_path / "features"
    features.mkdir()
    for path in (bench / "features").iterdir():
        (features / path.name).write_bytes(path.read_bytes())
    train_ids = [r["id"] for r in json.loads((bench / "train.json").read_text())]
    test_ids = [r["id"] for r in json.loads((bench / "test.json").read_text())]
    (features / train_ids[0].replace(".tiff", ".h5")).unlink()
    (features / test_ids[3].replace(".tiff", ".h5")).write_bytes(b"truncated")
    options = {"features_dir": features, "train_path": bench / "train.json",
               "test_ids_path": bench / "test.json"}
    with pytest.raises(UsageError, match=train_ids[0]):
        run_baseline("knn", out_path=tmp_path / "x.json", **options)
    result = run_baseline("knn", out_path=tmp_path / "x.json", skip_bad=True, **options)
    assert [s.slide_id for s in result.skipped_train] == [train_ids[0]]
    assert [s.slide_id for s in result.skipped_test] == [test_ids[3]]
    assert result.n_train == 59
    written = json.loads((tmp_path / "x.json").read_text())
    assert [r["id"] for r in written] == test_ids
    assert written[3]["report"] == result.fallback_report


def test_read_case_ids(tmp_path: Path) -> None:
    txt = tmp_path / "ids.txt"
    txt.write_text("# test ids\nPIT_01_00001_01.tiff\n\n  PIT_01_00002_01.tiff \n")
    assert read_case_ids(txt) == ["PIT_01_00001_01.tiff", "PIT_01_00002_01.tiff"]
    plain = tmp_path / "ids.json"
    plain.write_text('["a.tiff", {"id": "b.tiff"}]')
    assert read_case_ids(plain) == ["a.tiff", "b.tiff"]
    plain.write_text('["a.tiff", "a.tiff"]')
    with pytest.raises(InvalidInputError, match="appears again at index 1"):
        read_case_ids(plain)


def test_training_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"id": "a"}')
    with pytest.raises(InvalidInputError, match="expected a list"):
        read_training_reports(path)
    path.write_text('[{"id": "a", "report": "x"}, {"id": "b"}]')
    with pytest.raises(InvalidInputError, match="index 1"):
        read_training_reports(path)
    path.write_text('[{"id": "a", "report": "x"},\n oops]')
    with pytest.raises(InvalidInputError, match="line 2, column 2"):
        read_training_reports(path)
    with pytest.raises(UsageError, match=r"missing\.json: no such training file"):
        read_training_reports(tmp_path / "missing.json")


def test_unknown_baseline(bench: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown baseline"):
        run(bench, tmp_path / "x.json", "gpt")


def test_write_submission_atomic(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    write_submission(out, ["a", "b"], ["Lung, biopsy;\n  Adenocarcinoma ", "é"])
    assert json.loads(out.read_text(encoding="utf-8")) == [
        {"id": "a", "report": "Lung, biopsy;\n  Adenocarcinoma "},
        {"id": "b", "report": "é"},
    ]
    with pytest.raises(UsageError):
        write_submission(out, ["a"], ["x"])
