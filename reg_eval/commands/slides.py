"""`reg-eval slides check|fix`: slide hygiene before feature extraction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    TEXT_OR_JSON,
    MaxDecodedMbOption,
    MaxPixelsPerByteOption,
    SlidePathsArgument,
    TextOrJsonOption,
    check_choice,
    input_limits,
)
from reg_eval.errors import RegEvalError, UsageError
from reg_eval.slides.bounds import (
    DEFAULT_MAX_DECODED_MB,
    DEFAULT_MAX_PIXELS_PER_BYTE,
    SlideLimits,
    slide_limits_applied,
)

slides_app = typer.Typer(
    help="Whole-slide image hygiene: find unreadable slides and wrong colour tags, and fix "
    "the tags in a copy.",
    no_args_is_help=True,
)


def _text_row(result: object) -> str:
    from reg_eval.slides.check import SlideCheck

    assert isinstance(result, SlideCheck)
    data = result.to_dict()
    if data["levels"]:
        sizes = " ".join(f"{lv['width']}x{lv['height']}" for lv in data["levels"])
        mpp = f"{data['mpp']:.4g} µm/px" if data["mpp"] else "mpp unknown"
        colour = f", JPEG {data['jpeg_colour'].upper()}" if data["jpeg_colour"] else ""
        n = len(data["levels"])
        what = (f"{n} level{'s' if n > 1 else ''} ({sizes}), {mpp}, {data['compression']}, "
                f"tag 262 {data['photometric']}{colour}")
    else:
        what = "no image data read"
    status = "ok" if not result.problems else "PROBLEM"
    lines = [f"{status:7} {result.id}: {what}"]
    lines += [f"        problem {f.code}: {f.message}" for f in result.problems]
    lines += [f"        warning {f.code}: {f.message}" for f in result.warnings]
    return "\n".join(lines)


@slides_app.command("check")
@guarded
@input_limits("max_upload_mb", "max_cases")
def check_command(
    paths: SlidePathsArgument,
    exclude: Annotated[
        Path | None, typer.Option("--exclude", help="The organisers' list of excluded "
                                  "(corrupted) slides, e.g. corrupted_id.csv.")
    ] = None,
    revised: Annotated[
        Path | None, typer.Option("--revised", help="The organisers' list of colour-distorted "
                                  "slides, e.g. revised_list.csv.")
    ] = None,
    output_format: TextOrJsonOption = "text",
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings count as problems (exit 1).")
    ] = False,
    sample_tiles: Annotated[
        int, typer.Option("--sample-tiles", help="Tiles or strips decoded per pyramid level, "
                          "evenly spaced (a larger number finds more corrupt tiles, slower).",
                          min=1)
    ] = 16,
    max_decoded_mb: MaxDecodedMbOption = DEFAULT_MAX_DECODED_MB,
    max_pixels_per_byte: MaxPixelsPerByteOption = DEFAULT_MAX_PIXELS_PER_BYTE,
) -> None:
    """One row per slide: readable or not and why, levels, resolution, compression, tag 262
    against the JPEG data, and membership of the organisers' lists.

    Up to --sample-tiles tiles or strips of each level are decoded (evenly spaced, first and
    last included), to find corrupt tiles without reading the whole slide. The
    lists are read within --max-upload-mb and --max-cases. Exit 0 when no slide has a
    problem, 1 when one has, 2 for usage or I/O errors.
    """
    from reg_eval._version import __version__
    from reg_eval.slides.check import check_slides, summary
    from reg_eval.slides.lists import read_slide_list
    from reg_eval.slides.tiff import existing_slides

    check_choice("--format", output_format, TEXT_OR_JSON)
    exclude_list = read_slide_list(exclude) if exclude else None
    revised_list = read_slide_list(revised) if revised else None
    with slide_limits_applied(SlideLimits(max_decoded_mb, max_pixels_per_byte)):
        results = check_slides(existing_slides(paths), exclude=exclude_list,
                               revised=revised_list,
                               sample=sample_tiles)
    totals = summary(results)
    if output_format == "json":
        typer.echo(json.dumps({
            "slides": [r.to_dict() for r in results],
            "summary": totals,
            "lists": {
                "exclude": {"path": str(exclude), "column": exclude_list.column,
                            "ids": len(exclude_list.stems)} if exclude_list else None,
                "revised": {"path": str(revised), "column": revised_list.column,
                            "ids": len(revised_list.stems)} if revised_list else None,
            },
            "strict": strict,
            "reg_eval_version": __version__,
        }, indent=2, ensure_ascii=False))
    else:
        for result in results:
            typer.echo(_text_row(result))
        plural = "s" if totals["slides"] != 1 else ""
        typer.echo(f"{totals['slides']} slide{plural}: {totals['with_problems']} with problems "
                   f"({totals['unreadable']} unreadable, {totals['fixable']} with a fixable "
                   f"tag 262), {totals['with_warnings']} with warnings")
        if totals["fixable"]:
            typer.echo("fix tags with: reg-eval slides fix SLIDE... --out DIR")
    failed = totals["with_problems"] or (strict and totals["with_warnings"])
    if failed:
        raise typer.Exit(1)


@slides_app.command("fix")
@guarded
def fix_command(
    sources: SlidePathsArgument,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the fixed copies (the sources "
                                  "stay as they are).")
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Replace each source by its fixed copy "
                           "(atomically: a temporary copy renamed over it).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing files in --out.")
    ] = False,
    break_hard_links: Annotated[
        bool, typer.Option("--break-hard-links", help="With --in-place, fix a slide that has "
                           "other hard links too (they keep the old content).")
    ] = False,
    max_decoded_mb: MaxDecodedMbOption = DEFAULT_MAX_DECODED_MB,
    max_pixels_per_byte: MaxPixelsPerByteOption = DEFAULT_MAX_PIXELS_PER_BYTE,
) -> None:
    """Set tag 262 (PhotometricInterpretation) to what the JPEG tiles really are.

    The copy has the same bytes as the source except the tag value; it is verified by
    re-reading before it is moved into place. Slides that need no fix are not copied.
    With --in-place a symbolic link is followed (the slide it points to is fixed, the link
    stays) and a slide with other hard links is refused unless --break-hard-links. Two
    sources with one name are refused before anything is written. SIGINT or SIGTERM
    removes the temporary copy; one left by a killed fix is removed by the next.
    Exit 0 when every slide is fixed or needs nothing, 1 when one cannot be fixed.
    """
    from reg_eval.slides.fix import terminate_as_interrupt
    from reg_eval.slides.tiff import existing_slides

    if (out is None) == (not in_place):
        raise UsageError("give either --out DIR or --in-place",
                         hint="--out writes fixed copies and leaves the sources as they are")
    failures = 0
    limits = SlideLimits(max_decoded_mb, max_pixels_per_byte)
    with terminate_as_interrupt(), slide_limits_applied(limits):
        for source in _distinct_targets(existing_slides(sources), in_place=in_place,
                                        break_hard_links=break_hard_links):
            failures += _fix_one(source, out, in_place, force, break_hard_links)
    if failures:
        raise typer.Exit(1)


def _distinct_targets(sources: list[Path], *, in_place: bool,
                      break_hard_links: bool = False) -> list[Path]:
    """One entry per file fixed; refused before anything is written (with or without
    --force): two different sources that would write one output name, and any source
    that is not a regular file or (under --in-place) has other hard links."""
    from reg_eval.slides.fix import fixable_file

    seen: dict[str, Path] = {}
    distinct: list[Path] = []
    for source in sources:
        try:
            fixable_file(source, in_place=in_place, break_hard_links=break_hard_links)
        except UsageError as exc:
            raise UsageError(f"{exc.message}; nothing was written", hint=exc.hint) from None
        real = source.resolve()
        key = str(real) if in_place else source.name
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = source
            distinct.append(source)
        elif earlier.resolve() != real:
            raise UsageError(
                f"{earlier} and {source} would both be written as {source.name} in --out; "
                "nothing was written",
                hint="fix them into different --out folders")
    return distinct


def _fix_one(source: Path, out: Path | None, in_place: bool, force: bool,
             break_hard_links: bool) -> int:
    """Fix one slide and print the outcome; 1 when it could not be fixed."""
    from reg_eval.slides.fix import fix_slide

    try:
        result = fix_slide(source, out_dir=out, in_place=in_place, force=force,
                           break_hard_links=break_hard_links)
    except RegEvalError as exc:
        if exc.exit_code == 2:
            raise
        typer.echo(f"error: {exc}", err=True)
        return 1
    if result.status == "nothing-to-fix":
        typer.echo(f"ok      {source.name}: tag 262 already matches the tiles; not copied")
    else:
        typer.echo(f"fixed   {source.name}: tag 262 {result.old_value} -> {result.new_value}"
                   f" on page(s) {', '.join(map(str, result.pages))}; wrote {result.target}"
                   f" ({len(result.changed_offsets)} bytes changed, verified)")
    return 0


@slides_app.command("synth")
@guarded
def synth_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the slides and lists.")],
    n: Annotated[int, typer.Option("--n", help="Number of slides (>= 3).")] = 16,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the tissue shapes.")] = 0,
    width: Annotated[int, typer.Option("--width", help="Level-0 width in pixels.")] = 1024,
    height: Annotated[int, typer.Option("--height", help="Level-0 height in pixels.")] = 768,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier synthetic slide set.")
    ] = False,
) -> None:
    """Small synthetic slides (tiled JPEG pyramids at 0.5 µm/px) to try the slide tools:
    slide 2 has the colour defect (tag 262 RGB on YCbCr tiles), slide 3 is truncated, and
    corrupted_id.csv / revised_list.csv name them as the organisers' lists do."""
    from reg_eval.slides.synthetic import write_slide_set

    if width < 64 or height < 64:
        raise UsageError("--width and --height must be at least 64")
    specs = write_slide_set(out, n=n, seed=seed, width=width, height=height, force=force)
    defects = ", ".join(f"{s.slide_id} ({s.defect})" for s in specs if s.defect)
    typer.echo(f"wrote {len(specs)} slides to {out}; with defects: {defects}")
