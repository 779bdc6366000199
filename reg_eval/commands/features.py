"""`reg-eval features extract`: patch features of whole-slide images, TRIDENT layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    DeviceOption,
    MaxDecodedMbOption,
    MaxPixelsPerByteOption,
    QuietOption,
    SlidePathsArgument,
)
from reg_eval.slides.bounds import DEFAULT_MAX_DECODED_MB, DEFAULT_MAX_PIXELS_PER_BYTE

features_app = typer.Typer(
    help="Patch features from whole-slide images (tissue detection, tiling, an encoder), "
    "one TRIDENT-layout h5 per slide.",
    no_args_is_help=True,
)


@features_app.command("extract")
@guarded
def extract_command(
    slides: SlidePathsArgument,
    encoder: Annotated[
        str, typer.Option("--encoder", help="A named encoder from the local Hugging Face "
                          "cache (uni, uni2-h, conch, conch-v1.5, virchow2, h-optimus-0, "
                          "h-optimus-1, prov-gigapath, phikon-v2; timm ones need timm), "
                          "NAME=FOLDER with its weights in FOLDER, tiny (built in, random "
                          "weights), or any model folder.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for <slide id>.h5 and the "
                                      "manifest.")],
    patch_size: Annotated[
        int, typer.Option("--patch-size", help="Patch side in pixels, at --mpp.")
    ] = 256,
    mpp: Annotated[
        float, typer.Option("--mpp", help="Microns per pixel of the patches (0.5 ≈ 20x).")
    ] = 0.5,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Patches per batch.")] = 64,
    workers: Annotated[
        int, typer.Option("--workers", help="Data-loader processes reading patches (0: read "
                          "in the main process).")
    ] = 2,
    device: DeviceOption = "auto",
    dtype: Annotated[
        str, typer.Option("--dtype", help="float32, or bfloat16/float16 autocast (GPU).")
    ] = "float32",
    min_tissue: Annotated[
        float, typer.Option("--min-tissue", help="Least tissue share of a kept patch.")
    ] = 0.5,
    slide_mpp: Annotated[
        float | None, typer.Option("--slide-mpp", help="Microns per pixel of slides whose "
                                   "files do not say (ignored for slides that do).")
    ] = None,
    reader: Annotated[
        str, typer.Option("--reader", help="auto (OpenSlide, tifffile when it refuses), "
                          "openslide or tifffile.")
    ] = "auto",
    shard: Annotated[
        str | None, typer.Option("--shard", help="I/N: only every N-th slide from the I-th "
                                 "(0-based), for job arrays.")
    ] = None,
    max_decoded_mb: MaxDecodedMbOption = DEFAULT_MAX_DECODED_MB,
    max_pixels_per_byte: MaxPixelsPerByteOption = DEFAULT_MAX_PIXELS_PER_BYTE,
    quiet: QuietOption = False,
) -> None:
    """Tissue detection on a low-resolution level, a grid of patches at --mpp, the encoder,
    and one `<slide id>.h5` per slide (`features` (N, D), `coords` (N, 2) in level-0 pixels).

    Slides already done with the same settings are skipped, so an interrupted run resumes.
    Under `accelerate launch` every process takes its share of the slides. Each slide is
    isolated: one that cannot be read (a corrupt tile, a limit, a broken file) is named with
    its reason in the manifest and the others go on. Exit 0 when every slide is done (a
    slide without tissue gets a warning and an empty file), 1 when a slide could not be
    used, 2 for usage errors.
    """
    from reg_eval.slides.bounds import SlideLimits
    from reg_eval.slides.extract import (
        ExtractOptions,
        SlideOutcome,
        extract_features,
        parse_shard,
    )

    shard_index, n_shards = parse_shard(shard)
    options = ExtractOptions(
        encoder=encoder, patch_size=patch_size, mpp=mpp, batch_size=batch_size,
        num_workers=workers, device=device, dtype=dtype, min_tissue=min_tissue,
        slide_mpp=slide_mpp, backend=reader, shard_index=shard_index, n_shards=n_shards,
        limits=SlideLimits(max_decoded_mb=max_decoded_mb,
                           max_pixels_per_byte=max_pixels_per_byte),
    )

    def report(outcome: SlideOutcome) -> None:
        if outcome.status == "failed":
            typer.echo(f"error: slide {outcome.id}: {outcome.message}", err=True)
        elif outcome.message:
            typer.echo(f"warning: slide {outcome.id}: {outcome.message}", err=True)

    result = extract_features(slides, out, options, progress=not quiet, on_outcome=report)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    where = (f" (process {result.process_index + 1} of {result.n_processes})"
             if result.n_processes > 1 else "")
    shard_text = f", shard {shard_index}/{n_shards}" if n_shards > 1 else ""
    typer.echo(
        f"{len(result.outcomes)} slides{shard_text}{where}: {result.count('done')} extracted, "
        f"{result.count('existing')} already done, {result.count('empty')} without tissue, "
        f"{result.count('failed')} failed; features in {result.out_dir}"
    )
    if result.manifest is not None:
        typer.echo(f"manifest: {result.manifest}")
    if result.signature is not None:
        typer.echo(f"signature: {result.signature.format()}")
    if result.count("failed"):
        raise typer.Exit(1)
