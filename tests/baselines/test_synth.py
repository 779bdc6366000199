from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from reg_eval.errors import UsageError
from reg_eval_baselines.synth import SynthConfig, make_cases, write_benchmark

ID = re.compile(r"^PIT_\d{2}_\d{5}_\d{2}\.tiff$")
SMALL = SynthConfig(n_train=60, n_test=20, dim=16, min_patches=8, max_patches=16, seed=5)


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "bench"
    write_benchmark(out, SMALL)
    return out


def test_layout(bench: Path) -> None:
    train = json.loads((bench / "train.json").read_text(encoding="utf-8"))
    test = json.loads((bench / "test.json").read_text(encoding="utf-8"))
    assert len(train) == 60 and len(test) == 20
    for record in train + test:
        assert set(record) == {"id", "report"}
        assert ID.match(record["id"])
    ids = [r["id"] for r in train + test]
    assert len(set(ids)) == len(ids)
    with (bench / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ids
    assert {r["split"] for r in rows} == {"train", "test"}
    files = sorted(p.name for p in (bench / "features").iterdir())
    assert files == sorted(i.removesuffix(".tiff") + ".h5" for i in ids)


def test_h5_is_trident_style(bench: Path) -> None:
    path = next((bench / "features").iterdir())
    with h5py.File(path, "r") as handle:
        features, coords = handle["features"], handle["coords"]
        assert features.dtype == np.float32 and coords.dtype.kind == "i"
        assert features.shape[1] == 16 and 8 <= features.shape[0] <= 16
        assert coords.shape == (features.shape[0], 2)
        assert len({tuple(c) for c in coords[()]}) == coords.shape[0]
        assert json.loads(handle.attrs["metadata"])["seed"] == 5
        assert coords.attrs["patch_size_level0"] == 512
        assert features.attrs["name"] == path.stem
        assert dict(handle.attrs) == {
            "encoder": "synthetic-16",
            "metadata": '{"difficulty": 0.5, "generator": "reg-eval synthetic benchmark v1", '
            '"seed": 5}',
        }
        assert dict(features.attrs) == {"name": path.stem, "encoder": "synthetic-16"}
        assert dict(coords.attrs) == {"name": path.stem, "patch_size": 256,
                                      "patch_size_level0": 512, "level0_magnification": 40,
                                      "target_magnification": 20}
        assert features[()].dtype == np.float32 and coords.dtype == np.int64


def test_byte_identical_for_a_seed(bench: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_benchmark(again, SMALL)
    assert tree_hashes(again) == tree_hashes(bench)
    other = tmp_path / "other"
    write_benchmark(other, SynthConfig(**{**SMALL.__dict__, "seed": 6}))
    assert tree_hashes(other)["train.json"] != tree_hashes(bench)["train.json"]


def test_duplicates_as_in_real_data() -> None:
    cases = make_cases(SynthConfig(n_train=800, n_test=200, dim=8, seed=2))
    texts = [c.report.text for c in cases]
    assert 0.10 <= len(set(texts)) / len(texts) <= 0.20
    train_texts = {c.report.text for c in cases if c.split == "train"}
    test = [c for c in cases if c.split == "test"]
    assert sum(c.report.text in train_texts for c in test) / len(test) > 0.8


def test_difficulty_separates_classes() -> None:
    """Pooled features of two slides with the same latent class are closer at difficulty 0."""
    from reg_eval_baselines.synth import slide_bag

    def spread(difficulty: float) -> float:
        config = SynthConfig(n_train=200, n_test=0, dim=32, min_patches=32, max_patches=64,
                             difficulty=difficulty, seed=1)
        cases = make_cases(config)
        pooled = np.stack([slide_bag(config, c)[0].mean(axis=0) for c in cases])
        organs = np.array([c.report.findings[0].organ for c in cases])
        within = np.mean([pooled[organs == o].std(axis=0).mean() for o in set(organs)])
        return float(within / pooled.std(axis=0).mean())

    assert spread(0.0) < 0.6 < spread(1.0)


def test_refuses_to_overwrite(bench: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="already exists"):
        write_benchmark(bench, SMALL)
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match=r"no synth\.json"):
        write_benchmark(user, SMALL, force=True)
    assert (user / "notes.txt").read_text() == "mine"
    replaced = tmp_path / "replaced"
    write_benchmark(replaced, SMALL)
    (replaced / "stale.txt").write_text("old")
    write_benchmark(replaced, SMALL, force=True)
    assert not (replaced / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "change",
    [{"n_train": 0}, {"dim": 0}, {"min_patches": 9, "max_patches": 4}, {"difficulty": 1.5}],
)
def test_bad_config(change: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        write_benchmark(tmp_path / "x", SynthConfig(**{**SMALL.__dict__, **change}))
