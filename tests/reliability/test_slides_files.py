"""Slide lists, `slides fix` and resumed extraction under hostile files and folders: links,
FIFOs, oversize and broken lists, two sources with one name, interrupted fixes, a feature
file from another slide or emptied, and a stray file among the part manifests."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hostile_slides as hs
import pytest
from hostile_slides import EXTRACT, MEMORY_CEILING_KB, run_measured

from reg_eval.slides import synthetic

# -- the organisers' lists -----------------------------------------------------------------


def _check_with_list(cli: Callable[..., Any], slide: Path, listed: Path,
                     *options: str) -> Any:
    return cli("slides", "check", slide, "--exclude", listed, *options)


def test_a_list_over_the_upload_limit_is_refused_unread(cli: Callable[..., Any],
                                                        tmp_path: Path) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    listed = tmp_path / "corrupted_id.csv"
    listed.write_text("id_list\n" + "PIT_01_00002_01\n" * 150_000)  # 2.4 MB
    result = _check_with_list(cli, slide, listed, "--max-upload-mb", "1")
    assert result.exit_code == 1
    assert "corrupted_id.csv" in result.stderr and "--max-upload-mb" in result.stderr
    rows = _check_with_list(cli, slide, listed, "--max-cases", "1000")
    assert rows.exit_code == 1
    assert "more than 1,000 rows (--max-cases)" in rows.stderr


def test_a_list_of_128_mb_stays_in_bounded_memory(tmp_path: Path) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    listed = tmp_path / "corrupted_id.csv"
    with listed.open("w") as handle:  # 129 MB: one over the default --max-upload-mb
        handle.write("id_list\n")
        line = "PIT_01_00002_01\n" * 4096
        for _ in range(129 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    measured = run_measured("slides", "check", slide, "--exclude", listed)
    listed.unlink()
    assert measured["rc"] == 1, measured["stderr"]
    assert "--max-upload-mb" in str(measured["stderr"])
    assert int(measured["max_rss_kb"]) < MEMORY_CEILING_KB


@pytest.mark.parametrize(("text", "words"), [
    ('id_list\nPIT_01_00002_01\n"PIT_01_00003_01\nPIT_01_00004_01\n',
     ["line 3", "never closed"]),
    ('id_list\n"PIT_01_00002_01\nPIT_01_00003_01"\nPIT_01_00004_01\n',
     ["line 2", "runs over lines 2 to 3"]),
    ("id_list\nPIT_01_00002_01\n" + "x" * 5_000 + "\n", ["line 3", "5,000 characters"]),
    ("id_list\nPIT_01_00002_01\n" + "x" * 200_000 + "\n", ["line 3", "131,072 characters"]),
    ('id_list\n"' + "x" * 200_000 + "\n", ["line 2", "131,072 characters"]),
])
def test_broken_quoting_is_located(cli: Callable[..., Any], tmp_path: Path, text: str,
                                   words: list[str]) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    listed = tmp_path / "revised_list.csv"
    listed.write_text(text)
    result = cli("slides", "check", slide, "--revised", listed)
    assert result.exit_code == 1, result.output
    assert "revised_list.csv" in result.stderr
    for word in words:
        assert word in result.stderr


def test_a_fifo_list_is_refused_without_opening_it(cli: Callable[..., Any],
                                                   tmp_path: Path) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)
    result = _check_with_list(cli, slide, fifo)
    assert result.exit_code == 2
    assert "list.csv" in result.stderr and "FIFO" in result.stderr


def test_a_fifo_slide_in_a_folder_is_named(cli: Callable[..., Any], tmp_path: Path) -> None:
    hs.small_slide(tmp_path / "A.tiff")
    os.mkfifo(tmp_path / "B.tiff")
    result = cli("slides", "check", tmp_path)
    assert result.exit_code == 1
    assert "B.tiff" in result.stdout and "problem not-a-file" in result.stdout
    fixed = cli("slides", "fix", tmp_path / "B.tiff", "--out", tmp_path / "out")
    assert fixed.exit_code == 2 and "FIFO" in fixed.stderr


def test_a_dangling_link_in_a_folder_fails_that_slide_only(cli: Callable[..., Any],
                                                            tmp_path: Path) -> None:
    slides = tmp_path / "slides"
    slides.mkdir()
    hs.small_slide(slides / "A.tiff")
    (slides / "B.tiff").symlink_to(tmp_path / "gone.tiff")
    result = cli("features", "extract", slides, "--out", tmp_path / "f", *EXTRACT)
    assert result.exit_code == 1, result.output
    assert "1 extracted" in result.stdout and "1 failed" in result.stdout
    assert "error: slide B:" in result.stderr and "points nowhere" in result.stderr


def test_mpp_dot_is_named_as_such(cli: Callable[..., Any], tmp_path: Path) -> None:
    slide = hs.raw_tiff(tmp_path / "S.tiff", 300, 256, [hs.deflate_rows(300, 256, 200)],
                        description="Aperio Image Library|AppMag = 20|MPP = .")
    result = cli("slides", "check", slide)
    assert result.exit_code == 0, result.output
    assert "warning bad-description: the ImageDescription says MPP = ., which is not a " \
        "positive number of microns per pixel; 2 µm/px from the XResolution tag is used " \
        "instead" in result.stdout
    assert "truncated" not in result.stdout


# -- slides fix ----------------------------------------------------------------------------


def _wrong_tag(path: Path, seed: int = 7) -> Path:
    image = synthetic.tissue_image(256, 256, seed=seed).image
    path.parent.mkdir(parents=True, exist_ok=True)
    return synthetic.write_jpeg_slide(path, image, tile=128, levels=1, wrong_tag=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_in_place_on_a_symlink_fixes_the_target(cli: Callable[..., Any],
                                                tmp_path: Path) -> None:
    real = _wrong_tag(tmp_path / "store" / "S.tiff")
    link = tmp_path / "links" / "S.tiff"
    link.parent.mkdir()
    link.symlink_to(real)
    result = cli("slides", "fix", link, "--in-place")
    assert result.exit_code == 0, result.output
    assert f"wrote {real}" in result.stdout
    assert link.is_symlink() and link.resolve() == real
    assert cli("slides", "check", real).exit_code == 0  # the slide itself is fixed


def test_in_place_refuses_hard_links_unless_asked(cli: Callable[..., Any],
                                                  tmp_path: Path) -> None:
    slide = _wrong_tag(tmp_path / "S.tiff")
    other = tmp_path / "S-copy.tiff"
    os.link(slide, other)
    before = _sha(slide)
    refused = cli("slides", "fix", slide, "--in-place")
    assert refused.exit_code == 2
    assert "2 hard links" in refused.stderr and "--break-hard-links" in refused.stderr
    assert _sha(slide) == before == _sha(other)
    done = cli("slides", "fix", slide, "--in-place", "--break-hard-links")
    assert done.exit_code == 0, done.output
    assert _sha(slide) != before and _sha(other) == before


@pytest.mark.parametrize("force", [False, True])
def test_two_sources_with_one_name_are_refused_before_writing(
        cli: Callable[..., Any], tmp_path: Path, force: bool) -> None:
    a = _wrong_tag(tmp_path / "a" / "X.tiff", seed=1)
    b = _wrong_tag(tmp_path / "b" / "X.tiff", seed=2)
    out = tmp_path / "out"
    result = cli("slides", "fix", a, b, "--out", out, *(["--force"] if force else []))
    assert result.exit_code == 2
    assert str(a) in result.stderr and str(b) in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("bad", ["fifo", "hard-link"])
def test_a_batch_with_a_source_it_cannot_fix_is_refused_before_writing(
        cli: Callable[..., Any], tmp_path: Path, bad: str) -> None:
    # A.tiff sorts before Z.tiff: a fix that went slide by slide would write A first
    first = _wrong_tag(tmp_path / "A.tiff", seed=1)
    before = _sha(first)
    last = tmp_path / "Z.tiff"
    if bad == "fifo":
        os.mkfifo(last)
        args: list[object] = ["--out", tmp_path / "out"]
    else:
        _wrong_tag(last, seed=2)
        os.link(last, tmp_path / "Z-other-name.tif")
        args = ["--in-place"]
    result = cli("slides", "fix", first, last, *args)
    assert result.exit_code == 2, result.output
    assert str(last) in result.stderr and "nothing was written" in result.stderr
    assert ("FIFO" if bad == "fifo" else "2 hard links") in result.stderr
    assert "wrote" not in result.stdout
    assert _sha(first) == before
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_sigterm_during_a_fix_leaves_no_temporary_copy(cli: Callable[..., Any],
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from reg_eval.slides import fix

    slide = _wrong_tag(tmp_path / "S.tiff")
    before = _sha(slide)
    real_copy = shutil.copyfileobj

    def copy_then_terminated(src: Any, dst: Any, length: int = 0) -> None:
        real_copy(src, dst, length)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(fix.shutil, "copyfileobj", copy_then_terminated)
    result = cli("slides", "fix", slide, "--in-place")
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.tiff"]
    assert _sha(slide) == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigint_from_outside_during_a_fix_leaves_no_temporary_copy(tmp_path: Path) -> None:
    import subprocess
    import sys

    slide = _wrong_tag(tmp_path / "src" / "S.tiff")
    with slide.open("ab") as handle:  # 256 MB after the image data: a copy that takes a while
        handle.truncate(slide.stat().st_size + 256 * 1024 * 1024)
    before = _sha(slide)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(hs.REPO), "NO_COLOR": "1"}
    env.pop("REG_EVAL_DEBUG", None)
    process = subprocess.Popen([sys.executable, "-m", "reg_eval", "slides", "fix", str(slide),
                                "--out", str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in out.iterdir()):
        assert process.poll() is None, "the fix ended before its copy was seen"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "wrote" not in stdout
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in slide.parent.iterdir()) == ["S.tiff"]
    assert _sha(slide) == before


def test_the_next_fix_removes_stale_temporary_copies(cli: Callable[..., Any],
                                                     tmp_path: Path) -> None:
    slide = _wrong_tag(tmp_path / "S.tiff")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".S.tiff.ab12cd34.tmp"  # as a killed fix leaves it
    stale.write_bytes(slide.read_bytes()[:1000])
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = out / ".S.tiff.zz99yy88.tmp"  # a fix running right now
    fresh.write_bytes(b"partial")
    foreign = out / ".notes.txt.ab12cd34.tmp"  # not ours
    foreign.write_bytes(b"x")
    os.utime(foreign, (old, old))
    result = cli("slides", "fix", slide, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [fresh.name, foreign.name, "S.tiff"]


# -- resumed extraction --------------------------------------------------------------------


def test_resume_checks_the_source_not_only_its_name(cli: Callable[..., Any],
                                                    tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = hs.small_slide(tmp_path / "a" / "S.tiff", seed=1)
    b = hs.small_slide(tmp_path / "b" / "S.tiff", seed=2)
    out = tmp_path / "features"
    first = cli("features", "extract", a, "--out", out, *EXTRACT)
    assert first.exit_code == 0, first.output
    features_a = (out / "S.h5").read_bytes()
    again = cli("features", "extract", a, "--out", out, *EXTRACT)
    assert "0 extracted, 1 already done" in again.stdout
    other = cli("features", "extract", b, "--out", out, *EXTRACT)
    assert other.exit_code == 0, other.output
    assert "1 extracted, 0 already done" in other.stdout
    assert "S.h5 was extracted again: it was extracted from another file" in other.stderr
    assert (out / "S.h5").read_bytes() != features_a
    rows = json.loads((out / "manifest.json").read_text())["slides"]
    assert rows[0]["path"] == str(b) and rows[0]["status"] == "done"


def test_resume_redoes_a_feature_file_with_emptied_datasets(cli: Callable[..., Any],
                                                            tmp_path: Path) -> None:
    import h5py

    slide = hs.small_slide(tmp_path / "S.tiff")
    out = tmp_path / "features"
    assert cli("features", "extract", slide, "--out", out, *EXTRACT).exit_code == 0
    whole = (out / "S.h5").read_bytes()
    with h5py.File(out / "S.h5", "r+") as handle:  # same attributes, no rows
        for name, width in (("features", handle["features"].shape[1]), ("coords", 2)):
            attrs = dict(handle[name].attrs)
            del handle[name]
            handle.create_dataset(name, shape=(0, width), dtype="float32")
            handle[name].attrs.update(attrs)
    result = cli("features", "extract", slide, "--out", out, *EXTRACT)
    assert "1 extracted, 0 already done" in result.stdout, result.output
    assert "holds 0 patches but recorded" in result.stderr
    assert (out / "S.h5").read_bytes() == whole


def test_a_stray_file_among_the_part_manifests_is_left_out(cli: Callable[..., Any],
                                                           tmp_path: Path) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    out = tmp_path / "features"
    (out / "manifests").mkdir(parents=True)
    (out / "manifests" / "zz.json").write_text("[]")
    (out / "manifests" / "part-x.json").write_text('{"slides": 3}')
    result = cli("features", "extract", slide, "--out", out, *EXTRACT)
    assert result.exit_code == 0, result.output
    assert "zz.json is not a part manifest" in result.stderr
    assert "part-x.json is not a part manifest (it has no signature)" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"done": 1}
    assert manifest["parts"] == ["part-shard0of1-proc0of1.json"]
