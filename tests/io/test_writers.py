"""Atomic writers: content, refusal to overwrite, no temp files left behind."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from reg_eval.errors import UsageError
from reg_eval.io import writers
from reg_eval.io.writers import (
    atomic_write_bytes,
    atomic_write_text,
    write_csv,
    write_json,
    write_jsonl,
)


def test_write_json_format(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_json(path, {"b": 1, "a": ["Magen, Biopsie;\n  Gastritis"]})
    text = path.read_text(encoding="utf-8")
    assert text == '{\n  "b": 1,\n  "a": [\n    "Magen, Biopsie;\\n  Gastritis"\n  ]\n}\n'
    write_json(tmp_path / "u.json", ["Zürich"])
    assert "Zürich" in (tmp_path / "u.json").read_text(encoding="utf-8")


def test_write_json_refuses_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_json(tmp_path / "nan.json", [float("nan")])
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    atomic_write_text(path, "first")
    with pytest.raises(UsageError) as info:
        atomic_write_text(path, "second")
    assert info.value.hint is not None and "--force" in info.value.hint
    assert path.read_text() == "first"
    atomic_write_text(path, "second", force=True)
    assert path.read_text() == "second"


def test_directory_target_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="folder"):
        atomic_write_bytes(tmp_path, b"x", force=True)


def test_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "out.txt"
    atomic_write_bytes(path, b"x")
    assert path.read_bytes() == b"x"


def test_no_temp_file_left_when_replace_fails(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", broken_replace)
    monkeypatch.setattr(writers.os, "link", broken_replace)  # how a new file is published
    with pytest.raises(UsageError, match="No space left"):
        atomic_write_text(tmp_path / "out.json", "data")
    assert list(tmp_path.iterdir()) == []


def test_no_temp_file_left_on_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writers.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(tmp_path / "out.json", "data")
    assert list(tmp_path.iterdir()) == []


def test_new_file_has_ordinary_permissions(tmp_path: Path) -> None:
    path = atomic_write_text(tmp_path / "out.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_jsonl_and_csv(tmp_path: Path) -> None:
    rows = [{"id": "PIT_01_00001_01.tiff", "report": "a, \"b\"\nc", "x": 1},
            {"id": "PIT_01_00002_01.tiff"}]
    write_jsonl(tmp_path / "r.jsonl", rows)
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    write_csv(tmp_path / "r.csv", rows, ["id", "report"])
    with (tmp_path / "r.csv").open(newline="", encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert read == [{"id": "PIT_01_00001_01.tiff", "report": "a, \"b\"\nc"},
                    {"id": "PIT_01_00002_01.tiff", "report": ""}]


def test_same_input_same_bytes(tmp_path: Path) -> None:
    rows = [{"id": str(n), "score": n / 7} for n in range(20)]
    write_json(tmp_path / "a.json", rows)
    write_json(tmp_path / "b.json", rows)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_two_writers_racing_for_a_free_name_cannot_both_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pass the early exists() check; the move itself must refuse the second one."""
    import threading

    path = tmp_path / "out.json"
    barrier = threading.Barrier(2, timeout=10)
    waited = threading.local()
    real_fsync = os.fsync

    def fsync_after_both_checked(fd: int) -> None:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()  # both writers have checked and written their temp file
        real_fsync(fd)

    monkeypatch.setattr(writers.os, "fsync", fsync_after_both_checked)
    outcomes: dict[str, str] = {}

    def write(text: str) -> None:
        try:
            atomic_write_text(path, text)
            outcomes[text] = "written"
        except UsageError as exc:
            outcomes[text] = exc.message

    threads = [threading.Thread(target=write, args=(text,)) for text in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [text for text, outcome in outcomes.items() if outcome == "written"]
    assert len(winners) == 1, outcomes
    loser = "second" if winners == ["first"] else "first"
    assert outcomes[loser] == f"{path} already exists"
    assert path.read_text() == winners[0]
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_without_hard_links_the_name_is_still_claimed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(writers.os, "link", no_links)
    path = tmp_path / "out.txt"
    atomic_write_text(path, "first")
    assert path.read_text() == "first"
    with pytest.raises(UsageError, match="already exists"):
        writers._publish_file(Path(atomic_write_text(tmp_path / "b", "b")), path, force=False)
    assert path.read_text() == "first"


def test_replacing_a_file_drops_setuid_setgid_and_sticky_bits(tmp_path: Path) -> None:
    path = tmp_path / "tool.sh"
    path.write_text("old")
    os.chmod(path, 0o7750)
    assert path.stat().st_mode & 0o7777 == 0o7750  # the bits were really set
    atomic_write_text(path, "new", force=True)
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o7777 == 0o750


# -- folders ---------------------------------------------------------------------------------


def test_folder_appears_whole_and_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def record(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(writers.os, "fsync", record)
    target = tmp_path / "model"
    with writers.atomic_folder(target) as staging:
        assert staging.parent == tmp_path and staging.name.startswith(".model.")
        (staging / "sub").mkdir()
        (staging / "a.bin").write_bytes(b"a")
        (staging / "sub" / "b.json").write_text("{}")
        assert not target.exists()
    assert (target / "a.bin").read_bytes() == b"a"
    assert (target / "sub" / "b.json").read_text() == "{}"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask
    names = [Path(s).name for s in synced]
    assert {"a.bin", "b.json", "sub"} <= set(names)  # every file and folder was fsynced
    assert synced[-1] == str(tmp_path)  # and, last, the folder that received the rename
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_folder_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), writers.atomic_folder(tmp_path / "model") as staging:
        (staging / "half.bin").write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_folder_refuses_a_non_empty_target_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    with writers.atomic_folder(target) as staging:  # an empty folder counts as free
        (staging / "one").write_text("1")
    with pytest.raises(UsageError, match="already exists"), writers.atomic_folder(target):
        pass
    assert (target / "one").read_text() == "1"
    with writers.atomic_folder(target, force=True) as staging:
        (staging / "two").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["two"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_folder_racing_writers_cannot_both_win(tmp_path: Path) -> None:
    """The name is free when the block starts; another writer fills it before the rename."""
    target = tmp_path / "out"
    refused = pytest.raises(UsageError, match="already exists")
    with refused, writers.atomic_folder(target) as staging:
        (staging / "mine").write_text("mine")
        with writers.atomic_folder(target) as other:
            (other / "theirs").write_text("theirs")
    assert [p.name for p in target.iterdir()] == ["theirs"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_streamed_file_appears_only_when_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    with pytest.raises(RuntimeError), writers.atomic_file(path) as handle:
        handle.write(b"half a checkpoint")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with writers.atomic_file(path) as handle:
        handle.write(b"whole")
        assert not path.exists()
    assert path.read_bytes() == b"whole"


def test_atomic_file_verify_sees_the_finished_file_and_can_refuse(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    seen: list[bytes] = []

    def accept(tmp: Path) -> None:
        assert tmp != target and tmp.parent == tmp_path and not target.exists()
        seen.append(tmp.read_bytes())

    with writers.atomic_file(target, verify=accept) as handle:
        handle.write(b"abc")
        handle.seek(1)
        handle.write(b"X")
    assert seen == [b"aXc"] and target.read_bytes() == b"aXc"

    def refuse(tmp: Path) -> None:
        raise ValueError("copy does not match")

    with (pytest.raises(ValueError, match="does not match"),
          writers.atomic_file(target, force=True, verify=refuse) as handle):
        handle.write(b"new")
    assert target.read_bytes() == b"aXc"  # the old content stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]  # no temp file left


class _MixedRows:
    """A result whose rows differ in their keys, as Metric B's B1 and B2/B3 rows do."""

    class _Signature:
        def format(self) -> str:
            return "sig|v1"

    signature = _Signature()

    def to_dict(self) -> dict[str, object]:
        return {}

    def per_case_rows(self) -> list[dict[str, object]]:
        return [{"part": "B1", "id": "7", "score": 1.0},
                {"part": "B2", "id": "2", "score": 0.0, "similarity_verdict": "DIFFERENT",
                 "similarity_votes": ["DIFFERENT"]},
                {"part": "B3", "id": "2", "background_ok": 1.0}]


def test_per_case_csv_keeps_keys_that_only_later_rows_have(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    writers.write_result_files(_MixedRows(), output=None, per_case=path, force=False)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        read = list(reader)
    assert reader.fieldnames == ["part", "id", "score", "signature", "similarity_verdict",
                                 "similarity_votes", "background_ok"]
    assert read[1]["similarity_verdict"] == "DIFFERENT"
    assert read[1]["similarity_votes"] == "DIFFERENT"
    assert read[2]["background_ok"] == "1.0"
    assert read[0]["similarity_verdict"] == ""
