from __future__ import annotations

import json

from reg_eval._version import __version__
from reg_eval.identity import ModelIdentity
from reg_eval.signature import SIGNATURE_LAYOUT, Signature, SignedModel

EMB = ModelIdentity(
    role="emb", name="org/model", revision="c0ffee", sha256="ab" * 32, precision="float32",
    options=(("max_length", "512"), ("pooling", "mean")), device_type="cpu",
    libraries=(("torch", "2.13.0"),),
)


def test_signature_line_names_version_computation_fields_and_comparability() -> None:
    sig = Signature.build(
        "reg2025-ranking",
        {"profile": "offline", "emb": SignedModel(EMB), "n": 40, "skipped": None},
        comparable_with_leaderboard=False,
    )
    assert sig.format() == (
        f"reg-eval:{__version__}|computed:reg2025-ranking|profile:offline|"
        "emb:org/model@c0ffee(sha256:abababababababab,float32,cpu,torch=2.13.0,"
        "max_length=512,pooling=mean)|n:40|comparable:no"
    )
    assert sig.get("n") == "40"
    assert sig.value("n") == 40
    assert sig.get("skipped") is None


def test_no_model_puts_the_line_separator_inside_its_field() -> None:
    used = SignedModel(EMB, (("min_chars", "3"), ("clamp", "0-1")))
    assert "|" not in used.describe()
    assert used.describe().endswith("){min_chars=3,clamp=0-1}")
    sig = Signature.build("x", {"emb": used, "seed": 7}, comparable_with_leaderboard=False)
    assert sig.format().count("|") == 4  # version, computed, emb, seed, comparable


def test_signature_dict_holds_typed_fields_and_nested_models() -> None:
    sig = Signature.build(
        "x", {"a": True, "n": 3, "emb": SignedModel(EMB, (("min_chars", "3"),))},
        comparable_with_leaderboard=True,
    )
    data = json.loads(json.dumps(sig.to_dict()))
    assert data["layout"] == SIGNATURE_LAYOUT == 2
    assert data["reg_eval_version"] == __version__
    assert data["a"] is True and data["n"] == 3
    assert data["emb"] == {
        "role": "emb", "name": "org/model", "revision": "c0ffee", "sha256": "ab" * 32,
        "precision": "float32", "device_type": "cpu", "libraries": {"torch": "2.13.0"},
        "options": {"max_length": "512", "pooling": "mean"}, "usage": {"min_chars": "3"},
    }
    assert data["comparable_with_leaderboard"] is True
    assert data["text"] == str(sig)
    # read back: the same typed value, so the same line
    again = Signature.from_dict(data)
    assert again == sig
    assert again.model("emb") is not None and again.model("emb").setting("max_length") == "512"


def test_a_layout1_model_text_is_read_into_fields() -> None:
    text = ("/models/x@rev1|sha256:31c8be7813619b75|bfloat16|cuda|torch=2.13.0+cpu|"
            "transformers=5.24.0|max_length=256|pooling=mean|rescale0.5|clamp01")
    model = SignedModel.from_layout1_text("emb", text)
    assert model.identity == ModelIdentity(
        role="emb", name="/models/x", revision="rev1", sha256="31c8be7813619b75",
        precision="bfloat16", options=(("max_length", "256"), ("pooling", "mean")),
        device_type="cuda", libraries=(("torch", "2.13.0+cpu"), ("transformers", "5.24.0")),
    )
    assert model.usage == (("rescale0.5", "yes"), ("clamp01", "yes"))
    key = SignedModel.from_layout1_text("key", "en_core_sci_lg@0.5.4|cpu|spacy=3.7.5|min_chars=3")
    assert key.identity.revision == "0.5.4" and key.setting("min_chars") == "3"
    assert key.identity.libraries == (("spacy", "3.7.5"),)


def test_a_value_that_is_not_a_json_scalar_is_kept_as_its_text() -> None:
    from pathlib import PurePosixPath

    sig = Signature.build("x", {"folder": PurePosixPath("/m/x"), "mpp": 0.5},
                          comparable_with_leaderboard=False)
    assert sig.to_dict()["folder"] == "/m/x" and sig.to_dict()["mpp"] == 0.5
    assert sig.format().endswith("|folder:/m/x|mpp:0.5|comparable:no")
