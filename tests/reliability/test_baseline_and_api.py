"""baseline train|generate on hostile training files, id lists, run folders and feature files;
the Python API, the HF module and the reward functions on hostile in-memory texts."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hostile_inputs import (
    HOSTILE_JSON,
    Hostile,
    assert_refused,
    folder_snapshot,
    make_hostile,
    write_json,
)
from typer.testing import Result

from reg_eval.errors import InvalidInputError, RegEvalError

Cli = Callable[..., Result]
IDS = ["PIT_01_00001_01.tiff", "PIT_01_00002_01.tiff"]
TRAINING = [{"id": IDS[0], "report": "Lung, biopsy;\n  Adenocarcinoma"},
            {"id": IDS[1], "report": "Prostate, biopsy;\n  Adenocarcinoma"}]


@pytest.fixture
def features(tmp_path: Path) -> Path:
    import h5py

    folder = tmp_path / "features"
    folder.mkdir()
    for n, case_id in enumerate(IDS):
        with h5py.File(folder / case_id.replace(".tiff", ".h5"), "w") as handle:
            handle.create_dataset("features", data=np.full((3, 4), n, dtype=np.float32))
            handle.create_dataset("coords", data=np.zeros((3, 2), dtype=np.int64))
    return folder


# Training files are read whole, with the default limits: the cases that need an option and
# the ones that are fine JSON of another shape are left to the submission readers.
TRAINING_HOSTILE = [h for h in HOSTILE_JSON if not h.options]


@pytest.mark.parametrize("hostile", TRAINING_HOSTILE, ids=[h.name for h in TRAINING_HOSTILE])
def test_baseline_train(cli: Cli, tmp_path: Path, features: Path, hostile: Hostile) -> None:
    path = make_hostile(hostile, tmp_path)
    before = folder_snapshot(tmp_path)
    result = cli("baseline", "train", "--method", "majority", "--train", path, "--features",
                 features, "--out", tmp_path / "run", "--quiet")
    assert_refused(result, hostile.exit_code, path.name)
    assert folder_snapshot(tmp_path) == before  # no run folder, no half-written file


@pytest.fixture
def trained_run(cli: Cli, tmp_path: Path, features: Path) -> Path:
    training = write_json(tmp_path / "train.json", TRAINING)
    result = cli("baseline", "train", "--method", "majority", "--train", training,
                 "--features", features, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    return tmp_path / "run"


RUN_FILE_DAMAGE: dict[str, bytes] = {
    "garbage": bytes(range(256)),
    "truncated": b'{"format": "reg-eval baseline run v1", "meth',
    "nested-100000": b"[" * 100_000,
    "huge-number": b'{"seed": ' + b"9" * 5000 + b"}",
    "utf16": '{"format": "x"}'.encode("utf-16-le"),
}


@pytest.mark.parametrize("damage", RUN_FILE_DAMAGE)
@pytest.mark.parametrize("file", ["config.json", "majority.json"])
def test_baseline_generate_on_a_damaged_run_folder(
    cli: Cli, tmp_path: Path, trained_run: Path, features: Path, damage: str, file: str
) -> None:
    (trained_run / file).write_bytes(RUN_FILE_DAMAGE[damage])
    ids = write_json(tmp_path / "ids.json", IDS)
    out = tmp_path / "generated.json"
    result = cli("baseline", "generate", "--run", trained_run, "--features", features,
                 "--ids", ids, "--out", out, "--quiet")
    assert_refused(result, 1, file)
    assert not out.exists()


# An id list reads only the ids: a NaN or a lone surrogate in a report it ignores is no fault.
ID_HOSTILE = [h for h in TRAINING_HOSTILE if h.name not in ("nan", "lone-surrogate")]


@pytest.mark.parametrize("hostile", ID_HOSTILE, ids=[h.name for h in ID_HOSTILE])
def test_baseline_generate_on_a_hostile_id_list(
    cli: Cli, tmp_path: Path, trained_run: Path, features: Path, hostile: Hostile
) -> None:
    path = make_hostile(hostile, tmp_path, "ids.json")
    out = tmp_path / "generated.json"
    result = cli("baseline", "generate", "--run", trained_run, "--features", features,
                 "--ids", path, "--out", out, "--quiet")
    assert_refused(result, hostile.exit_code, path.name)
    assert not out.exists()


def test_baseline_train_refuses_a_lone_surrogate_before_writing_the_run(
    cli: Cli, tmp_path: Path, features: Path
) -> None:
    training = tmp_path / "train.json"
    training.write_text(json.dumps(TRAINING).replace("Adenocarcinoma", "Adeno\\udc00"),
                        encoding="utf-8")
    result = cli("baseline", "train", "--method", "majority", "--train", training,
                 "--features", features, "--out", tmp_path / "run", "--quiet")
    assert_refused(result, 1, "train.json", "reports[0]", "unpaired surrogate")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("content", [b"garbage" * 10, b"", b"\x89HDF\r\n\x1a\n" + b"\0" * 40])
def test_baseline_train_on_a_damaged_feature_file(
    cli: Cli, tmp_path: Path, features: Path, content: bytes
) -> None:
    (features / "PIT_01_00002_01.h5").write_bytes(content)
    training = write_json(tmp_path / "train.json", TRAINING)
    result = cli("baseline", "train", "--method", "majority", "--train", training,
                 "--features", features, "--out", tmp_path / "run", "--quiet")
    # An unreadable feature file is an I/O error (exit 2), named with its slide; --skip-bad
    # leaves such slides out instead.
    assert_refused(result, 2, "PIT_01_00002_01.h5", "slide PIT_01_00002_01.tiff")
    assert not (tmp_path / "run").exists()


# -- texts in memory: the Python API, the HF module, the reward functions ---------------------

HOSTILE_TEXTS: dict[str, Any] = {
    "none": None,
    "number": 3,
    "bytes": b"Lung, biopsy",
    "lone-surrogate": "Lung \ud800 biopsy",
    "runaway-1000000": "lung " * 200_000,
}


@pytest.fixture
def api_options(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> dict[str, Any]:
    return {"emb_model": str(tiny_bert_dir), "key_model": str(tiny_ruler_dir), "device": "cpu",
            "cache_dir": str(tmp_path / "cache"), "bootstrap": 10}


@pytest.mark.parametrize("name", HOSTILE_TEXTS)
@pytest.mark.parametrize("side", ["references", "hypotheses"])
def test_scorer_call(api_options: dict[str, Any], name: str, side: str) -> None:
    from reg_eval import Scorer

    hostile = HOSTILE_TEXTS[name]
    refs, hyps = ["Lung, biopsy", "Prostate"], ["Lung, biopsy", "Prostate"]
    (refs if side == "references" else hyps)[1] = hostile
    with pytest.raises(InvalidInputError, match=rf"^{side}\[1\] "):
        Scorer("offline", **api_options)(refs, hyps)


@pytest.mark.parametrize("name", ["lone-surrogate", "runaway-1000000"])
def test_hf_module(api_options: dict[str, Any], name: str) -> None:
    from reg_eval.hf_metric.compute import compute_reg2025

    # the HF module names its own argument: `predictions`, as evaluate's compute() calls it
    with pytest.raises(RegEvalError, match=r"predictions\[0\] "):
        compute_reg2025([HOSTILE_TEXTS[name]], ["Lung, biopsy"], **api_options)


def test_hf_module_does_not_score_none_as_an_empty_report(api_options: dict[str, Any]) -> None:
    from reg_eval.hf_metric.compute import compute_reg2025

    empty = compute_reg2025([""], ["Lung, biopsy"], **api_options)
    try:
        given_none = compute_reg2025([None], ["Lung, biopsy"], **api_options)
    except RegEvalError:
        return
    assert given_none != empty


@pytest.mark.parametrize("name", ["lone-surrogate", "runaway-1000000"])
def test_reward_function(api_options: dict[str, Any], name: str) -> None:
    from reg_eval import rewards

    rewards.clear_shared_scorers()
    reward = rewards.reg_reward("offline", **api_options)
    try:
        with pytest.raises(RegEvalError, match=r"hypotheses\[0\] "):
            reward([HOSTILE_TEXTS[name], "Lung"], ground_truth=["Lung, biopsy", "Lung"])
    finally:
        rewards.clear_shared_scorers()


def test_reward_function_refuses_a_hostile_reference(api_options: dict[str, Any]) -> None:
    from reg_eval import rewards

    reward = rewards.reg_reward("offline", **api_options)
    with pytest.raises(InvalidInputError, match=r"^ground_truth\[0\] is null, not a report string"):
        reward(["Lung"], ground_truth=[None])
    with pytest.raises(InvalidInputError, match=r"^ground_truth\[1\] "):
        reward(["Lung", "Lung"], ground_truth=["Lung", HOSTILE_TEXTS["lone-surrogate"]])
    values = reward(["Lung", ""], ground_truth=["Lung, biopsy", "Lung"])
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    rewards.clear_shared_scorers()
