"""One evaluation run: the platform's folders in, metrics.json and the signature out.

The ground truth and the submission are read within the input limits, the submission passes
the checks of `reg-eval validate --ground-truth` (a refusal lists every finding first and the
verdict last, the line the platform shows), the cases are scored with the container's
profile, and both files are written atomically, refusing to replace one without `force`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.grand_challenge.algorithm import REPORT_SLUG
from reg_eval.grand_challenge.inputs import (
    GROUND_TRUTH_DIR,
    INPUT_DIR,
    OUTPUT_FILE,
    find_ground_truth,
    read_layout,
)
from reg_eval.grand_challenge.metrics import metrics_document
from reg_eval.io.jobs import IMAGE_SLUG, SubmissionRejected
from reg_eval.io.limits import Limits, current_limits, limits_applied
from reg_eval.io.submission import LoadResult
from reg_eval.io.writers import atomic_write_text, refuse_existing, write_json
from reg_eval.scoring_options import ScoringOptions

if TYPE_CHECKING:
    from reg_eval.io.records import Case
    from reg_eval.io.validate import ValidationReport
    from reg_eval.scoring import ScoreResult

GC_PROFILE = "reg2025"
"""The profile an evaluation container scores with unless told otherwise."""
SIGNATURE_FILE = "signature.txt"


@dataclass(frozen=True)
class GcOutcome:
    """What a run did: the phase kind read, metrics.json as written, and what to tell."""

    phase: str
    metrics: dict[str, Any]
    result: ScoreResult
    output: Path
    signature_file: Path
    notes: list[str]
    warnings: list[str]


def rejection(report: ValidationReport) -> SubmissionRejected:
    """Every finding first, the verdict with the first error last (shown to the participant)."""
    from reg_eval.io.validate import summary_lines

    lines = [line for line, _ in summary_lines(report, max_per_code=10)[1:]]
    first = report.errors[0]
    place = first.location()
    n = len(report.errors)
    headline = (
        f"submission not valid ({n} error{'s' if n != 1 else ''}): {first.code} "
        f"{place + ': ' if place else ''}{first.message}"
    )
    if first.hint:
        headline += f" (hint: {first.hint})"
    return SubmissionRejected(headline, details=lines)


def check_submission(
    loaded: LoadResult, reference_ids: Sequence[str] | None
) -> tuple[list[Case], list[str]]:
    """The valid cases, and warning lines; a refused submission raises `SubmissionRejected`.

    Without reference ids, missing ids are not findings (for `--missing empty|skip`).
    """
    from reg_eval.io.validate import validate_loaded

    reference = list(reference_ids) if reference_ids is not None else None
    report = validate_loaded(loaded, reference=reference)
    if not report.valid:
        raise rejection(report)
    warnings = [
        f"warning {f.code} {f.location()}: {f.message}".replace(" : ", ": ")
        for f in report.warnings
    ]
    return list(report.cases), warnings


def run_gc_evaluation(
    *,
    input_dir: str | Path = INPUT_DIR,
    ground_truth: str | Path = GROUND_TRUTH_DIR,
    output: str | Path = OUTPUT_FILE,
    options: ScoringOptions | None = None,
    phase: str = "auto",
    missing: str = "error",
    report_slug: str = REPORT_SLUG,
    image_slug: str = IMAGE_SLUG,
    force: bool = False,
    limits: Limits | None = None,
    **changes: Any,
) -> GcOutcome:
    """Read the platform's inputs, score, write metrics.json and the signature.

    `options` (default: the `reg2025` profile) with `changes` are the `ScoringOptions` fields
    (profile, metrics, emb_model, key_model, device, dtype, batch_size, cache, cache_dir,
    bootstrap, seed), as for `reg_eval.Scorer`. `limits` default to the ones
    in force (`reg_eval.io.limits`).
    """
    from reg_eval.scoring import Scorer, align_cases, load_valid_cases

    limits = limits or current_limits()
    scoring_options = ScoringOptions.of(options or ScoringOptions(profile=GC_PROFILE), **changes)
    output = Path(output)
    signature_file = output.parent / SIGNATURE_FILE
    refuse_existing(output, signature_file, force=force)  # before any work is done
    with limits_applied(limits):
        gt_path = find_ground_truth(Path(ground_truth))
        reference = load_valid_cases(gt_path, role="ground truth")
        reference_ids = [case.id for case in reference]
        layout = read_layout(
            Path(input_dir),
            reference_ids,
            phase=phase,
            report_slug=report_slug,
            image_slug=image_slug,
            limits=limits,
        )
        cases, warnings = check_submission(
            layout.loaded, reference_ids if missing == "error" else None
        )
    scorer = Scorer(scoring_options)
    result = scorer.score_alignment(align_cases(reference, cases, missing))
    metrics = metrics_document(result)
    write_json(output, metrics, force=force)
    atomic_write_text(signature_file, result.signature.format() + "\n", force=force)
    return GcOutcome(
        phase=layout.phase,
        metrics=metrics,
        result=result,
        output=output,
        signature_file=signature_file,
        notes=layout.notes,
        warnings=warnings,
    )
