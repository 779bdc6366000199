"""Encoders: the registry's constants, the input transform, `tiny`, folders and the hub cache.

The timm architectures are tested in test_encoders_timm.py; everything here runs without
timm.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from reg_eval.errors import UsageError
from reg_eval.slides.encoders import ENTRIES, Preprocess, find_entry, load_encoder
from reg_eval.slides.extract import BatchEncoder
from slide_files import SlideSet

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
HOPTIMUS = ((0.707223, 0.578729, 0.703617), (0.211883, 0.230117, 0.177517))
CLIP = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))

# From the model cards: hub repo, output dimension, resize side, crop side, interpolation,
# (mean, std), the card's precision.
CARDS = {
    "uni": ("MahmoodLab/UNI", 1024, 224, 224, "bilinear", IMAGENET, "float16"),
    "uni2-h": ("MahmoodLab/UNI2-h", 1536, 224, 224, "bilinear", IMAGENET, "bfloat16"),
    "conch": ("MahmoodLab/CONCH", 512, 448, 448, "bicubic", CLIP, "float32"),
    "conch-v1.5": ("MahmoodLab/conchv1_5", 768, 448, 448, "bilinear", IMAGENET, "float16"),
    "virchow2": ("paige-ai/Virchow2", 2560, 224, None, "bicubic", IMAGENET, "float16"),
    "h-optimus-0": ("bioptimus/H-optimus-0", 1536, 224, None, "bilinear", HOPTIMUS, "float16"),
    "h-optimus-1": ("bioptimus/H-optimus-1", 1536, 224, None, "bilinear", HOPTIMUS, "float16"),
    "prov-gigapath": ("prov-gigapath/prov-gigapath", 1536, 256, 224, "bicubic", IMAGENET,
                      "float16"),
    "phikon-v2": ("owkin/phikon-v2", 1024, 224, 224, "bilinear", IMAGENET, "float32"),
}


def test_registry_holds_the_cards() -> None:
    assert sorted(spec.name for spec in ENTRIES) == sorted(CARDS)
    for spec in ENTRIES:
        repo, dim, size, crop, interpolation, (mean, std), precision = CARDS[spec.name]
        assert spec.hub_repo == repo and spec.dim == dim and spec.precision == precision
        pre = spec.preprocess
        assert (pre.size, pre.crop, pre.interpolation) == (size, crop, interpolation)
        assert pre.mean == mean and pre.std == std


def test_dimension_follows_pooling() -> None:
    # Virchow2: class token and mean of patch tokens, 1280 each, register tokens left out
    virchow2 = find_entry("Virchow2")
    assert virchow2 is not None and virchow2.pooling == "cls+mean"
    assert (virchow2.width, virchow2.prefix_tokens, virchow2.dim) == (1280, 1 + 4, 2 * 1280)
    uni2 = find_entry("uni2")
    assert uni2 is not None and (uni2.pooling, uni2.width, uni2.prefix_tokens) == (
        "cls", 1536, 1 + 8)
    for spec in ENTRIES:
        assert spec.dim == spec.expected_dim(), spec.name


def test_aliases_find_entries() -> None:
    assert find_entry("UNI2-h") is find_entry("uni_v2")
    assert find_entry("conch_v15") is find_entry("conch-v1.5")
    assert find_entry("gigapath") is find_entry("prov-gigapath")
    assert find_entry("resnet50") is None


def test_normalisation_worked_values() -> None:
    import torch

    white = torch.ones(1, 3, 4, 4)
    out = Preprocess(None, None, "bilinear", HOPTIMUS[0], HOPTIMUS[1]).apply(white)
    expected = [(1 - 0.707223) / 0.211883, (1 - 0.578729) / 0.230117,
                (1 - 0.703617) / 0.177517]
    for channel, value in enumerate(expected):
        assert torch.allclose(out[0, channel], torch.full((4, 4), value), atol=1e-6)


def test_resize_shorter_side_then_centre_crop() -> None:
    import torch

    # GigaPath's card: Resize(256) then CenterCrop(224); a 512 patch becomes 256 then 224
    gigapath = find_entry("prov-gigapath")
    assert gigapath is not None
    grey = torch.full((2, 3, 512, 512), 0.5)
    out = gigapath.preprocess.apply(grey)
    assert out.shape == (2, 3, 224, 224)
    assert torch.allclose(out[:, 0], torch.full((2, 224, 224), (0.5 - 0.485) / 0.229),
                          atol=1e-5)  # resampling keeps a constant image constant
    # no resize when the short side already fits: the crop is the centre 4x4 of 6x8
    ramp = torch.arange(48.0).view(1, 1, 6, 8).expand(1, 3, 6, 8)
    crop = Preprocess(6, 4, "bilinear", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)).apply(ramp)
    assert crop[0, 0].tolist() == [[10, 11, 12, 13], [18, 19, 20, 21], [26, 27, 28, 29],
                                   [34, 35, 36, 37]]
    with pytest.raises(ValueError, match="cannot be cropped"):
        Preprocess(None, 8, "bilinear", (0.0,) * 3, (1.0,) * 3).apply(ramp)


def test_tiny_is_fixed() -> None:
    import torch

    first, second = load_encoder("tiny"), load_encoder("tiny")
    assert first.dim == 64 and first.identity == second.identity
    assert first.describe() == {"name": "tiny", "source": "builtin", "dim": 64,
                                "sha256": first.identity["sha256"], "seed": "0"}
    assert first.preprocess == Preprocess(None, None, "bilinear", *IMAGENET)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(first.module(x), second.module(x))
        assert first.module(x).shape == (2, 64)


@pytest.fixture(scope="module")
def vit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import ViTConfig, ViTModel

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, image_size=32, patch_size=8)
    folder = tmp_path_factory.mktemp("vit") / "vit"
    ViTModel(config).save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25],
        "size": {"height": 32, "width": 32}}))
    return folder


def test_local_transformers_folder(vit_folder: Path, tmp_path: Path) -> None:
    import torch

    encoder = load_encoder(str(vit_folder), cache_root=tmp_path)
    assert encoder.dim == 32 and encoder.source == "folder"
    assert encoder.preprocess == Preprocess(32, 32, "bilinear", (0.5,) * 3, (0.25,) * 3)
    weights = (vit_folder / "model.safetensors").read_bytes()
    assert encoder.identity == {"sha256": hashlib.sha256(weights).hexdigest()}
    assert encoder.describe()["transform"] == (
        "resize 32 bilinear, crop 32, mean 0.5, 0.5, 0.5, std 0.25, 0.25, 0.25")
    memo = json.loads((tmp_path / "models" / "file-hashes.json").read_text())
    assert [entry["sha256"] for entry in memo.values()] == [encoder.identity["sha256"]]
    patches = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8,
                            generator=torch.Generator().manual_seed(2))
    features = BatchEncoder(encoder, torch.device("cpu"), "float32")(patches)
    assert features.shape == (3, 32) and np.isfinite(features).all()
    # the CLS token of the last hidden state, after resizing to 32 and normalising
    from transformers import ViTModel

    model = ViTModel.from_pretrained(vit_folder).eval()
    x = torch.nn.functional.interpolate(patches.float() / 255, size=(32, 32), mode="bilinear",
                                        align_corners=False, antialias=True)
    with torch.no_grad():
        cls = model(pixel_values=(x - 0.5) / 0.25).last_hidden_state[:, 0]
    np.testing.assert_allclose(features, cls.numpy(), rtol=1e-5, atol=1e-5)


def test_bf16_autocast_stays_close(vit_folder: Path, tmp_path: Path) -> None:
    import torch

    encoder = load_encoder(str(vit_folder), cache_root=tmp_path)
    patches = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8,
                            generator=torch.Generator().manual_seed(3))
    full = BatchEncoder(encoder, torch.device("cpu"), "float32")(patches)
    half = BatchEncoder(encoder, torch.device("cpu"), "bfloat16")(patches)
    assert half.dtype == np.float32 and not np.array_equal(full, half)
    assert np.abs(full - half).max() < 0.1 * np.abs(full).max()


@pytest.fixture(scope="module")
def phikon_v2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Phikon-v2's architecture (DINOv2 ViT-L/14: width 1024, 16 heads, MLP 4096, 224
    pixels) with one layer instead of 24 and random weights."""
    import torch
    from transformers import Dinov2Config, Dinov2Model

    torch.manual_seed(0)
    config = Dinov2Config(hidden_size=1024, num_hidden_layers=1, num_attention_heads=16,
                          mlp_ratio=4, image_size=224, patch_size=14)
    folder = tmp_path_factory.mktemp("phikon") / "phikon-v2"
    Dinov2Model(config).save_pretrained(folder)
    return folder


