"""The cache key and the signature carry what actually ran: resolved device type,
precision, model file hash and the versions of the libraries that compute the output."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from reg_eval import identity
from reg_eval.backends import devices
from reg_eval.backends.embeddings import TransformersEmbeddingBackend
from reg_eval.backends.entities import SpacyEntityBackend
from reg_eval.backends.identity import ModelIdentity
from reg_eval.cache import FeatureCache, text_key, vector_to_bytes
from reg_eval.models import resolve_emb, resolve_key
from reg_eval.models.hashing import HashMemo
from reg_eval.models.hub import hub_snapshot_sha256
from reg_eval.profiles import ModelSpec
from reg_eval.scoring import Scorer

REPO = Path(__file__).resolve().parents[2]
TEXT = "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4)"


def _backend(folder: Path, device: str, cache: FeatureCache | None = None
             ) -> TransformersEmbeddingBackend:
    model = ModelIdentity(role="emb", name=str(folder), sha256="ab" * 32, precision="float32",
                          options=(("max_length", "512"),))
    return TransformersEmbeddingBackend(str(folder), identity=model, device=device, cache=cache)


def test_vectors_made_on_a_gpu_are_not_served_to_a_cpu_run(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    cache = FeatureCache(tmp_path)
    gpu = _backend(tiny_bert_dir, "cuda", cache)  # only its key is used: nothing loads
    cpu = _backend(tiny_bert_dir, "cpu", cache)
    assert gpu.identity.device_type == "cuda" and cpu.identity.device_type == "cpu"
    assert gpu.namespace != cpu.namespace
    planted = np.full(32, 7.0, dtype=np.float32)  # what a GPU run left in the cache
    cache.put_many(gpu.namespace, {text_key(TEXT): vector_to_bytes(planted)})
    vector = cpu.embed([TEXT])[0]
    assert not np.array_equal(vector, planted[: vector.shape[0]])
    assert cpu.stats.texts_embedded == 1  # computed, not served


def test_library_versions_are_part_of_the_key(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _backend(tiny_bert_dir, "cpu")
    before_namespace = before.namespace
    real = identity.metadata.version
    monkeypatch.setattr(
        identity.metadata, "version", lambda name: "9.9.9" if name == "torch" else real(name)
    )
    after = _backend(tiny_bert_dir, "cpu")
    assert before_namespace != after.namespace
    assert "torch=9.9.9" in after.identity.describe()
    assert dict(before.identity.libraries)["transformers"] == real("transformers")


def test_entries_of_the_old_key_layout_are_never_read(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    cache = FeatureCache(tmp_path)
    backend = _backend(tiny_bert_dir, "cpu", cache)
    model = backend.model_identity
    # The layout-1 key: a hash of the identity's first six fields, without a version.
    old_fields = {k: v for k, v in asdict(model).items() if k not in ("device_type", "libraries")}
    blob = json.dumps(old_fields, sort_keys=True, separators=(",", ":"))
    old = "emb-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]
    old_namespace = f"{old}.float32.max512.mean.v1"
    assert backend.namespace != old_namespace
    assert backend.namespace.startswith("emb-k2-")
    cache.put_many(old_namespace, {text_key(TEXT): vector_to_bytes(np.ones(32, np.float32))})
    backend.embed([TEXT])
    assert backend.stats.texts_embedded == 1


def test_auto_is_resolved_in_the_key_and_the_signature(
    tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path
) -> None:
    import torch

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert devices.resolve_device_type("auto") == expected
    assert devices.resolve_device_type("cuda:1") == "cuda"
    scorer = Scorer("offline", emb_model=str(tiny_bert_dir), key_model=str(tiny_ruler_dir),
                    metrics="official", device="auto", cache_dir=tmp_path, bootstrap=10)
    result = scorer([TEXT], [TEXT])
    signature = result.signature
    assert signature.get("device") == expected
    assert signature.get("dtype") == "float32"
    emb = signature.model("emb")
    assert emb is not None
    assert emb.identity.precision == "float32" and emb.identity.device_type == expected
    libraries = dict(emb.identity.libraries)
    assert libraries["torch"] == identity.metadata.version("torch")
    assert libraries["transformers"] == identity.metadata.version("transformers")
    assert emb.identity.sha256 is not None and len(emb.identity.sha256) == 64
    assert f"(sha256:{emb.identity.sha256[:16]},float32,{expected}," in signature.get("emb")
    key = signature.model("key")
    assert key is not None and key.identity.device_type == "cpu"
    assert dict(key.identity.libraries)["spacy"] == identity.metadata.version("spacy")
    assert key.identity.sha256 is not None and key.setting("min_chars") == "3"


def test_auto_on_a_machine_without_gpu_nodes_imports_no_torch(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from reg_eval.backends import devices\n"
        "devices._GPU_DEVICE_NODES = (sys.argv[1],)\n"
        "print(devices.resolve_device_type('auto'), 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "no-such-node")],
                          capture_output=True, text=True, cwd=REPO, check=True)
    if sys.platform.startswith("linux"):
        assert done.stdout.split() == ["cpu", "False"]
    # With a node present, torch is asked, as resolve_device asks it.
    (tmp_path / "node").touch()
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "node")],
                          capture_output=True, text=True, cwd=REPO, check=True)
    word, imported = done.stdout.split()
    assert word in ("cpu", "cuda") and imported == "True"


def test_entities_record_the_spacy_version_and_device(tiny_ruler_dir: Path) -> None:
    resolved = resolve_key(ModelSpec(kind="spacy", name=str(tiny_ruler_dir)), cache_root=None)  # type: ignore[arg-type]
    backend = SpacyEntityBackend(resolved.load, identity=resolved.identity)
    libraries = dict(backend.identity.libraries)
    assert libraries["spacy"] == identity.metadata.version("spacy")
    assert libraries["thinc"] == identity.metadata.version("thinc")
    assert backend.identity.device_type == "cpu"
    assert backend.namespace.startswith("key-k2-")


def _fake_hub(cache: Path, name: str, files: dict[str, str]) -> Path:
    """A Hugging Face cache entry: snapshot files link to blobs named by their hash."""
    repo = cache / ("models--" + name.replace("/", "--"))
    commit = "c" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for file_name, blob in files.items():
        (repo / "blobs" / blob).write_text(file_name)
        (snapshot / file_name).symlink_to(Path("../../blobs") / blob)
    return snapshot


def test_a_hub_model_is_identified_by_its_file_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    weights = "1" * 64
    snapshot = _fake_hub(tmp_path / "hub", "org/model",
                         {"config.json": "a" * 40, "model.safetensors": weights,
                          "README.md": "b" * 40})
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    resolved = resolve_emb(ModelSpec(kind="transformers", name="org/model"), precision="float32",
                           max_length=512, cache_root=tmp_path / "c")
    assert resolved.identity.revision == "c" * 40
    # One hash over (file name, blob name) of the config and weight files; README is left out.
    literal = hashlib.sha256(
        b"config.json\x00" + b"a" * 40 + b"\n" + b"model.safetensors\x00" + b"1" * 64 + b"\n"
    ).hexdigest()
    assert resolved.identity.sha256 == literal
    # Other weights under the same commit (a re-uploaded or edited cache) change the key.
    link = snapshot / "model.safetensors"
    link.unlink()
    (snapshot.parents[1] / "blobs" / ("2" * 64)).write_text("other")
    link.symlink_to(Path("../../blobs") / ("2" * 64))
    assert hub_snapshot_sha256(snapshot, HashMemo(None)) != literal


def test_an_installed_pipeline_package_is_identified_by_its_recorded_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    info = site / "fake_pipeline-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-pipeline\nVersion: 1.0\n")
    record = "fake_pipeline/model.bin,sha256=AAAA,4\nfake_pipeline-1.0.dist-info/RECORD,,\n"
    (info / "RECORD").write_text(record)
    monkeypatch.syspath_prepend(str(site))
    spec = ModelSpec(kind="spacy", name="fake_pipeline")
    first = resolve_key(spec, cache_root=tmp_path).identity
    assert first.revision == "1.0" and first.sha256 is not None
    (info / "RECORD").write_text(record.replace("AAAA", "BBBB"))
    second = resolve_key(spec, cache_root=tmp_path).identity
    assert second.sha256 is not None and second.sha256 != first.sha256
