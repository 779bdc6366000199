"""prefix-lm at the size of a real team's data, timed: one epoch on 8,000 slides with
1,536-dim features (UNI2-h or Prov-GigaPath sized) in bf16, 1,000 reports, the score.

    python benchmarks/gpu_baseline.py [--out DIR] [--tiny]

Prints time per epoch, training tokens/s, generation tokens/s, peak GPU memory and the
offline-profile score. `--tiny` runs the same path in miniature on CPU (a minute or two),
to check the script before a GPU machine is booked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from reg_eval.columns import OFFICIAL_COMPONENTS

FULL = {"n_train": 8000, "n_test": 1000, "dim": 1536, "patches": (16, 64), "batch_size": 32,
        "lm_layers": None, "device": "cuda", "max_new_tokens": 128, "generate_batch": 128}
TINY = {"n_train": 64, "n_test": 16, "dim": 32, "patches": (4, 8), "batch_size": 8,
        "lm_layers": 2, "device": "cpu", "max_new_tokens": 24, "generate_batch": 16}


@dataclass(frozen=True)
class Timings:
    synth_s: float
    train_s: float
    epoch_s: float | None
    train_tokens_per_s: float | None
    generate_s: float
    generate_tokens_per_s: float | None
    peak_gpu_gib: float | None
    score_s: float


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/gpu_baseline"))
    parser.add_argument("--tiny", action="store_true", help="miniature run on CPU")
    parser.add_argument("--lm", default="offline", help="causal LM (default: SmolLM2-135M)")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args(argv)
    size = TINY if args.tiny else FULL

    import torch

    from reg_eval.scoring import score_files
    from reg_eval_baselines.rundir import generate_run, train_run
    from reg_eval_baselines.synth import SynthConfig, write_benchmark

    if size["device"] == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here; use --tiny for the CPU miniature", file=sys.stderr)
        return 2
    bench, run_dir = args.out / "bench", args.out / "run"
    started = time.perf_counter()
    low, high = size["patches"]
    summary = write_benchmark(bench, SynthConfig(
        n_train=size["n_train"], n_test=size["n_test"], dim=size["dim"], min_patches=low,
        max_patches=high, difficulty=0.5, seed=0), force=True)
    synth_s = time.perf_counter() - started
    print(f"benchmark: {summary.n_train} train / {summary.n_test} test, dim {size['dim']}, "
          f"{low}..{high} patches ({synth_s:.1f} s)", flush=True)

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    options = {"lm": args.lm, "lm_layers": size["lm_layers"], "epochs": args.epochs,
               "batch_size": size["batch_size"], "device": size["device"], "n_prefix": 8,
               "lr": 1e-3, "lm_lr": 5e-5, "warmup_steps": 20, "max_report_tokens": 128}
    started = time.perf_counter()
    trained = train_run("prefix-lm", features_dir=bench / "features",
                        train_path=bench / "train.json", run_dir=run_dir, options=options,
                        force=True, progress=True)
    train_s = time.perf_counter() - started
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    epochs = [r for r in rows if "epoch_end" in r]

    started = time.perf_counter()
    generated = generate_run(
        run_dir, features_dir=bench / "features", out_path=args.out / "predictions.json",
        ids_path=bench / "test.json", device=size["device"], force=True, progress=True,
        generation={"max_new_tokens": size["max_new_tokens"],
                    "generate_batch_size": size["generate_batch"]},
    )
    generate_s = time.perf_counter() - started
    peak = (torch.cuda.max_memory_allocated() / 2**30) if torch.cuda.is_available() else None

    started = time.perf_counter()
    scored = score_files(bench / "test.json", args.out / "predictions.json", profile="offline")
    score_s = time.perf_counter() - started
    timings = Timings(
        synth_s=synth_s, train_s=train_s,
        epoch_s=epochs[0]["seconds"] if epochs else None,
        train_tokens_per_s=epochs[0]["tokens_per_s"] if epochs else None,
        generate_s=generate_s,
        generate_tokens_per_s=(generated.generated_tokens / generated.seconds
                               if generated.seconds > 0 else None),
        peak_gpu_gib=peak, score_s=score_s,
    )
    means = scored.means
    print(f"\ntrained on {trained.n_train} slides, final loss {trained.final_loss:.4f}")
    print(f"time per epoch:        {timings.epoch_s} s (whole training {train_s:.1f} s)")
    print(f"training tokens/s:     {timings.train_tokens_per_s}")
    print(f"generation:            {generated.n_cases} reports in {generated.seconds:.1f} s, "
          f"{timings.generate_tokens_per_s or 0:.0f} tokens/s; valid: {generated.validation.valid}")
    print("peak GPU memory:       "
          + (f"{peak:.2f} GiB" if peak is not None else "n/a (CPU)"))
    print(f"score (offline):       ranking {means['ranking']:.4f}  bleu {means['bleu']:.4f}  "
          f"rouge {means['rouge']:.4f}  key {means['key']:.4f}  emb {means['emb']:.4f} "
          f"({score_s:.1f} s)")
    print(f"signature:             {scored.signature.format()}")
    from reg_eval.io.writers import atomic_write_text

    atomic_write_text(args.out / "timings.json", json.dumps({
        "size": {k: v for k, v in size.items()}, "timings": timings.__dict__,
        "score": {k: means[k] for k in ("ranking", *OFFICIAL_COMPONENTS)},
        "signature": scored.signature.format(),
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
    }, indent=2) + "\n", force=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
