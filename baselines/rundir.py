"""Run directories: `baseline train` writes one, `baseline generate` reads it.

A run directory holds everything needed to generate again later, on another machine:

    config.json    format, method, seed, options, the training file (path, sha256, counts,
                   skipped slides), the feature dimension, and whether training finished
    metrics.jsonl  one JSON object per line: per optimiser step and per epoch for prefix-lm
                   (loss, tokens, tokens/s, learning rate), one fit line for majority and knn
    majority.json  majority: the report
    knn.npz        knn: pooled training features, mean and scale (standardisation)
    knn.json       knn: training ids, reports, k, standardise, vote
    checkpoint.pt  prefix-lm: MLP, LM (unless frozen), optimiser, schedule, random states
    lm.json        prefix-lm: the LM reference (name, path, revision or sha256)

Every file is written atomically. config.json is written first with `"complete": false`
and again at the end; an unfinished prefix-lm run resumes from its checkpoint.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.writers import write_jsonl
from reg_eval.models.hashing import sha256_file
from reg_eval_baselines.base import Baseline, most_frequent
from reg_eval_baselines.features import SkippedSlide, index_feature_dir, pool_slides, read_manifest
from reg_eval_baselines.run import (
    BASELINE_NAMES,
    check_writable,
    make_baseline,
    read_case_ids,
    read_training_reports,
    write_submission,
)
from reg_eval_baselines.state_files import read_state_json, write_state_json

if TYPE_CHECKING:
    from reg_eval.io.validate import ValidationReport

RUN_FORMAT = "reg-eval baseline run v1"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
OWNED_FILES = (CONFIG_FILE, METRICS_FILE, "majority.json", "knn.npz", "knn.json",
               "checkpoint.pt", "lm.json")
GENERATION_OPTIONS = ("num_beams", "max_new_tokens", "generate_batch_size")


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    method: str
    n_train: int
    dim: int
    files: list[Path]
    skipped: list[SkippedSlide] = field(default_factory=list)
    resumed_from_step: int = 0
    final_loss: float | None = None


@dataclass(frozen=True)
class GenerateResult:
    out_path: Path
    method: str
    n_cases: int
    validation: ValidationReport
    skipped: list[SkippedSlide] = field(default_factory=list)
    fallback_report: str = ""
    generated_tokens: int = 0
    seconds: float = 0.0


def method_options(method: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """The options that shape a method's fit, with defaults filled in: what config.json keeps."""
    options = dict(options or {})
    if method == "majority":
        return {}
    if method == "knn":
        return {"k": int(options.get("k", 5)), "standardise": bool(options.get("standardise")),
                "vote": bool(options.get("vote"))}
    if method == "prefix-lm":
        from reg_eval_baselines.prefix_lm import PrefixLMConfig

        known = {k: v for k, v in options.items() if k not in ("checkpoint_dir", "progress")}
        config = asdict(PrefixLMConfig.from_dict(known))
        config.pop("checkpoint_dir")
        config.pop("progress")
        return config
    raise UsageError(
        f"unknown method {method!r}", hint=f"choose one of: {', '.join(BASELINE_NAMES)}"
    )


def _read_config(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        return None
    config = read_state_json(path)
    if not isinstance(config, dict) or config.get("format") != RUN_FORMAT:
        raise UsageError(f"{path} is not a reg-eval baseline run configuration",
                         hint="choose another --out folder")
    return config


def _prepare_run_dir(run_dir: Path, method: str, force: bool) -> bool:
    """Make `run_dir` ready; True when an unfinished prefix-lm run there should resume."""
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"{run_dir} exists and is not a folder", hint="choose another --out")
    if not run_dir.exists() or not any(run_dir.iterdir()):
        run_dir.mkdir(parents=True, exist_ok=True)
        return False
    previous = _read_config(run_dir)
    if previous is None:
        raise UsageError(
            f"{run_dir} is not empty and holds no {CONFIG_FILE}, so it is not a baseline run; "
            "--force will not replace it",
            hint="choose an empty or new folder for --out",
        )
    if previous.get("complete") and not force:
        raise UsageError(f"{run_dir} already holds a finished {previous.get('method')} run",
                         hint="pass --force to train it again, or choose another --out")
    resume = (not force and method == "prefix-lm" and previous.get("method") == method
              and (run_dir / "checkpoint.pt").is_file())
    if not resume:
        for name in OWNED_FILES:
            (run_dir / name).unlink(missing_ok=True)
    return resume


