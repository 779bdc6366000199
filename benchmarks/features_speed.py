"""Patch features per second: `reg-eval features extract` against a naive one-tile loop.

The naive loop is what a first script does: open the slide with OpenSlide, and for each
patch coordinate read the region, convert it to a tensor, normalise it and run the encoder
on a batch of one. Both get the same slides, the same coordinates (tissue detection and
tiling are shared) and the same encoder; the script checks that the features agree and
prints tiles per second and the ratio.

Timed: (1) the whole command from the shell with its default options (interpreter start,
encoder load, tissue detection and writing included), (2) `extract_features` in process,
(3) the naive loop in process (no start-up counted: in its favour).

    .venv/bin/python benchmarks/features_speed.py [--slides 4] [--size 3072x2304]
        [--encoder tiny|vit-small] [--patch-size 256] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from reg_eval.slides import synthetic
from reg_eval.slides.encoders import load_encoder
from reg_eval.slides.extract import ExtractOptions, extract_features
from reg_eval.slides.reader import open_slide
from reg_eval.slides.tiling import choose_geometry, tile_coords
from reg_eval.slides.tissue import detect_tissue

REPO = Path(__file__).resolve().parents[1]


def build_vit_small(folder: Path) -> str:
    """A ViT-S/16-sized transformers model with random weights, saved as a local folder."""
    import torch
    from transformers import ViTConfig, ViTModel

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                       intermediate_size=1536, image_size=224, patch_size=16)
    ViTModel(config).save_pretrained(folder)
    return str(folder)


def naive_features(slide: Path, encoder_name: str, patch_size: int, mpp: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The literal reference: one patch at a time, batch of one, no data loader."""
    import torch
    import torch.nn.functional as functional
    from PIL import Image

    encoder = load_encoder(encoder_name)
    module = encoder.module.eval()
    reader = open_slide(slide, backend="openslide")
    geometry = choose_geometry(patch_size, mpp, reader.mpp, reader.level_downsamples)
    thumbnail, downsample = reader.thumbnail()
    coords = tile_coords(reader.level_dimensions[0], detect_tissue(thumbnail, downsample),
                         geometry.patch_size_level0)
    side = encoder.preprocess.size  # square patches: the resize is the crop (none for tiny)
    mean = torch.tensor(encoder.preprocess.mean).view(1, 3, 1, 1)
    std = torch.tensor(encoder.preprocess.std).view(1, 3, 1, 1)
    rows = []
    with torch.inference_mode():
        for x, y in coords:
            region = reader.read_region(geometry.level, int(x), int(y), geometry.read_size,
                                        geometry.read_size)
            if geometry.read_size != patch_size:
                region = np.asarray(Image.fromarray(region).resize(
                    (patch_size, patch_size), Image.Resampling.BILINEAR, reducing_gap=None))
            tensor = torch.from_numpy(region.transpose(2, 0, 1).copy())[None].float() / 255
            if side and tensor.shape[-1] != side:
                tensor = functional.interpolate(
                    tensor, size=(side, side), mode=encoder.preprocess.interpolation,
                    align_corners=False, antialias=True)
            rows.append(module((tensor - mean) / std).float().numpy()[0])
    reader.close()
    return np.asarray(rows, dtype=np.float32).reshape(len(coords), encoder.dim), coords


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slides", type=int, default=4)
    parser.add_argument("--size", default="3072x2304")
    parser.add_argument("--encoder", default="tiny", choices=["tiny", "vit-small"])
    parser.add_argument("--patch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files here")
    args = parser.parse_args()
    import h5py
    import torch

    width, height = (int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="features-speed-"))
    try:
        slides_dir = work / "slides"
        slides_dir.mkdir()
        for index in range(args.slides):
            image = synthetic.tissue_image(width, height, seed=index,
                                           stain=sorted(synthetic.STAINS)[index % 2]).image
            synthetic.write_jpeg_slide(slides_dir / f"PIT_01_{index + 1:05d}_01.tiff", image,
                                       mpp=0.5, tile=256, levels=3)
        encoder = build_vit_small(work / "vit") if args.encoder == "vit-small" else "tiny"
        print(f"{args.slides} slides of {width}x{height} px, encoder {args.encoder}, "
              f"patch {args.patch_size}, torch threads {torch.get_num_threads()}")

        start = time.perf_counter()
        command = [str(Path(sys.executable).parent / "reg-eval"), "features", "extract",
                   str(slides_dir), "--encoder", encoder, "--out", str(work / "cli"),
                   "--patch-size", str(args.patch_size), "--quiet"]
        subprocess.run(command, check=True, cwd=REPO, capture_output=True, text=True,
                       env={**os.environ})
        cli_seconds = time.perf_counter() - start

        options = ExtractOptions(encoder=encoder, patch_size=args.patch_size,
                                 num_workers=args.workers, device="cpu")
        start = time.perf_counter()
        result = extract_features([slides_dir], work / "api", options)
        api_seconds = time.perf_counter() - start
        n_tiles = sum(o.n_patches for o in result.outcomes)

        start = time.perf_counter()
        naive = {}
        for path in sorted(slides_dir.glob("*.tiff")):
            naive[path.stem] = naive_features(path, encoder, args.patch_size, 0.5)
        naive_seconds = time.perf_counter() - start

        worst = 0.0
        scale = 0.0
        for stem, (features, coords) in naive.items():
            for folder in ("cli", "api"):
                with h5py.File(work / folder / f"{stem}.h5", "r") as handle:
                    assert np.array_equal(handle["coords"][()], coords), stem
                    ours = handle["features"][()]
                worst = max(worst, float(np.abs(ours - features).max()))
                scale = max(scale, float(np.abs(features).max()))
        summary = {
            "tiles": n_tiles,
            "cli_tiles_per_s": n_tiles / cli_seconds,
            "api_tiles_per_s": n_tiles / api_seconds,
            "naive_tiles_per_s": n_tiles / naive_seconds,
            "cli_vs_naive": naive_seconds / cli_seconds,
            "api_vs_naive": naive_seconds / api_seconds,
            "max_abs_feature_difference": worst,
            "max_abs_feature": scale,
        }
        print(f"tiles: {n_tiles}")
        print(f"reg-eval features extract (shell, defaults): {cli_seconds:7.2f} s  "
              f"{summary['cli_tiles_per_s']:8.1f} tiles/s")
        print(f"extract_features (in process, {args.workers} workers): {api_seconds:7.2f} s  "
              f"{summary['api_tiles_per_s']:8.1f} tiles/s")
        print(f"naive one-tile loop (in process):           {naive_seconds:7.2f} s  "
              f"{summary['naive_tiles_per_s']:8.1f} tiles/s")
        print(f"speed-up: command {summary['cli_vs_naive']:.2f}x, in process "
              f"{summary['api_vs_naive']:.2f}x; largest feature difference {worst:.2e} "
              f"(largest feature {scale:.2e})")
        print(json.dumps(summary))
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
