"""`reg-eval grounding probes|answer`: REG 2026 Metric B probes from your own slides, and the
reference answerer that measures what it can see."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    MaxDecodedMbOption,
    MaxPixelsPerByteOption,
    SlidePathsArgument,
)
from reg_eval.slides.bounds import DEFAULT_MAX_DECODED_MB, DEFAULT_MAX_PIXELS_PER_BYTE

grounding_app = typer.Typer(
    help="REG 2026 Metric B (visual grounding): build ROI probes from slides, and answer "
    "them with the measuring reference answerer. Score answers with `reg-eval "
    "score-grounding`.",
    no_args_is_help=True,
)


@grounding_app.command("probes")
@guarded
def probes_command(
    slides: SlidePathsArgument,
    out: Annotated[Path, typer.Option("--out", help="The probe folder to write.")],
    n_tissue: Annotated[int, typer.Option("--n-tissue", help="Tissue ROIs per slide (each "
                                          "also gets a perturbed copy).")] = 4,
    n_background: Annotated[int, typer.Option("--n-background",
                                              help="Background ROIs per slide.")] = 2,
    magnification: Annotated[str, typer.Option("--magnification", help="Magnification of "
                                               "the ROIs (10/M µm per pixel: 5x is 2 µm/px)."
                                               )] = "5x",
    patch_size: Annotated[int, typer.Option("--patch-size", help="ROI side in pixels.")] = 256,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws, the perturbations "
                                      "and the anonymous order.")] = 0,
    question: Annotated[str, typer.Option("--question", help="The question asked of every "
                                          "ROI.")] = "Is tissue visible in this ROI? Answer "
    "briefly",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
    max_decoded_mb: MaxDecodedMbOption = DEFAULT_MAX_DECODED_MB,
    max_pixels_per_byte: MaxPixelsPerByteOption = DEFAULT_MAX_PIXELS_PER_BYTE,
) -> None:
    """Write ROI images, perturbed copies, B2/B3 pairings, rois_mapping.txt and the
    algorithm inputs (input/<id>/) from slides."""
    from reg_eval.slides.bounds import SlideLimits, slide_limits_applied
    from reg_eval.slides.probes import ProbeSettings, write_probes
    from reg_eval.slides.tiff import existing_slides

    found = existing_slides(slides)
    settings = ProbeSettings(n_tissue=n_tissue, n_background=n_background,
                             magnification=magnification, patch_size=patch_size, seed=seed,
                             question=question)
    with slide_limits_applied(SlideLimits(max_decoded_mb, max_pixels_per_byte)):
        summary = write_probes(found, out, settings, force=force)
    typer.echo(f"{out}: {summary['n_rois']} ROIs ({summary['n_tissue']} tissue, each with a "
               f"perturbed copy; {summary['n_background']} background) from "
               f"{len(found)} slide(s) at {summary['magnification']}")
    for note in summary["notes"]:  # type: ignore[attr-defined]
        typer.echo(f"note: {note}", err=True)


@grounding_app.command("answer")
@guarded
def answer_command(
    probes: Annotated[Path, typer.Argument(help="A probe folder (rois_mapping.txt and the "
                                           "ROI images).")],
    out: Annotated[Path, typer.Option("--out", help="The answers JSON to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Answer every ROI with the reference answerer (measured tissue share, stain and
    texture; no diagnosis)."""
    from reg_eval.io.writers import refuse_existing, write_json
    from reg_eval_baselines.grounding_answerer import answer_folder

    refuse_existing(out, force=force)
    answers = answer_folder(probes)
    write_json(out, answers, force=force)
    tissue = sum(not a["answer"].startswith("No tissue") for a in answers)
    typer.echo(f"{out}: {len(answers)} answers ({tissue} say tissue is visible)")
