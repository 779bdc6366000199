"""Fit a baseline on training slides and write its submission for the test slides."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.writers import atomic_write_text
from reg_eval_baselines.base import Baseline, most_frequent
from reg_eval_baselines.features import SkippedSlide, pool_slides

BASELINE_NAMES = ("majority", "knn", "prefix-lm")


@dataclass(frozen=True)
class RunResult:
    out_path: Path
    baseline: str
    n_train: int
    n_test: int
    dim: int
    skipped_train: list[SkippedSlide] = field(default_factory=list)
    skipped_test: list[SkippedSlide] = field(default_factory=list)
    fallback_report: str = ""  # what skipped test slides received


def _read_json(path: Path, what: str) -> Any:
    """A whole JSON file, read up to the input limits; any problem names the file."""
    from reg_eval.io.jsondoc import load_json_document

    return load_json_document(path, what)


def _check_unique(ids: list[str], path: Path) -> None:
    seen: set[str] = set()
    for index, slide_id in enumerate(ids):
        if slide_id in seen:
            raise InvalidInputError(
                f"{path}: id {slide_id} appears again at index {index}",
                hint="list each slide once",
            )
        seen.add(slide_id)


def read_training_reports(path: Path) -> tuple[list[str], list[str]]:
    """(ids, reports) from a file in the submission format: [{"id": ..., "report": ...}]."""
    records = _read_json(path, "training file")
    if not isinstance(records, list):
        raise InvalidInputError(
            f"training file {path}: top level is a {type(records).__name__}, expected a list",
            hint='write [{"id": "PIT_01_00002_01.tiff", "report": "..."}, ...]',
        )
    ids: list[str] = []
    reports: list[str] = []
    for index, record in enumerate(records):
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("id"), str)
            or not isinstance(record.get("report"), str)
        ):
            raise InvalidInputError(
                f"training file {path}, index {index}: expected an object with string "
                '"id" and "report"',
            )
        ids.append(record["id"])
        reports.append(record["report"])
    from reg_eval.io.texts import checked_texts

    # A lone surrogate or a runaway report would otherwise fail only when the run is written.
    checked_texts(ids, f"training file {path}: ids")
    checked_texts(reports, f"training file {path}: reports")
    _check_unique(ids, path)
    return ids, reports


def read_case_ids(path: Path) -> list[str]:
    """Ids from a submission-format JSON (reports ignored), a JSON list, or one id a line."""
    if path.suffix.lower() == ".json":
        records = _read_json(path, "id file")
        if not isinstance(records, list):
            raise InvalidInputError(f"id file {path}: top level is not a list")
        ids = []
        for index, record in enumerate(records):
            slide_id = record.get("id") if isinstance(record, dict) else record
            if not isinstance(slide_id, str) or not slide_id:
                raise InvalidInputError(
                    f"id file {path}, index {index}: expected an id string or an object "
                    'with "id"'
                )
            ids.append(slide_id)
    else:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read id file {path}: {exc.strerror or exc}") from None
        ids = [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]
    _check_unique(ids, path)
    return ids


def make_baseline(
    name: str,
    *,
    k: int = 5,
    standardise: bool = False,
    vote: bool = False,
    seed: int = 0,
    prefix_lm: dict[str, Any] | None = None,
) -> Baseline:
    """A baseline by name; `seed` matters only to trained generators (majority and knn are
    deterministic without one). `prefix_lm` holds PrefixLMConfig fields."""
    from reg_eval_baselines.knn import KnnBaseline
    from reg_eval_baselines.majority import MajorityBaseline

    def make_prefix_lm() -> Baseline:
        from reg_eval_baselines.prefix_lm import PrefixLMBaseline, PrefixLMConfig

        return PrefixLMBaseline(PrefixLMConfig(**{**(prefix_lm or {}), "seed": seed}))

    makers: dict[str, Callable[[], Baseline]] = {
        "majority": MajorityBaseline,
        "knn": lambda: KnnBaseline(k, standardise=standardise, vote=vote),
        "prefix-lm": make_prefix_lm,
    }
    if name not in makers:
        raise UsageError(
            f"unknown baseline {name!r}", hint=f"choose one of: {', '.join(BASELINE_NAMES)}"
        )
    return makers[name]()


def check_writable(out_path: Path, force: bool) -> None:
    if out_path.exists() and not force:
        raise UsageError(f"{out_path} already exists", hint="pass --force to replace it")
    if out_path.exists() and out_path.is_dir():
        raise UsageError(f"{out_path} is a folder", hint="give a file name for --out")


def write_submission(
    out_path: Path, ids: list[str], reports: list[str], *, force: bool = False
) -> None:
    """A submission file, written atomically (see reg_eval.io.writers)."""
    check_writable(out_path, force)
    records = [{"id": i, "report": r} for i, r in zip(ids, reports, strict=True)]
    atomic_write_text(out_path, json.dumps(records, ensure_ascii=False, indent=2) + "\n",
                      force=force)


def run_baseline(
    name: str,
    *,
    features_dir: Path | None,
    train_path: Path,
    test_ids_path: Path,
    out_path: Path,
    manifest: Path | None = None,
    k: int = 5,
    standardise: bool = False,
    vote: bool = False,
    skip_bad: bool = False,
    seed: int = 0,
    prefix_lm: dict[str, Any] | None = None,
    force: bool = False,
) -> RunResult:
    """Pool features, fit on the training reports, generate for the test ids, write.

    Test slides skipped under `skip_bad` still get a report (the most frequent training
    report), so the submission stays complete; the result lists them.
    """
    check_writable(out_path, force)
    baseline = make_baseline(
        name, k=k, standardise=standardise, vote=vote, seed=seed, prefix_lm=prefix_lm
    )
    train_ids, train_reports = read_training_reports(train_path)
    test_ids = read_case_ids(test_ids_path)
    train = pool_slides(
        train_ids, features_dir=features_dir, manifest=manifest, skip_bad=skip_bad
    )
    if not train.ids:
        raise InvalidInputError(
            f"no training slide could be read ({len(train.skipped)} skipped)",
            hint="check --features / --manifest against the ids in --train",
        )
    report_of = dict(zip(train_ids, train_reports, strict=True))
    kept_reports = [report_of[i] for i in train.ids]
    baseline.fit(train.ids, train.matrix, kept_reports)
    test = pool_slides(
        test_ids, features_dir=features_dir, manifest=manifest, expected_dim=train.dim,
        dim_source="the dimension of the training features", skip_bad=skip_bad,
    )
    generated = dict(zip(test.ids, baseline.generate(test.ids, test.matrix), strict=True))
    fallback = most_frequent(kept_reports)
    reports = [generated.get(slide_id, fallback) for slide_id in test_ids]
    write_submission(out_path, test_ids, reports, force=force)
    return RunResult(
        out_path=out_path,
        baseline=name,
        n_train=len(train.ids),
        n_test=len(test_ids),
        dim=train.dim,
        skipped_train=train.skipped,
        skipped_test=test.skipped,
        fallback_report=fallback if test.skipped else "",
    )
