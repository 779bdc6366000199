from __future__ import annotations

from reg_eval._version import __version__
from reg_eval.signature import Signature


def test_signature_line_names_version_computation_fields_and_comparability() -> None:
    sig = Signature.build(
        "reg2025-ranking",
        {"profile": "offline", "emb": "m|sha256:abc|float32", "n": 40, "skipped": None},
        comparable_with_leaderboard=False,
    )
    assert sig.format() == (
        f"reg-eval:{__version__}|computed:reg2025-ranking|profile:offline|"
        "emb:m|sha256:abc|float32|n:40|comparable:no"
    )
    assert sig.get("n") == "40"
    assert sig.get("skipped") is None


def test_signature_dict_carries_the_text_form() -> None:
    sig = Signature.build("x", {"a": True}, comparable_with_leaderboard=True)
    data = sig.to_dict()
    assert data["reg_eval_version"] == __version__
    assert data["a"] == "yes"
    assert data["comparable_with_leaderboard"] is True
    assert data["text"] == str(sig)