def _id_suffix(ids: list[str]) -> str:
    """`.tiff` when the training ids carry it, so that generate names new slides alike."""
    suffixes = {Path(i).suffix for i in ids}
    return suffixes.pop() if len(suffixes) == 1 else ""


def train_run(
    method: str,
    *,
    features_dir: Path | None,
    train_path: Path,
    run_dir: Path,
    manifest: Path | None = None,
    skip_bad: bool = False,
    seed: int = 0,
    options: dict[str, Any] | None = None,
    force: bool = False,
    progress: bool = False,
) -> TrainResult:
    """Pool the training slides, fit `method`, and keep config, metrics and state in `run_dir`."""
    kept_options = method_options(method, options)
    if method == "prefix-lm":
        kept_options["seed"] = seed
    baseline = _make(method, kept_options, seed=seed, run_dir=run_dir, progress=progress)
    train_ids, train_reports = read_training_reports(train_path)
    pooled = pool_slides(train_ids, features_dir=features_dir, manifest=manifest,
                         skip_bad=skip_bad, progress=progress)
    if not pooled.ids:
        raise InvalidInputError(
            f"no training slide could be read ({len(pooled.skipped)} skipped)",
            hint="check --features / --manifest against the ids in --train",
        )
    report_of = dict(zip(train_ids, train_reports, strict=True))
    kept_reports = [report_of[i] for i in pooled.ids]
    _prepare_run_dir(run_dir, method, force)
    config: dict[str, Any] = {
        "format": RUN_FORMAT,
        "method": method,
        "seed": seed,
        "options": kept_options,
        "train": {
            "file": str(train_path),
            "sha256": sha256_file(train_path),
            "n_cases": len(train_ids),
            "n_fitted": len(pooled.ids),
            "skipped": [{"id": s.slide_id, "reason": s.reason} for s in pooled.skipped],
        },
        "features": {
            "dir": None if features_dir is None else str(features_dir),
            "manifest": None if manifest is None else str(manifest),
            "dim": pooled.dim,
            "id_suffix": _id_suffix(train_ids),
        },
        "fallback_report": most_frequent(kept_reports),
        "complete": False,
    }
    write_state_json(run_dir / CONFIG_FILE, config)
    started = time.perf_counter()
    baseline.fit(pooled.ids, pooled.matrix, kept_reports)
    seconds = time.perf_counter() - started
    files = baseline.save(run_dir)
    metrics = list(getattr(baseline, "metrics", []))
    if not metrics:
        metrics = [{"stage": "fit", "n_train": len(pooled.ids), "seconds": round(seconds, 3),
                    "cases_per_s": round(len(pooled.ids) / seconds, 1) if seconds > 0 else None}]
    write_jsonl(run_dir / METRICS_FILE, metrics, force=True)
    config["complete"] = True
    config["files"] = sorted(p.name for p in [*files, run_dir / METRICS_FILE])
    losses = getattr(baseline, "loss_history", [])
    config["steps"] = len(losses) if method == "prefix-lm" else None
    write_state_json(run_dir / CONFIG_FILE, config)
    return TrainResult(
        run_dir=run_dir, method=method, n_train=len(pooled.ids), dim=pooled.dim,
        files=[run_dir / CONFIG_FILE, run_dir / METRICS_FILE, *files], skipped=pooled.skipped,
        resumed_from_step=int(getattr(baseline, "start_step", 0)),
        final_loss=losses[-1] if losses else None,
    )


def _make(method: str, options: dict[str, Any], *, seed: int, run_dir: Path,
          progress: bool) -> Baseline:
    if method == "prefix-lm":
        prefix = {**options, "checkpoint_dir": str(run_dir), "progress": progress}
        return make_baseline(method, seed=seed, prefix_lm=prefix)
    return make_baseline(method, seed=seed, **options)


