from __future__ import annotations

import numpy as np
import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval_baselines.knn import KnnBaseline
from reg_eval_baselines.majority import MajorityBaseline
from reg_eval_baselines.synth import SynthConfig, make_cases, slide_bag


def test_majority_most_frequent_first_on_ties() -> None:
    model = MajorityBaseline()
    ids = list("abcde")
    model.fit(ids, np.zeros((5, 2)), ["b", "a", "a", "b", "c"])
    assert model.generate(["x", "y"], np.zeros((2, 2))) == ["b", "b"]
    model.fit(ids, np.zeros((5, 2)), ["c", "a", "a", "b", "c"])
    assert model.generate(["x"], np.zeros((1, 2))) == ["c"]


def test_majority_needs_fit() -> None:
    with pytest.raises(UsageError):
        MajorityBaseline().generate(["x"], np.zeros((1, 2)))


def test_knn_cosine_not_euclidean() -> None:
    model = KnnBaseline(k=1)
    model.fit(["a", "b"], np.array([[10.0, 0.0], [0.0, 1.0]]), ["A", "B"])
    # [2, 1] is Euclidean-nearer [0, 1] (distance 2 against 8.06) but its angle to
    # [10, 0] is smaller (cosine 0.894 against 0.447).
    assert model.generate(["x", "y"], np.array([[2.0, 1.0], [0.1, 0.3]])) == ["A", "B"]


def test_knn_ties_go_to_earlier_training_case() -> None:
    model = KnnBaseline(k=1)
    model.fit(["a", "b", "c"], np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0]]), ["A", "B", "C"])
    assert model.generate(["x"], np.array([[3.0, 0.0]])) == ["B"]


def test_knn_vote() -> None:
    train = np.array([[1.0, 0.0], [1.0, 0.2], [1.0, 0.4], [0.0, 1.0]])
    reports = ["near", "far", "far", "other"]
    query = np.array([[1.0, 0.0]])
    voted = KnnBaseline(k=3, vote=True)
    voted.fit(list("abcd"), train, reports)
    assert voted.generate(["q"], query) == ["far"]
    tied = KnnBaseline(k=2, vote=True)
    tied.fit(list("abcd"), train, reports)
    assert tied.generate(["q"], query) == ["near"]
    plain = KnnBaseline(k=3)
    plain.fit(list("abcd"), train, reports)
    assert plain.generate(["q"], query) == ["near"]
    many = KnnBaseline(k=50, vote=True)
    many.fit(list("abcd"), train, reports)
    assert many.generate(["q"], query) == ["far"]


def test_knn_standardise_equals_manual_zscore() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(size=(30, 4)) * [100.0, 1.0, 0.01, 5.0] + [50.0, 0.0, 3.0, -2.0]
    test = rng.normal(size=(10, 4)) * [100.0, 1.0, 0.01, 5.0] + [50.0, 0.0, 3.0, -2.0]
    reports = [f"r{i}" for i in range(30)]
    mean = [sum(row[j] for row in train.tolist()) / 30 for j in range(4)]
    std = [
        (sum((row[j] - mean[j]) ** 2 for row in train.tolist()) / 30) ** 0.5 for j in range(4)
    ]
    z_train = (train - mean) / std
    z_test = (test - mean) / std
    manual = KnnBaseline(k=1)
    manual.fit([str(i) for i in range(30)], z_train, reports)
    standardised = KnnBaseline(k=1, standardise=True)
    standardised.fit([str(i) for i in range(30)], train, reports)
    ids = [str(i) for i in range(10)]
    assert standardised.generate(ids, test) == manual.generate(ids, z_test)
    raw = KnnBaseline(k=1)
    raw.fit([str(i) for i in range(30)], train, reports)
    assert raw.generate(ids, test) != manual.generate(ids, z_test)


def test_knn_checks_shapes() -> None:
    model = KnnBaseline(k=1)
    model.fit(["a"], np.ones((1, 3)), ["A"])
    with pytest.raises(InvalidInputError, match="dimension 3"):
        model.generate(["x"], np.ones((1, 4)))
    with pytest.raises(InvalidInputError):
        model.fit(["a", "b"], np.ones((1, 3)), ["A", "B"])
    with pytest.raises(UsageError):
        KnnBaseline(k=0)


def organ(text: str) -> str:
    return text.removeprefix("1. ").split(",")[0]


@pytest.fixture(scope="module")
def clean_set() -> tuple[list[str], np.ndarray, list[str], list[str], np.ndarray, list[str]]:
    config = SynthConfig(n_train=150, n_test=50, dim=16, min_patches=16, max_patches=32,
                         difficulty=0.0, seed=11)
    cases = make_cases(config)
    pooled = {c.slide_id: slide_bag(config, c)[0].astype(np.float64).mean(axis=0) for c in cases}
    train = [c for c in cases if c.split == "train"]
    test = [c for c in cases if c.split == "test"]
    return (
        [c.slide_id for c in train], np.stack([pooled[c.slide_id] for c in train]),
        [c.report.text for c in train],
        [c.slide_id for c in test], np.stack([pooled[c.slide_id] for c in test]),
        [c.report.text for c in test],
    )


def test_knn_beats_majority_at_difficulty_zero(clean_set) -> None:
    train_ids, train_x, train_reports, test_ids, test_x, truth = clean_set
    outputs = {}
    for model in (MajorityBaseline(), KnnBaseline(k=5), KnnBaseline(k=5, vote=True)):
        model.fit(train_ids, train_x, train_reports)
        first = model.generate(test_ids, test_x)
        assert model.generate(test_ids, test_x) == first  # deterministic
        outputs[(model.name, getattr(model, "vote", None))] = first
    exact = {
        key: np.mean([o == t for o, t in zip(out, truth, strict=True)])
        for key, out in outputs.items()
    }
    knn = outputs[("knn", False)]
    organ_hits = np.mean([organ(o) == organ(t) for o, t in zip(knn, truth, strict=True)])
    assert organ_hits >= 0.9
    assert exact[("knn", False)] > exact[("majority", None)]
    assert exact[("knn", True)] > exact[("majority", None)]
    diagnosis_hits = np.mean([
        o.split("\n")[1].split(",")[0] == t.split("\n")[1].split(",")[0]
        for o, t in zip(knn, truth, strict=True)
    ])
    assert diagnosis_hits >= 0.6
