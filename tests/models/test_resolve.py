"""EMB and KEY resolution: identities, offline lookups and helpful errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from models.model_fixtures import add_fake_hub_model, make_model_folder, sha256_bytes

from reg_eval.errors import UsageError
from reg_eval.models import hashing
from reg_eval.models.offline import PATTERNS_FILE
from reg_eval.models.resolve import resolve_emb, resolve_key
from reg_eval.profiles import OFFLINE_KEY, SCISPACY_LG, SCISPACY_LG_URL, ModelSpec

REPO_ROOT = Path(__file__).resolve().parents[2]


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
    real = hashing.sha256_file
    monkeypatch.setattr(hashing, "sha256_file", lambda p: hashed.append(p) or real(p))
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
from reg_eval.models.resolve import resolve_emb, resolve_key
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

