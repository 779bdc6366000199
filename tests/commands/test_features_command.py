"""`reg-eval features extract` from the shell's point of view, and the baselines reading
its output folder as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reg_eval.commands.baseline import baseline_app
from reg_eval.commands.features import features_app
from reg_eval.slides import synthetic
from slide_files import SlideSet, build_slide_set

pytestmark = pytest.mark.usefixtures("one_torch_thread")

app = typer.Typer()
app.add_typer(features_app, name="features")
app.add_typer(baseline_app, name="baseline")
runner = CliRunner()

REPORTS = {
    "eosin": "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "haematoxylin": "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4)",
}


@pytest.fixture(scope="module")
def slide_set(tmp_path_factory: pytest.TempPathFactory) -> SlideSet:
    return build_slide_set(tmp_path_factory.mktemp("cmd-features") / "raw")


def _extract(*args: object) -> object:
    return runner.invoke(app, ["features", "extract", *map(str, args), "--encoder", "tiny",
                               "--patch-size", "64", "--workers", "0", "--device", "cpu",
                               "--quiet"])


def test_extract_command(tmp_path: Path, slide_set: SlideSet) -> None:
    out = tmp_path / "features"
    result = _extract(slide_set.good, slide_set.blank, "--out", out)
    assert result.exit_code == 0, result.output
    assert "2 slides: 1 extracted, 0 already done, 1 without tissue, 0 failed" in result.stdout
    assert "warning: slide PIT_01_00005_01: no tissue found" in result.stderr
    assert "signature: reg-eval:" in result.stdout and "encoder:tiny" in result.stdout
    again = _extract(slide_set.good, slide_set.blank, "--out", out)
    assert "0 extracted, 2 already done" in again.stdout


def test_extract_refusals(tmp_path: Path, slide_set: SlideSet) -> None:
    bad = _extract(slide_set.not_a_slide, slide_set.good, "--out", tmp_path / "a")
    assert bad.exit_code == 1
    assert "error: slide notes:" in bad.stderr and "not a slide" in bad.stderr
    assert "1 extracted" in bad.stdout and "1 failed" in bad.stdout
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("x")
    refused = _extract(slide_set.good, "--out", busy)
    assert refused.exit_code == 2 and "notes.txt" in refused.output
    missing = _extract(tmp_path / "nope.tiff", "--out", tmp_path / "b")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert _extract(slide_set.good, "--out", tmp_path / "c", "--shard", "3/2").exit_code == 2


def test_bad_device_exit_code(tmp_path: Path, slide_set: SlideSet) -> None:
    result = runner.invoke(app, ["features", "extract", str(slide_set.good), "--encoder",
                                 "tiny", "--device", "cuda:abc", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown device 'cuda:abc'" in result.output and "cuda:N" in result.output
    assert not (tmp_path / "o").exists()
    reader = _extract(slide_set.good, "--out", tmp_path / "o", "--reader", "pillow")
    assert reader.exit_code == 2 and "--reader pillow is not known" in reader.output
    assert "auto, openslide, tifffile" in reader.output


def test_unloadable_encoder_exit_code(tmp_path: Path, slide_set: SlideSet) -> None:
    result = runner.invoke(app, ["features", "extract", str(slide_set.good), "--encoder",
                                 str(tmp_path / "no-model"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_baselines_train_and_generate_on_extracted_features(tmp_path: Path) -> None:
    """No conversion step: --features points at the folder features extract wrote."""
    slides = tmp_path / "slides"
    slides.mkdir()
    train, test = [], []
    for index in range(8):
        stain = "eosin" if index % 2 == 0 else "haematoxylin"
        image = synthetic.tissue_image(384, 256, seed=100 + index, stain=stain).image
        slide_id = f"PIT_01_{index + 1:05d}_01.tiff"
        synthetic.write_jpeg_slide(slides / slide_id, image, mpp=0.5, tile=128, levels=2)
        (train if index < 6 else test).append({"id": slide_id, "report": REPORTS[stain]})
    (tmp_path / "train.json").write_text(json.dumps(train))
    (tmp_path / "test.json").write_text(json.dumps(test))
    features = tmp_path / "features"
    assert _extract(slides, "--out", features).exit_code == 0
    assert (features / "manifest.json").is_file()  # not a feature file: ignored
    for method in ("majority", "knn"):
        run = runner.invoke(app, ["baseline", "train", "--method", method, "--features",
                                  str(features), "--train", str(tmp_path / "train.json"),
                                  "--out", str(tmp_path / "runs" / method), "--k", "1",
                                  "--quiet"])
        assert run.exit_code == 0, run.output
        assert "on 6 slides (dim 64)" in run.stdout
        generated = runner.invoke(app, [
            "baseline", "generate", "--run", str(tmp_path / "runs" / method), "--features",
            str(features), "--ids", str(tmp_path / "test.json"), "--out",
            str(tmp_path / f"{method}.json"), "--quiet"])
        assert generated.exit_code == 0, generated.output
    predictions = json.loads((tmp_path / "knn.json").read_text())
    assert [p["id"] for p in predictions] == [t["id"] for t in test]
    # the stains differ, so the nearest training slide has the same organ
    assert [p["report"] for p in predictions] == [t["report"] for t in test]


def test_two_processes_split_the_slides(tmp_path: Path, slide_set: SlideSet) -> None:
    """What `accelerate launch` sets up (torch.distributed environment), on CPU over gloo."""
    import os
    import socket
    import subprocess
    import sys

    slides = tmp_path / "slides"
    slides.mkdir()
    for path in (slide_set.good, slide_set.rgb_jpeg, slide_set.blank):
        (slides / path.name).write_bytes(path.read_bytes())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("REG_EVAL_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(port), "-m", "reg_eval",
         "features", "extract", str(slides), "--encoder", "tiny", "--out",
         str(tmp_path / "out"), "--patch-size", "64", "--workers", "0", "--quiet"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(process 1 of 2)" in done.stdout and "(process 2 of 2)" in done.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["parts"] == ["part-shard0of1-proc0of2.json",
                                 "part-shard0of1-proc1of2.json"]
    assert [r["id"] for r in manifest["slides"]] == [
        "PIT_01_00001_01", "PIT_01_00003_01", "PIT_01_00005_01"]
    by_part = {
        name: [r["id"] for r in json.loads(
            (tmp_path / "out" / "manifests" / name).read_text())["slides"]]
        for name in manifest["parts"]
    }
    assert by_part == {"part-shard0of1-proc0of2.json": ["PIT_01_00001_01", "PIT_01_00005_01"],
                       "part-shard0of1-proc1of2.json": ["PIT_01_00003_01"]}
