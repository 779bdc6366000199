"""train -> run directory -> generate, for every method, on a small synthetic benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reg_eval.errors import UsageError
from reg_eval_baselines.run import run_baseline
from reg_eval_baselines.rundir import generate_run, train_run
from reg_eval_baselines.synth import SynthConfig, write_benchmark

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = SynthConfig(n_train=48, n_test=12, dim=8, min_patches=4, max_patches=8, seed=5,
                    difficulty=0.0)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rundir") / "bench"
    write_benchmark(out, SMALL)
    return out


def train(bench: Path, run_dir: Path, method: str, **options: object):
    return train_run(method, features_dir=bench / "features", train_path=bench / "train.json",
                     run_dir=run_dir, options=dict(options), seed=3)


def generate(bench: Path, run_dir: Path, out: Path, **kwargs: object):
    return generate_run(run_dir, features_dir=bench / "features", out_path=out,
                        ids_path=bench / "test.json", **kwargs)


def test_knn_run_directory_matches_one_shot(bench: Path, tmp_path: Path) -> None:
    result = train(bench, tmp_path / "run", "knn", k=3, vote=True, standardise=True)
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert names == ["config.json", "knn.json", "knn.npz", "metrics.jsonl"]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["complete"] is True and config["seed"] == 3
    assert config["options"] == {"k": 3, "standardise": True, "vote": True}
    assert config["features"]["dim"] == 8 and config["train"]["n_fitted"] == 48
    assert (result.n_train, result.dim) == (48, 8)
    with np.load(tmp_path / "run" / "knn.npz") as arrays:
        assert arrays["features"].shape == (48, 8)
    table = json.loads((tmp_path / "run" / "knn.json").read_text())
    truth_train = json.loads((bench / "train.json").read_text())
    assert table["ids"] == [r["id"] for r in truth_train]

    generated = generate(bench, tmp_path / "run", tmp_path / "pred.json")
    assert generated.validation.valid and generated.n_cases == 12
    run_baseline("knn", features_dir=bench / "features", train_path=bench / "train.json",
                 test_ids_path=bench / "test.json", out_path=tmp_path / "one-shot.json", k=3,
                 vote=True, standardise=True)
    assert (tmp_path / "pred.json").read_bytes() == (tmp_path / "one-shot.json").read_bytes()


@pytest.mark.parametrize("method", ["majority", "knn"])
def test_deterministic_bytes(bench: Path, tmp_path: Path, method: str) -> None:
    for name in ("a", "b"):
        train(bench, tmp_path / name, method)
        generate(bench, tmp_path / name, tmp_path / f"{name}.json")
    for path in (tmp_path / "a").iterdir():
        if path.name != "metrics.jsonl":  # holds timings
            assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    written = json.loads((tmp_path / "a.json").read_text())
    truth = json.loads((bench / "test.json").read_text())
    assert [r["id"] for r in written] == [r["id"] for r in truth]
    if method == "majority":
        reports = [r["report"] for r in json.loads((bench / "train.json").read_text())]
        best = max(set(reports), key=lambda text: (reports.count(text), -reports.index(text)))
        assert {r["report"] for r in written} == {best}


def test_run_directory_protection(bench: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    train(bench, run_dir, "majority")
    with pytest.raises(UsageError, match="already holds a finished majority run"):
        train(bench, run_dir, "knn")
    train_run("knn", features_dir=bench / "features", train_path=bench / "train.json",
              run_dir=run_dir, force=True)
    assert not (run_dir / "majority.json").exists() and (run_dir / "knn.npz").is_file()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not a baseline run"):
        train_run("knn", features_dir=bench / "features", train_path=bench / "train.json",
                  run_dir=foreign, force=True)
    assert (foreign / "notes.txt").read_text() == "mine"

    config = json.loads((run_dir / "config.json").read_text())
    config["complete"] = False
    (run_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(UsageError, match="did not finish training"):
        generate(bench, run_dir, tmp_path / "x.json")
    with pytest.raises(UsageError, match="does not exist"):
        generate(bench, tmp_path / "nowhere", tmp_path / "x.json")


def test_generate_defaults_to_every_slide_and_refuses_overwrite(
    bench: Path, tmp_path: Path
) -> None:
    train(bench, tmp_path / "run", "knn")
    out = tmp_path / "all.json"
    result = generate_run(tmp_path / "run", features_dir=bench / "features", out_path=out)
    expected = sorted(p.stem + ".tiff" for p in (bench / "features").iterdir())
    assert sorted(r["id"] for r in json.loads(out.read_text())) == expected
    assert result.n_cases == 60 and result.validation.valid
    with pytest.raises(UsageError, match="already exists"):
        generate_run(tmp_path / "run", features_dir=bench / "features", out_path=out)


def test_wrong_dimension_names_the_slide(bench: Path, tmp_path: Path) -> None:
    import h5py

    train(bench, tmp_path / "run", "knn")
    features = tmp_path / "features"
    features.mkdir()
    test_ids = [r["id"] for r in json.loads((bench / "test.json").read_text())]
    for slide_id in test_ids:
        with h5py.File(features / slide_id.replace(".tiff", ".h5"), "w") as handle:
            handle.create_dataset("features", data=np.ones((3, 5), dtype=np.float32))
    from reg_eval.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=f"{test_ids[0]}.*dimension 5, expected 8"):
        generate_run(tmp_path / "run", features_dir=features, out_path=tmp_path / "x.json",
                     ids_path=bench / "test.json")


# -- prefix-lm ---------------------------------------------------------------------------

PLM = {"lm_layers": None, "n_prefix": 2, "mlp_hidden": 16, "batch_size": 8, "grad_accum": 2,
       "epochs": 2, "lr": 1e-2, "lm_lr": 1e-2, "warmup_steps": 1, "device": "cpu"}


def plm_options(folder: Path, **changes: object) -> dict[str, object]:
    return {**PLM, "lm": str(folder), **changes}


def test_prefix_lm_round_trip_and_resume(bench: Path, tmp_path: Path, tiny_lm_folder: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from reg_eval_baselines.prefix_lm import PrefixLMBaseline

    whole = tmp_path / "whole"
    result = train(bench, whole, "prefix-lm", **plm_options(tiny_lm_folder))
    # 48 cases / batch 8 = 6 micro-batches, 3 steps per epoch, 2 epochs
    assert result.final_loss is not None
    assert sorted(p.name for p in whole.iterdir()) == [
        "checkpoint.pt", "config.json", "lm.json", "metrics.jsonl"]
    rows = [json.loads(line) for line in (whole / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "step" in r]
    assert [r["step"] for r in steps] == [1, 2, 3, 4, 5, 6]
    assert all(r["loss"] > 0 and r["tokens"] > 0 and "tokens_per_s" in r for r in steps)
    assert [r["epoch_end"] for r in rows if "epoch_end" in r] == [0, 1]
    reference = json.loads((whole / "lm.json").read_text())
    assert reference["source"] == "folder" and len(reference["sha256"]) == 64
    generate(bench, whole, tmp_path / "whole.json", generation={"max_new_tokens": 16})
    written = json.loads((tmp_path / "whole.json").read_text())
    assert len(written) == 12 and all(isinstance(r["report"], str) for r in written)

    # an interruption after step 3 (checkpoint at step 2), then the same command again
    interrupted = tmp_path / "interrupted"
    record = PrefixLMBaseline._record_step

    def crash_at_three(self, step, *args):
        if step == 3:
            raise KeyboardInterrupt
        return record(self, step, *args)

    monkeypatch.setattr(PrefixLMBaseline, "_record_step", crash_at_three)
    with pytest.raises(KeyboardInterrupt):
        train(bench, interrupted, "prefix-lm",
              **plm_options(tiny_lm_folder, checkpoint_every=2))
    monkeypatch.setattr(PrefixLMBaseline, "_record_step", record)
    assert json.loads((interrupted / "config.json").read_text())["complete"] is False
    resumed = train(bench, interrupted, "prefix-lm",
                    **plm_options(tiny_lm_folder, checkpoint_every=2))
    assert resumed.resumed_from_step == 2
    rows_resumed = [json.loads(line)
                    for line in (interrupted / "metrics.jsonl").read_text().splitlines()]
    assert [r["loss"] for r in rows_resumed if "step" in r] == [r["loss"] for r in steps]
    generate(bench, interrupted, tmp_path / "resumed.json", generation={"max_new_tokens": 16})
    assert (tmp_path / "resumed.json").read_bytes() == (tmp_path / "whole.json").read_bytes()

    with pytest.raises(UsageError, match="was made with lr="):
        config = json.loads((interrupted / "config.json").read_text())
        config["complete"] = False
        (interrupted / "config.json").write_text(json.dumps(config))
        train(bench, interrupted, "prefix-lm", **plm_options(tiny_lm_folder, lr=5e-2))


def test_prefix_lm_frozen_lm_and_changed_weights(bench: Path, tmp_path: Path,
                                                 tiny_lm_folder: Path) -> None:
    import hashlib
    import shutil

    folder = tmp_path / "lm-copy"
    shutil.copytree(tiny_lm_folder, folder)
    run_dir = tmp_path / "frozen"
    train(bench, run_dir, "prefix-lm", **plm_options(folder, lm_lr=0.0, epochs=1))
    generate(bench, run_dir, tmp_path / "a.json", generation={"max_new_tokens": 8})
    assert json.loads((tmp_path / "a.json").read_text())
    weights = next(p for p in folder.iterdir() if p.suffix == ".safetensors")

    # lm.json as run folders written before `sha256_format` recorded it still loads
    reference = json.loads((run_dir / "lm.json").read_text())
    assert reference["sha256_format"] == 2
    old_digest = hashlib.sha256()
    for file in sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin")):
        old_digest.update(file.name.encode() + b"\0" + file.read_bytes())
    assert old_digest.hexdigest() != reference["sha256"]
    del reference["sha256_format"]
    (run_dir / "lm.json").write_text(json.dumps({**reference, "sha256": old_digest.hexdigest()}))
    generate(bench, run_dir, tmp_path / "old.json", generation={"max_new_tokens": 8})
    assert (tmp_path / "old.json").read_bytes() == (tmp_path / "a.json").read_bytes()

    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(UsageError, match="was trained on"):
        generate(bench, run_dir, tmp_path / "b.json")
