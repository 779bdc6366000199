"""Patch features on a GPU: a ViT-B/16-sized encoder with random weights, fp32 vs bf16.

Writes synthetic slides, builds the encoder as a local transformers folder (no hub), runs
`extract_features` once in float32 and once with bfloat16 autocast, and reports tiles per
second (the whole extraction, reading and tissue detection included), peak GPU memory,
and the largest difference between the two sets of features. `--tiny` runs the same steps
in miniature on the CPU (a small ViT, two small slides), to check the script.

    python benchmarks/gpu_features.py --out DIR [--slides 16] [--size 8192x6144]
        [--batch-size 256] [--workers 8] [--device cuda] [--mpp 0.25] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

from reg_eval.slides import synthetic
from reg_eval.slides.extract import ExtractOptions, extract_features


def build_vit(folder: Path, *, tiny: bool) -> str:
    """ViT-B/16 (768 wide, 12 blocks, 12 heads, 224 px) or a miniature, random weights."""
    import torch
    from transformers import ViTConfig, ViTModel

    torch.manual_seed(0)
    if tiny:
        config = ViTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=128, image_size=64, patch_size=16)
    else:
        config = ViTConfig(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                           intermediate_size=3072, image_size=224, patch_size=16)
    ViTModel(config).save_pretrained(folder)
    return str(folder)


def run(slides: Path, out: Path, options: ExtractOptions) -> dict[str, float]:
    import torch

    cuda = options.device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = extract_features([slides], out, options)
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tiles = sum(o.n_patches for o in result.outcomes)
    failed = [o.message for o in result.outcomes if o.status == "failed"]
    if failed:
        raise SystemExit(f"extraction failed: {failed[0]}")
    return {
        "seconds": seconds,
        "tiles": tiles,
        "tiles_per_s": tiles / seconds,
        "peak_gpu_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--slides", type=int, default=16)
    parser.add_argument("--size", default="8192x6144")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--mpp", type=float, default=0.25,
                        help="patch resolution (the slides are 0.25 µm/px)")
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    import h5py
    import torch

    if args.tiny:
        args.slides, args.size, args.batch_size, args.workers = 2, "1024x768", 16, 0
        args.mpp = 0.5
        args.device = "cpu" if args.device == "cuda" and not torch.cuda.is_available() \
            else args.device
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible; run with --tiny --device cpu to check "
                         "the script on a CPU")
    width, height = (int(v) for v in args.size.split("x"))
    out = args.out
    for sub in ("slides", "fp32", "bf16", "encoder", "warmup-fp32", "warmup-bf16"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "slides").mkdir(parents=True)
    start = time.perf_counter()
    for index in range(args.slides):
        image = synthetic.tissue_image(width, height, seed=index,
                                       stain=sorted(synthetic.STAINS)[index % 2]).image
        synthetic.write_jpeg_slide(out / "slides" / f"PIT_01_{index + 1:05d}_01.tiff", image,
                                   mpp=0.25, tile=256, levels=4)
    print(f"wrote {args.slides} slides of {width}x{height} px at 0.25 µm/px in "
          f"{time.perf_counter() - start:.1f} s")
    encoder = build_vit(out / "encoder", tiny=args.tiny)
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    print(f"torch {torch.__version__}, device {device_name}, encoder "
          f"{'ViT-B/16' if not args.tiny else 'miniature ViT'} (random weights)")
    timings = {}
    first_slide = sorted((out / "slides").glob("*.tiff"))[0]
    for dtype, folder in (("float32", "fp32"), ("bfloat16", "bf16")):
        options = ExtractOptions(encoder=encoder, patch_size=256 if not args.tiny else 64,
                                 mpp=args.mpp, batch_size=args.batch_size,
                                 num_workers=args.workers, device=args.device, dtype=dtype)
        # warm-up (CUDA context, kernels, autocast caches), not timed
        extract_features([first_slide], out / f"warmup-{folder}", options)
        timings[dtype] = run(out / "slides", out / folder, options)
        t = timings[dtype]
        memory = (f", peak GPU memory {t['peak_gpu_memory_gib']:.2f} GiB"
                  if t["peak_gpu_memory_gib"] is not None else "")
        print(f"{dtype:9}: {t['tiles']} tiles in {t['seconds']:.1f} s = "
              f"{t['tiles_per_s']:.0f} tiles/s{memory}")
    worst, scale, cosine_min = 0.0, 0.0, 1.0
    for path in sorted((out / "fp32").glob("*.h5")):
        with h5py.File(path, "r") as full, h5py.File(out / "bf16" / path.name, "r") as half:
            a, b = full["features"][()], half["features"][()]
        if len(a):
            worst = max(worst, float(np.abs(a - b).max()))
            scale = max(scale, float(np.abs(a).max()))
            cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            cosine_min = min(cosine_min, float(cos.min()))
    summary = {
        "device": device_name, "slides": args.slides, "size": args.size,
        "batch_size": args.batch_size, "workers": args.workers, "tiny": args.tiny,
        "mpp": args.mpp,
        "float32": timings["float32"], "bfloat16": timings["bfloat16"],
        "bf16_speed_up": timings["bfloat16"]["tiles_per_s"] / timings["float32"]["tiles_per_s"],
        "max_abs_feature_difference": worst, "max_abs_feature": scale,
        "min_cosine_fp32_bf16": cosine_min,
    }
    print(f"bf16 vs fp32: {summary['bf16_speed_up']:.2f}x tiles/s; largest feature "
          f"difference {worst:.3e} (largest feature {scale:.3e}); lowest cosine {cosine_min:.5f}")
    (out / "gpu_features.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written to {out / 'gpu_features.json'}")


if __name__ == "__main__":
    main()
