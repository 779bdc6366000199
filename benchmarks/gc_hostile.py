"""Time and peak memory of `reg-eval gc-evaluate` on hostile uploads, against a literal
reference: the same command refusing a one-line invalid upload (the cost of starting the
interpreter and reading the ground truth, nothing else).

Each case runs as `python -m reg_eval gc-evaluate ...` under a small parent whose only child
it is, so `RUSAGE_CHILDREN.ru_maxrss` is that run's peak resident memory. What a user waits
for is measured: the whole command, interpreter start included, default options.

    .venv/bin/python benchmarks/gc_hostile.py [--bomb-gib 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CEILING_MB = 1500
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"rc": done.returncode, "seconds": time.perf_counter() - start,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "last": (done.stderr.strip().splitlines() or [""])[-1]}))
"""
GROUND_TRUTH = [{"id": f"PIT_01_{n:05d}_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"}
                for n in range(1, 4)]


def zip_bomb(path: Path, gib: float) -> None:
    chunk = b"\x00" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("predictions.json", "w") as member:
        for _ in range(int(gib * 1024)):
            member.write(chunk)


def job_list(path: Path, pk: str) -> None:
    path.write_text(json.dumps([{
        "pk": pk, "status": "Succeeded",
        "inputs": [{"interface": {"slug": "whole-slide-image"},
                    "image": {"name": GROUND_TRUTH[0]["id"]}}],
        "outputs": [{"interface": {"slug": "pathology-report",
                                   "relative_path": "pathology-report.json"}}],
    }]), encoding="utf-8")


def run(folder: Path, make: Callable[[Path], None]) -> dict[str, object]:
    inputs = folder / "input"
    inputs.mkdir()
    make(inputs / "predictions.json")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("REG_EVAL_DEBUG", None)
    args = [sys.executable, "-m", "reg_eval", "gc-evaluate", "--input", str(inputs),
            "--ground-truth", str(folder / "gt.json"), "--output",
            str(folder / "output" / "metrics.json"), "--profile", "offline"]
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-gib", type=float, default=1.0,
                        help="unpacked size of the zip bomb")
    args = parser.parse_args()
    cases: dict[str, Callable[[Path], None]] = {
        "reference: one-line invalid upload": lambda p: p.write_text("[1]"),
        f"zip bomb ({args.bomb_gib:g} GiB of zeros)": lambda p: zip_bomb(p, args.bomb_gib),
        "100,000 nested brackets": lambda p: p.write_text("[" * 100_000),
        "120 MB of {} inside one case": lambda p: p.write_bytes(
            b"[[" + b"{}," * (40 * 1024 * 1024) + b"{}]]"),
        "100,000 cases of 1 KB (ids not expected)": lambda p: p.write_text(json.dumps([
            {"id": f"PIT_02_{n:05d}_01.tiff", "report": "Lung, biopsy;\n  " + "x" * 1000}
            for n in range(100_000)])),
        "job pk = /etc": lambda p: job_list(p, "/etc"),
        "job pk = ../../etc": lambda p: job_list(p, "../../etc"),
    }
    rows = []
    for name, make in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "gt.json").write_text(json.dumps(GROUND_TRUTH), encoding="utf-8")
            rows.append((name, run(folder, make)))
    reference = rows[0][1]
    print(f"{'case':40} {'exit':>4} {'seconds':>8} {'x ref':>6} {'peak MB':>8} {'x ref':>6}")
    for name, measured in rows:
        seconds, peak = float(measured["seconds"]), int(measured["max_rss_kb"]) / 1024
        print(f"{name:40} {measured['rc']:>4} {seconds:8.2f} "
              f"{seconds / float(reference['seconds']):6.2f} {peak:8.0f} "
              f"{peak / (int(reference['max_rss_kb']) / 1024):6.2f}")
        print(f"    {str(measured['last'])[:110]}")
        if peak > CEILING_MB:
            print(f"    OVER THE {CEILING_MB} MB CEILING")


if __name__ == "__main__":
    main()