def _baseline_class(method: str) -> type[Baseline]:
    if method == "majority":
        from reg_eval_baselines.majority import MajorityBaseline

        return MajorityBaseline
    if method == "knn":
        from reg_eval_baselines.knn import KnnBaseline

        return KnnBaseline
    if method == "prefix-lm":
        from reg_eval_baselines.prefix_lm import PrefixLMBaseline

        return PrefixLMBaseline
    raise UsageError(f"unknown method {method!r} in the run configuration")


def read_run_config(run_dir: Path) -> dict[str, Any]:
    """The configuration of a finished run, or a usage error that says what to do."""
    if not run_dir.is_dir():
        raise UsageError(f"run directory {run_dir} does not exist",
                         hint="train one first: reg-eval baseline train ... --out RUN_DIR")
    config = _read_config(run_dir)
    if config is None:
        raise UsageError(f"{run_dir} holds no {CONFIG_FILE}: it is not a baseline run",
                         hint="pass the --out folder of reg-eval baseline train")
    if not config.get("complete"):
        raise UsageError(f"the run in {run_dir} did not finish training",
                         hint="run the same reg-eval baseline train command again to resume")
    return config


def default_ids(config: dict[str, Any], features_dir: Path | None,
                manifest: Path | None) -> list[str]:
    """Without --ids: every slide of the manifest, else every feature file in the folder."""
    if manifest is not None:
        return list(read_manifest(manifest))
    if features_dir is None:
        raise UsageError("no feature source given", hint="pass --features DIR or --manifest CSV")
    suffix = config["features"].get("id_suffix", "")
    return [stem + suffix for stem in index_feature_dir(features_dir)]


def generate_run(
    run_dir: Path,
    *,
    features_dir: Path | None,
    out_path: Path,
    ids_path: Path | None = None,
    manifest: Path | None = None,
    skip_bad: bool = False,
    device: str = "auto",
    generation: dict[str, Any] | None = None,
    force: bool = False,
    progress: bool = False,
) -> GenerateResult:
    """Reports for the given slides from a trained run, written and validated as a submission.

    Test slides skipped under `skip_bad` get the most frequent training report (kept in
    config.json), so the submission stays complete; the result lists them.
    """
    from reg_eval.io.validate import validate_submission

    check_writable(out_path, force)
    config = read_run_config(run_dir)
    method = config["method"]
    ids = read_case_ids(ids_path) if ids_path is not None else default_ids(
        config, features_dir, manifest)
    if not ids:
        raise InvalidInputError("no slide to generate a report for",
                                hint="pass --ids FILE, or a --features folder with h5/pt files")
    options = dict(config["options"])
    if method == "prefix-lm":
        unknown = set(generation or {}) - set(GENERATION_OPTIONS)
        if unknown:
            raise UsageError(f"unknown generation options {sorted(unknown)}")
        options.update({k: v for k, v in (generation or {}).items() if v is not None})
        options.update({"device": device, "progress": progress})
    baseline = _baseline_class(method).load(run_dir, options)
    pooled = pool_slides(
        ids, features_dir=features_dir, manifest=manifest, expected_dim=config["features"]["dim"],
        dim_source="the dimension of the training features", skip_bad=skip_bad,
        progress=progress,
    )
    started = time.perf_counter()
    generated = dict(zip(pooled.ids, baseline.generate(pooled.ids, pooled.matrix), strict=True))
    seconds = time.perf_counter() - started
    fallback = config["fallback_report"]
    reports = [generated.get(slide_id, fallback) for slide_id in ids]
    write_submission(out_path, ids, reports, force=force)
    return GenerateResult(
        out_path=out_path, method=method, n_cases=len(ids),
        validation=validate_submission(out_path), skipped=pooled.skipped,
        fallback_report=fallback if pooled.skipped else "",
        generated_tokens=int(getattr(baseline, "generated_tokens", 0)), seconds=seconds,
    )
