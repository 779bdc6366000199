"""Assemble leaderboards/synthetic.md from the outputs of scripts/demo_baselines.sh.

Each difficulty's folder holds score-<method>.json (`reg-eval score --output`),
compare.json (`reg-eval compare --output`, majority first) and runs/<method>/config.json.
Nothing is computed here: every number is copied from those files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from reg_eval.columns import OFFICIAL_COMPONENTS, OFFICIAL_LABELS

METHODS = ("majority", "knn", "prefix-lm")
COMPONENTS = tuple((name, OFFICIAL_LABELS[name]) for name in ("ranking", *OFFICIAL_COMPONENTS))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _cell(score: dict[str, Any], name: str) -> str:
    value = score["ranking"] if name == "ranking" else score["components"][name]
    low, high = score["ci"][name]
    return f"{value:.4f} [{low:.4f}, {high:.4f}]"


def _p(value: float) -> str:
    """With 10,000 trials the smallest p is 1/10,001, shown as 0.0001."""
    return f"{value:.4f}"


def section(folder: Path, difficulty: str, label: str) -> tuple[list[str], dict[str, float]]:
    scores = {m: _load(folder / f"score-{m}.json") for m in METHODS}
    compare = _load(folder / "compare.json")
    tests = {run["name"].removesuffix(".json"): run for run in compare["runs"]}
    synth = _load(folder / "bench" / "synth.json")
    order = sorted(METHODS, key=lambda m: -scores[m]["ranking"])
    lines = [
        f"## Difficulty {difficulty} ({label})",
        "",
        f"{synth['counts']['n_train']} training / {synth['counts']['n_test']} test cases, "
        f"dimension {synth['config']['dim']}, {synth['config']['min_patches']}.."
        f"{synth['config']['max_patches']} patches per slide, seed {synth['config']['seed']}; "
        f"{synth['counts']['distinct_train_reports']} distinct training reports, "
        f"{synth['counts']['test_reports_seen_in_train']} of {synth['counts']['n_test']} test "
        "reports occur word for word in the training set.",
        "",
        "| rank | method | " + " | ".join(f"{title} [95% CI]" for _, title in COMPONENTS)
        + " | Δ ranking vs majority | p (paired AR) | p (Holm) |",
        "|---|---|" + "---|" * len(COMPONENTS) + "---|---|---|",
    ]
    gaps: dict[str, float] = {}
    for rank, method in enumerate(order, start=1):
        cells = [_cell(scores[method], name) for name, _ in COMPONENTS]
        if method in tests:
            run = tests[method]
            delta = run["delta"]["ranking"]
            gaps[method] = delta
            extra = [f"{delta:+.4f}", _p(run["p_value"]["ranking"]), _p(run["p_holm"]["ranking"])]
        else:
            extra = ["(baseline)", "", ""]
        lines.append(f"| {rank} | {method} | " + " | ".join(cells + extra) + " |")
    plm = _load(folder / "runs" / "prefix-lm" / "config.json")
    steps = plm.get("steps")
    opts = plm["options"]
    lines += [
        "",
        f"prefix-lm: LM `{opts['lm']}` cut to its first {opts['lm_layers']} blocks, "
        f"{steps} optimiser steps ({opts['epochs']} epochs, batch {opts['batch_size']}), "
        f"lr {opts['lr']} (MLP) / {opts['lm_lr']} (LM), {opts['n_prefix']} prefix tokens, "
        f"seed {plm['seed']}, greedy decoding. knn: k = 5 with voting.",
        "",
        f"Scores: `{scores['majority']['signature']['text']}`",
        "",
        f"Paired test: `{compare['signature']['text']}`",
        "",
    ]
    return lines, gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--difficulties", nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--seconds", type=int, default=None)
    args = parser.parse_args()
    lines = [
        "# Synthetic benchmark: reference baselines",
        "",
        "The three reference baselines (`majority`, `knn`, `prefix-lm`) trained and scored on "
        "the synthetic REG-like benchmark of `reg-eval synth`, with `--profile offline`. "
        "These numbers check that the pipeline runs and that the methods order sensibly; "
        "they say nothing about the challenge data, and the offline profile is not "
        "comparable with the REG 2025 leaderboard (see docs/baselines.md).",
        "",
        "Regenerate (offline, CPU"
        + (f", about {round(args.seconds / 60)} minutes on 2 shared cores" if args.seconds
           else "") + "):",
        "",
        "```",
        args.command,
        "```",
        "",
        "Δ: mean per-case ranking difference to `majority`; p: paired approximate "
        "randomization test on the per-case ranking score (two-sided, 10,000 trials, "
        "seed 12345; 0.0001 is the smallest p it can give); Holm: adjusted over the two "
        "comparisons. 95% CIs: percentile bootstrap over cases (1,000 resamples).",
        "",
    ]
    gaps: dict[str, dict[str, float]] = {}
    for i, difficulty in enumerate(args.difficulties):
        label = "default" if i == 0 else ("highest" if i == len(args.difficulties) - 1 else "")
        section_lines, gaps[difficulty] = section(args.root / f"d{difficulty}", difficulty, label)
        lines += section_lines
    lines += ["## The gap to majority", "",
              "| difficulty | knn − majority | prefix-lm − majority |", "|---|---|---|"]
    for difficulty, gap in gaps.items():
        lines.append(f"| {difficulty} | {gap['knn']:+.4f} | {gap['prefix-lm']:+.4f} |")
    from reg_eval.io.writers import atomic_write_text

    atomic_write_text(args.out, "\n".join(lines) + "\n", force=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
