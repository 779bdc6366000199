"""Only the leaderboard's models at the leaderboard's precision, on every case, are marked
comparable; `leaderboard` and `final` re-check saved results instead of trusting their flag."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from cli_runner import in_process
from report.report_fixtures import make_result, write_run

from reg_eval.backends.identity import ModelIdentity
from reg_eval.commands.final import final_command
from reg_eval.commands.leaderboard import leaderboard_command
from reg_eval.comparability import run_differences, saved_differences
from reg_eval.io.results import load_result
from reg_eval.leaderboard import build_leaderboard, final_from_results
from reg_eval.scoring import Scorer

IDS = [f"c{i}" for i in range(12)]
OPENBIO = "aaditya/Llama3-OpenBioLLM-8B"


@dataclass
class FakeBackend:
    """Stands in for a loaded backend: the signature only reads identity and device type."""

    identity: ModelIdentity
    device_type: str = "cpu"


def _scorer(dtype: str, **options: str) -> Scorer:
    scorer = Scorer("reg2025", dtype=dtype, cache=False, **options)  # type: ignore[arg-type]
    emb = ModelIdentity(role="emb", name=scorer.profile.emb.name, revision="c0ffee",
                        sha256="ab" * 32, precision=dtype, device_type="cpu")
    key = ModelIdentity(role="key", name=scorer.profile.key.name,
                        revision=scorer.profile.key.revision, device_type="cpu")
    scorer.__dict__["emb_backend"] = FakeBackend(emb)
    scorer.__dict__["key_backend"] = FakeBackend(key)
    return scorer


def test_reg2025_in_float32_is_comparable_and_bfloat16_is_not() -> None:
    assert _scorer("float32").signature(n_cases=3, missing="error").comparable_with_leaderboard
    signature = _scorer("bfloat16").signature(n_cases=3, missing="error")
    assert signature.comparable_with_leaderboard is False
    assert signature.not_comparable_because == ("precision bfloat16 instead of float32",)
    assert signature.to_dict()["not_comparable_because"] == [
        "precision bfloat16 instead of float32"
    ]
    assert signature.get("dtype") == "bfloat16"
    assert "comparable:no" in signature.format()


def test_overridden_models_and_missing_cases_are_not_comparable(tmp_path: Path) -> None:
    scorer = _scorer("float32", emb_model=str(tmp_path))
    reasons = scorer.signature(n_cases=3, missing="error").not_comparable_because
    assert reasons and "EMB model" in reasons[0]
    leaderboard = {"profile": "reg2025", "models_overridden": False, "emb_name": OPENBIO,
                   "key_name": "en_core_sci_lg"}
    assert run_differences(precision="float32", key_revision="0.5.4", **leaderboard) == []
    assert run_differences(precision="float32", key_revision="0.5.3", **leaderboard) == [
        "KEY pipeline en_core_sci_lg 0.5.3 instead of en_core_sci_lg 0.5.4"
    ]
    missing = run_differences(precision="float32", key_revision="0.5.4", n_missing=2,
                              **leaderboard)
    assert missing and missing[0].startswith("2 ground-truth case(s) had no prediction")
    assert run_differences(precision="float32", key_revision="0.5.4", emb_max_length=256,
                           **leaderboard) == ["EMB max_length 256, not 512"]
    # The same models named by an override (another revision, say) are not taken on trust.
    overridden = {**leaderboard, "models_overridden": True}
    assert run_differences(precision="float32", key_revision="0.5.4", **overridden) == [
        "models chosen with --emb-model/--key-model"
    ]
    assert run_differences(profile="offline", models_overridden=False, precision="float32",
                           emb_name="x", key_name="y", key_revision=None)[0].startswith(
        "profile offline")


def _saved(tmp_path: Path, name: str, ranking: float, **kw: object) -> Path:
    ones = np.ones(len(IDS))
    bleu = np.full(len(IDS), (ranking - 0.7) / 0.3)
    result = make_result(IDS, bleu=bleu, key=ones, emb=ones, **kw)  # type: ignore[arg-type]
    return write_run(tmp_path, name, result)[0]


def _as_old_file(path: Path) -> Path:
    """A result written before the signature had `dtype`: the flag said comparable."""
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["signature"]["dtype"]
    data["signature"]["comparable_with_leaderboard"] = True
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_saved_results_claiming_comparability_are_checked(tmp_path: Path) -> None:
    good = load_result(_saved(tmp_path, "good", 0.80))
    assert good.comparable and good.not_comparable_because == []
    # bfloat16 written by the old code, whose flag only looked at the profile
    half = load_result(_as_old_file(_saved(tmp_path, "half", 0.82, dtype="bfloat16")))
    assert half.data["signature"]["comparable_with_leaderboard"] is True
    assert half.comparable is False
    assert half.not_comparable_because == ["precision bfloat16 instead of float32"]
    # another EMB model under the reg2025 name, flag forged
    other = load_result(_as_old_file(_saved(tmp_path, "other", 0.81, emb_model="/models/mine")))
    assert other.not_comparable_because == [f"EMB model /models/mine instead of {OPENBIO}"]
    # a forged flag with no models in the signature
    bare = {"signature": {"profile": "reg2025", "comparable_with_leaderboard": True}}
    assert saved_differences(bare) == ["the signature does not name the EMB and KEY models"]
    # missing cases scored as empty
    data = json.loads((tmp_path / "good.json").read_text(encoding="utf-8"))
    data["cases"]["missing_ids"] = ["c99"]
    assert saved_differences(data)[0].startswith("1 ground-truth case(s)")

    board = build_leaderboard([good, half])
    notes = {entry.result.name: entry.note for entry in board.entries}
    assert notes == {"good": "", "half": "not comparable: precision bfloat16 instead of float32"}
    runs = {run["name"]: run for run in board.to_dict()["runs"]}
    assert runs["half"]["comparable_with_leaderboard"] is False
    assert runs["good"]["comparable_with_leaderboard"] is True

    final = final_from_results(good, half)
    assert final.comparable is False
    assert any("precision bfloat16" in warning for warning in final.warnings)
    assert final_from_results(good, good).comparable is True


@pytest.fixture
def cli() -> object:
    return in_process("Leaderboards.", leaderboard=leaderboard_command, final=final_command)


def test_leaderboard_and_final_commands_mark_a_bfloat16_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = _saved(tmp_path, "good", 0.80)
    half = _as_old_file(_saved(tmp_path, "half", 0.82, dtype="bfloat16"))
    done = cli("leaderboard", good, half, "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = {row.split(",")[2]: row for row in done.stdout.splitlines()[1:]}
    assert ",no,not comparable: precision bfloat16 instead of float32," in rows["half"]
    assert ",yes,," in rows["good"]
    done = cli("final", "--phase1", good, "--phase2", half)
    assert done.exit_code == 0, done.output
    assert "(NOT comparable: see the warnings above)" in done.stdout
    assert "precision bfloat16 instead of float32" in done.stderr
    done = cli("final", "--phase1", good, "--phase2", half, "--format", "json")
    data = json.loads(done.stdout)
    assert data["comparable_with_leaderboard"] is False
    assert data["phase2"]["not_comparable_because"] == ["precision bfloat16 instead of float32"]