def test_phikon_v2_from_a_folder(phikon_v2_folder: Path, tmp_path: Path) -> None:
    import torch
    from transformers import Dinov2Model

    encoder = load_encoder(f"phikon-v2={phikon_v2_folder}", cache_root=tmp_path)
    assert (encoder.name, encoder.source, encoder.dim) == ("phikon-v2", "folder", 1024)
    assert encoder.describe()["transform"] == (
        "resize 224 bilinear, crop 224, mean 0.485, 0.456, 0.406, std 0.229, 0.224, 0.225")
    weights = (phikon_v2_folder / "model.safetensors").read_bytes()
    assert encoder.identity == {"entry": "phikon-v2", "hub_repo": "owkin/phikon-v2",
                                "sha256": hashlib.sha256(weights).hexdigest()}
    patches = torch.randint(0, 256, (2, 3, 224, 224), dtype=torch.uint8,
                            generator=torch.Generator().manual_seed(4))
    features = BatchEncoder(encoder, torch.device("cpu"), "float32")(patches)
    model = Dinov2Model.from_pretrained(phikon_v2_folder).eval()
    mean = torch.tensor(IMAGENET[0]).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET[1]).view(1, 3, 1, 1)
    with torch.no_grad():
        cls = model(pixel_values=(patches / 255 - mean) / std).last_hidden_state[:, 0]
    assert features.shape == (2, 1024)
    np.testing.assert_allclose(features, cls.numpy(), rtol=1e-4, atol=1e-4)


