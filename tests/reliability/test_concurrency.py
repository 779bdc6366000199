"""Several processes at once on the same files: every output is whole (one run's complete
file, never a mix or a stub), nothing temporary is left behind, and a shared cache still
gives the same numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hostile_inputs import write_json

REPO = Path(__file__).resolve().parents[2]
ROWS = 2_000


def start(*args: str | Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    env.pop("REG_EVAL_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "reg_eval", *(str(a) for a in args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=REPO)


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    return [(p.wait(timeout=300), p.communicate()[1]) for p in processes]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or
                  p.suffix == ".tmp")


def test_concurrent_converts_to_one_output_leave_one_whole_file(tmp_path: Path) -> None:
    sources = []
    for writer in range(4):
        rows = "".join(f'PIT_01_{n:05d}_01.tiff,"writer {writer}, case {n}"\n'
                       for n in range(ROWS))
        source = tmp_path / f"writer-{writer}.csv"
        source.write_text("id,report\n" + rows, encoding="utf-8")
        sources.append(source)
    out = tmp_path / "out" / "predictions.json"
    done = finish([start("convert", source, "--out", out, "--force") for source in sources])
    assert all(code == 0 for code, _ in done), done
    items = json.loads(out.read_text(encoding="utf-8"))
    writers = {item["report"].split(",")[0] for item in items}
    assert len(items) == ROWS and len(writers) == 1  # one writer's file, whole
    assert leftovers(out.parent) == []


def test_concurrent_converts_without_force_never_leave_a_partial_file(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("id,report\n" + "".join(f"PIT_01_{n:05d}_01.tiff,Lung\n"
                                              for n in range(ROWS)), encoding="utf-8")
    out = tmp_path / "out" / "predictions.json"
    done = finish([start("convert", source, "--out", out) for _ in range(4)])
    assert {code for code, _ in done} <= {0, 2}, done
    assert any(code == 0 for code, _ in done)
    for code, stderr in done:
        if code == 2:
            assert "already exists" in stderr and "Traceback" not in stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))) == ROWS
    assert leftovers(out.parent) == []


def test_concurrent_scores_sharing_a_cache_agree(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    gt = write_json(tmp_path / "gt.json", [
        {"id": f"PIT_01_{n:05d}_01.tiff", "report": f"Lung, biopsy;\n  Adenocarcinoma {n}"}
        for n in range(20)])
    sub = write_json(tmp_path / "sub.json", [
        {"id": f"PIT_01_{n:05d}_01.tiff", "report": f"Lung, biopsy; tumor {n % 3}"}
        for n in range(20)])
    outputs = [tmp_path / f"result-{n}.json" for n in range(2)]
    common = ["-g", gt, "-s", sub, "--profile", "offline", "--emb-model", tiny_bert_dir,
              "--key-model", tiny_ruler_dir, "--device", "cpu", "--cache-dir",
              tmp_path / "shared-cache", "--bootstrap", "20", "--quiet", "--metrics",
              "official"]
    done = finish([start("score", *common, "--output", out) for out in outputs])
    assert all(code == 0 for code, _ in done), done
    results = [json.loads(out.read_text(encoding="utf-8")) for out in outputs]
    assert len({json.dumps(r["components"], sort_keys=True) for r in results}) == 1
    assert len({r["ranking"] for r in results}) == 1
