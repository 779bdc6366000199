"""A zip upload: its one JSON member read within the limits, anything else refused by name."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hostile_inputs import patch_zip, zip_bomb, zip_of

from reg_eval.io.jobs import SubmissionRejected
from reg_eval.io.limits import LimitExceeded, Limits
from reg_eval.io.upload_zip import is_zip, read_zip_member

LIMITS = Limits(max_decompressed_mb=1)


def test_the_one_json_member_is_read_beside_metadata(tmp_path: Path) -> None:
    upload = zip_of(tmp_path / "up.zip", {"a/preds.json": "[1]", "__MACOSX/._preds.json": "x",
                                          ".hidden.json": "[]", "a/": ""})
    assert is_zip(upload)
    assert read_zip_member(upload, LIMITS) == ("a/preds.json", b"[1]")
    plain = tmp_path / "plain.json"
    plain.write_text("[]")
    assert not is_zip(plain)


def test_a_single_member_without_the_json_suffix_is_still_the_upload(tmp_path: Path) -> None:
    upload = zip_of(tmp_path / "up.zip", {"predictions.txt": "[2]"})
    assert read_zip_member(upload, LIMITS) == ("predictions.txt", b"[2]")


def test_two_json_members_are_refused_with_their_names(tmp_path: Path) -> None:
    upload = zip_of(tmp_path / "up.zip", {"a.json": "[]", "b.json": "[]"})
    with pytest.raises(SubmissionRejected) as caught:
        read_zip_member(upload, LIMITS)
    assert caught.value.message == (
        "the uploaded zip must hold exactly one JSON file; it holds a.json, b.json")


def test_unpacking_stops_at_the_decompressed_limit(tmp_path: Path) -> None:
    upload = zip_bomb(tmp_path / "bomb.zip", 3 * 1024 * 1024)
    with pytest.raises(LimitExceeded, match=r"declares 3\.0 MB, more than the limit of 1 MB"):
        read_zip_member(upload, LIMITS)


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    upload = patch_zip(zip_of(tmp_path / "up.zip", {"p.json": "[]"}), flag_bits=0x1)
    with pytest.raises(SubmissionRejected, match=r"the zip member p\.json is encrypted"):
        read_zip_member(upload, LIMITS)


def test_an_unknown_compression_method_names_the_accepted_ones(tmp_path: Path) -> None:
    upload = patch_zip(zip_of(tmp_path / "up.zip", {"p.json": "[]"}), method=99)
    with pytest.raises(SubmissionRejected) as caught:
        read_zip_member(upload, LIMITS)
    assert caught.value.message == (
        "the zip member p.json uses compression method 99; accepted: stored, deflate, bzip2, lzma")


def test_a_file_that_only_starts_like_a_zip_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "up.zip"
    upload.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    assert is_zip(upload)
    with pytest.raises(SubmissionRejected, match="starts like a zip file but has no zip directory"):
        read_zip_member(upload, LIMITS)
    assert zipfile.is_zipfile(upload) is False