def _fake_hub_cache(root: Path, repo: str, files: dict[str, Path]) -> str:
    """The layout the Hugging Face hub client leaves in its cache."""
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    snapshot = repo_dir / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(revision)
    for name, source in files.items():
        (snapshot / name).write_bytes(source.read_bytes())
    return revision


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face hub cache that the loaders look in."""
    import huggingface_hub.constants

    folder = tmp_path / "hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(folder))
    return folder


def test_named_entry_from_the_local_hub_cache(phikon_v2_folder: Path, tmp_path: Path,
                                              hub: Path) -> None:
    with pytest.raises(UsageError, match="not in the local Hugging Face cache") as caught:
        load_encoder("phikon-v2", cache_root=tmp_path)
    assert "hf download owkin/phikon-v2" in (caught.value.hint or "")
    assert "phikon-v2=FOLDER" in (caught.value.hint or "")
    revision = _fake_hub_cache(hub, "owkin/phikon-v2", {
        name: phikon_v2_folder / name for name in ("config.json", "model.safetensors")})
    encoder = load_encoder("Phikon-V2", cache_root=tmp_path)
    assert (encoder.source, encoder.identity["revision"]) == ("hub", revision)
    assert encoder.describe()["name"] == "phikon-v2"


def test_other_hub_names_load_from_the_cache(vit_folder: Path, tmp_path: Path,
                                             hub: Path) -> None:
    with pytest.raises(UsageError, match="cannot load encoder some-org/some-vit") as caught:
        load_encoder("some-org/some-vit", cache_root=tmp_path)
    assert "hf download some-org/some-vit" in (caught.value.hint or "")
    revision = _fake_hub_cache(hub, "some-org/some-vit", {
        name: vit_folder / name
        for name in ("config.json", "model.safetensors", "preprocessor_config.json")})
    encoder = load_encoder("some-org/some-vit", cache_root=tmp_path)
    assert (encoder.name, encoder.source, encoder.dim) == ("some-org/some-vit", "hub", 32)
    assert encoder.identity["revision"] == revision


def test_unloadable_encoders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no config\.json"):
        load_encoder(str(tmp_path / "empty"))
    with pytest.raises(UsageError, match="not a folder"):
        load_encoder(str(tmp_path / "missing"))
    with pytest.raises(UsageError, match="no encoder is named 'unii'") as caught:
        load_encoder(f"unii={tmp_path / 'empty'}")
    assert "uni2-h" in (caught.value.hint or "")
    with pytest.raises(UsageError, match=r"holds none of pytorch_model\.bin") as caught:
        load_encoder(f"uni={tmp_path / 'empty'}")
    assert "hf download MahmoodLab/UNI --local-dir" in (caught.value.hint or "")
    with pytest.raises(UsageError, match="not a named encoder, a folder or a hub name"):
        load_encoder("no such encoder")


@pytest.mark.skipif(importlib.util.find_spec("timm") is not None, reason="timm is installed")
def test_timm_entries_without_timm(tmp_path: Path) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(UsageError, match="virchow2 needs timm") as caught:
        load_encoder(f"virchow2={tmp_path}")
    assert "reg-eval[timm]" in (caught.value.hint or "")


def test_help_and_docs_list_every_entry() -> None:
    from typer.testing import CliRunner

    from reg_eval.commands.features import features_app

    result = CliRunner().invoke(features_app, ["extract", "--help"], env={"COLUMNS": "200"})
    help_text = " ".join(result.output.split())
    docs = (Path(__file__).resolve().parents[2] / "docs" / "slides.md").read_text()
    rows = {line.split("|")[1].strip().split()[0].strip("`"): line
            for line in docs.splitlines() if line.startswith("| `")}
    for spec in ENTRIES:
        assert spec.name in help_text, spec.name
        row = [cell.strip() for cell in rows[spec.name].split("|")]
        assert row[6] == str(spec.dim) and row[7] == spec.precision, spec.name
        assert f"`{spec.hub_repo}`" in row[8], spec.name


def test_extraction_records_the_named_encoder(phikon_v2_folder: Path, slide_set: SlideSet,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import h5py

    from reg_eval.slides.extract import ExtractOptions, extract_features

    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    options = ExtractOptions(encoder=f"phikon-v2={phikon_v2_folder}", patch_size=224,
                             batch_size=8, num_workers=0, device="cpu")
    result = extract_features([slide_set.good], tmp_path / "out", options)
    assert [o.status for o in result.outcomes] == ["done"]
    digest = hashlib.sha256((phikon_v2_folder / "model.safetensors").read_bytes()).hexdigest()
    assert result.signature is not None
    line = result.signature.format()
    assert "encoder:phikon-v2|" in line and f"encoder_sha256:{digest}" in line
    assert "dim:1024" in line
    with h5py.File(tmp_path / "out" / f"{slide_set.good.stem}.h5", "r") as handle:
        identity = json.loads(handle.attrs["encoder_identity"])
        assert handle["features"].shape[1] == 1024
    assert identity["entry"] == "phikon-v2" and identity["sha256"] == digest
    assert identity["hub_repo"] == "owkin/phikon-v2" and identity["source"] == "folder"
    # the weights are hashed once: the memo holds the file, a rerun only stats it
    memo = json.loads((tmp_path / "cache" / "models" / "file-hashes.json").read_text())
    assert [entry["sha256"] for entry in memo.values()] == [digest]
