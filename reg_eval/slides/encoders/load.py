"""Loading an encoder from what is on this machine: never the network.

`--encoder` takes `tiny`; a named entry (`uni2-h`), whose weights come from the local
Hugging Face cache; `NAME=FOLDER`, a named entry whose weights file sits in FOLDER (as
`hf download REPO --local-dir FOLDER` leaves it); any local model folder (transformers, or
timm's hub layout); or a hub name already in the local cache. Weights are hashed once and
remembered (`reg_eval.models.hashing.HashMemo`), so a rerun does not read gigabytes again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reg_eval.errors import UsageError
from reg_eval.slides.encoders.base import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    Encoder,
    Interpolation,
    Preprocess,
)
from reg_eval.slides.encoders.catalog import SILU, SWIGLU, EncoderSpec, entry_names, find_entry
from reg_eval.slides.encoders.modules import (
    TINY_DIM,
    TINY_SEED,
    attentional_encoder,
    mha_pooled_encoder,
    tiny_module,
    token_encoder,
    transformers_cls,
)

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin")
HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
TIMM_HINT = ("install the timm extra and the torchvision build made for your torch "
             "(`pip install 'reg-eval[timm]'`)")


def load_encoder(name_or_path: str, *, cache_root: Path | None = None) -> Encoder:
    """`tiny`, `NAME`, `NAME=FOLDER`, a folder, or a hub name in the local cache."""
    text = name_or_path.strip()
    if text == "tiny":
        return tiny_encoder()
    entry_name, sep, folder_text = text.partition("=")
    if sep:
        spec = find_entry(entry_name)
        if spec is None:
            raise UsageError(f"--encoder {text}: no encoder is named {entry_name!r}",
                             hint=f"NAME=FOLDER takes one of {', '.join(entry_names())}")
        folder = Path(folder_text).expanduser()
        if not folder.is_dir():
            raise UsageError(f"--encoder {text}: {folder} is not a folder",
                             hint=f"download the weights with `hf download {spec.hub_repo} "
                             f"--local-dir {folder}` on a machine with network")
        return load_named(spec, folder=folder, cache_root=cache_root)
    spec = find_entry(text)
    if spec is not None:
        return load_named(spec, cache_root=cache_root)
    path = Path(text).expanduser()
    if path.is_dir():
        return load_folder(path, cache_root=cache_root)
    if path.exists() or text.startswith((".", "/", "~")):
        raise UsageError(f"encoder {text} is not a folder",
                         hint="pass a model folder, a named encoder, or tiny")
    return load_hub_name(text, cache_root=cache_root)


def tiny_encoder() -> Encoder:
    module = tiny_module()
    return Encoder(module, TINY_DIM, "tiny", "builtin",
                   Preprocess(None, None, "bilinear", IMAGENET_MEAN, IMAGENET_STD),
                   identity={"sha256": state_sha256(module), "seed": str(TINY_SEED)})


def state_sha256(module: Any) -> str:
    """One hash over a module's parameters (for weights that live in code, like tiny's)."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _memo(cache_root: Path | None) -> Any:
    from reg_eval.cache import cache_root as run_cache_root
    from reg_eval.models.hashing import HashMemo

    return HashMemo(run_cache_root(cache_root))


def _first_file(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


# --- named entries -----------------------------------------------------------------------

def _hub_weights(spec: EncoderSpec) -> tuple[Path, str]:
    """(weights file, snapshot revision) of a named entry in the local Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    for name in spec.weight_files:
        found = try_to_load_from_cache(spec.hub_repo, name)
        if isinstance(found, str):
            return Path(found), Path(found).parent.name
    raise UsageError(
        f"encoder {spec.name}: {spec.hub_repo} is not in the local Hugging Face cache "
        "(reg-eval never downloads)",
        hint=f"on a machine with network, accept the terms at {spec.card}, log in "
        f"(`hf auth login`) and run `hf download {spec.hub_repo}`; or download it into a "
        f"folder and pass --encoder {spec.name}=FOLDER",
    )


def load_named(spec: EncoderSpec, *, folder: Path | None = None,
               cache_root: Path | None = None) -> Encoder:
    """A named entry's module with its weights, from `folder` or the local hub cache."""
    if folder is not None:
        weights = _first_file(folder, spec.weight_files)
        if weights is None:
            raise UsageError(
                f"encoder {spec.name}: {folder} holds none of {', '.join(spec.weight_files)}",
                hint=f"download it with `hf download {spec.hub_repo} --local-dir {folder}`",
            )
        identity: dict[str, str] = {}
        source = "folder"
    else:
        weights, revision = _hub_weights(spec)
        identity, source = {"revision": revision}, "hub"
    module = build_module(spec, weights=weights)
    identity = {"entry": spec.name, "hub_repo": spec.hub_repo,
                "sha256": _memo(cache_root).sha256(weights), **identity}
    return Encoder(module.eval(), spec.dim, spec.name, source, spec.preprocess,
                   spec.precision, identity)


def _import_timm(what: str) -> Any:
    try:
        import timm
    except ImportError as exc:
        raise UsageError(f"encoder {what} needs timm, which cannot be imported here ({exc})",
                         hint=TIMM_HINT) from None
    return timm


def timm_kwargs(spec: EncoderSpec) -> dict[str, Any]:
    """The card's keyword arguments with layer names turned into classes."""
    import torch

    timm = _import_timm(spec.name)
    layers = {SWIGLU: timm.layers.SwiGLUPacked, SILU: torch.nn.SiLU}
    return {k: layers.get(v, v) if isinstance(v, str) else v for k, v in spec.arch.items()}


def build_module(spec: EncoderSpec, *, weights: Path | None = None) -> Any:
    """The entry's architecture and pooling; random weights unless `weights` is given."""
    if spec.library == "transformers":
        return _build_transformers(spec, weights)
    timm = _import_timm(spec.name)
    try:
        backbone = timm.create_model(spec.architecture, pretrained=False, **timm_kwargs(spec))
    except Exception as exc:  # unknown architecture or arguments in another timm version
        raise UsageError(
            f"encoder {spec.name}: timm {timm.__version__} cannot build {spec.architecture}: "
            f"{type(exc).__name__}: {_first_line(exc)}",
            hint="install a timm version that builds the model the card describes",
        ) from None
    found = (int(backbone.embed_dim), int(backbone.num_prefix_tokens))
    if found != (spec.width, spec.prefix_tokens):
        raise UsageError(
            f"encoder {spec.name}: timm {timm.__version__} builds {spec.architecture} with "
            f"width {found[0]} and {found[1]} prefix tokens, not {spec.width} and "
            f"{spec.prefix_tokens}",
            hint="install a timm version that builds the model the card describes",
        )
    pooled = spec.pooling in ("attentional", "attentional-mha")
    if pooled:
        head = attentional_encoder if spec.pooling == "attentional" else mha_pooled_encoder
        module = head(backbone, width=spec.width, out_dim=spec.head["out_dim"],
                      heads=spec.head["heads"])
    else:
        module = token_encoder(backbone, spec.pooling, spec.prefix_tokens)
    if weights is not None:
        state = _image_tower(read_state(weights, spec.name), spec)
        strip = ""
        if pooled:
            _fit_pos_embed(state, module.trunk, "trunk.")
        else:
            strip = "backbone."
            state = {f"{strip}{k}": v for k, v in state.items()}
        _load_state(module, state, weights, spec.name, strip)
    return module


def _build_transformers(spec: EncoderSpec, weights: Path | None) -> Any:
    if weights is None:
        raise UsageError(f"encoder {spec.name} is built from its folder's config.json")
    from transformers import AutoModel

    try:
        model = AutoModel.from_pretrained(weights.parent)
    except Exception as exc:  # OSError for missing files, ValueError for configs
        raise UsageError(f"cannot load encoder {spec.name} from {weights.parent}: "
                         f"{type(exc).__name__}: {_first_line(exc)}",
                         hint=f"the folder must hold {spec.hub_repo}'s config.json and "
                         "weights") from None
    config = model.config
    if (config.model_type, config.hidden_size) != (spec.architecture, spec.width):
        raise UsageError(
            f"encoder {spec.name}: {weights.parent} holds a {config.model_type} of width "
            f"{config.hidden_size}, not the card's {spec.architecture} of width {spec.width}",
            hint=f"pass the folder of {spec.hub_repo}",
        )
    return transformers_cls(model)


def read_state(weights: Path, what: str) -> dict[str, Any]:
    """A state dict from .safetensors or a torch file (tensors only, no pickled code)."""
    try:
        if weights.suffix == ".safetensors":
            from safetensors.torch import load_file

            return dict(load_file(str(weights), device="cpu"))
        import torch

        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch and safetensors raise many kinds for a bad file
        raise UsageError(f"encoder {what}: cannot read {weights}: {type(exc).__name__}: "
                         f"{_first_line(exc)}",
                         hint="the download may be incomplete; download it again") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise UsageError(f"encoder {what}: {weights} holds no state dict")
    return state


def _image_tower(state: dict[str, Any], spec: EncoderSpec) -> dict[str, Any]:
    """The encoder's parameters out of a checkpoint that may hold a whole model."""
    if not spec.state_prefix:
        return state
    prefix = spec.state_prefix
    return {k.removeprefix(prefix): v for k, v in state.items()
            if k.startswith(prefix) and k.removeprefix(prefix).startswith(spec.state_keep)}


def _fit_pos_embed(state: dict[str, Any], trunk: Any, prefix: str) -> None:
    """Released checkpoints may store position embeddings for another input size."""
    key = f"{prefix}pos_embed"
    if key in state and tuple(state[key].shape) != tuple(trunk.pos_embed.shape):
        from timm.layers import resample_abs_pos_embed

        state[key] = resample_abs_pos_embed(
            state[key], new_size=list(trunk.patch_embed.grid_size),
            num_prefix_tokens=int(trunk.num_prefix_tokens))


def _load_state(module: Any, state: dict[str, Any], weights: Path, what: str,
                strip: str = "") -> None:
    """Every parameter from the file, and nothing else: a partial load is an error.

    `strip` is the prefix this module puts before the file's names (left out of messages).
    """
    try:
        result = module.load_state_dict(state, strict=False)
        problems = [f"missing {', '.join(result.missing_keys[:3])}"] if result.missing_keys \
            else []
        if result.unexpected_keys:
            problems.append(f"unexpected {', '.join(result.unexpected_keys[:3])}")
    except RuntimeError as exc:  # shapes that differ
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        problems = lines[1:2] or lines[:1]
    problems = [p.replace(strip, "") if strip else p for p in problems]
    if problems:
        raise UsageError(
            f"encoder {what}: the weights in {weights} do not fit its architecture "
            f"({'; '.join(problems)})",
            hint="check that the file is the one the model card names",
        )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- any folder, any hub name ------------------------------------------------------------

def load_hub_name(name: str, *, cache_root: Path | None = None) -> Encoder:
    """A hub model not in the registry, loaded from the local cache as a folder."""
    from reg_eval.models.hub import find_in_hub_cache

    repo = name.removeprefix("hf-hub:").removeprefix("hf_hub:")
    if not HUB_NAME.match(repo):
        raise UsageError(f"encoder {name} is not a named encoder, a folder or a hub name",
                         hint=f"use one of {', '.join(entry_names())}, tiny, a folder, or "
                         "ORG/NAME of a model in the local Hugging Face cache")
    found = find_in_hub_cache(repo, None)
    if found is None:
        raise UsageError(
            f"cannot load encoder {name}: it is not in the local Hugging Face cache "
            "(reg-eval never downloads)",
            hint=f"on a machine with network, log in (`hf auth login`) for gated models and "
            f"run `hf download {repo}`; or pass a local folder that holds the model",
        )
    snapshot, revision = found
    encoder = load_folder(snapshot, cache_root=cache_root, name=repo)
    encoder.source = "hub"
    encoder.identity = {**encoder.identity, "revision": revision}
    return encoder


def load_folder(folder: Path, *, cache_root: Path | None = None,
                name: str | None = None) -> Encoder:
    """Any local model folder: timm's hub layout (config.json naming an `architecture`)
    or a transformers model (its class token; input size and statistics from
    `preprocessor_config.json`, else ImageNet's)."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise UsageError(f"encoder folder {folder} has no config.json",
                         hint="pass a folder written by save_pretrained, or a named encoder "
                         f"as NAME=FOLDER ({', '.join(entry_names())})")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {config_file}: {exc}") from None
    if not isinstance(config, dict):
        raise UsageError(f"{config_file} is not a JSON object")
    weights = _first_file(folder, WEIGHT_FILES)
    identity = {} if weights is None else {"sha256": _memo(cache_root).sha256(weights)}
    label = name or str(folder)
    if "architecture" in config and "model_type" not in config:
        if weights is None:
            raise UsageError(f"encoder folder {folder} has no weights file",
                             hint=f"expected one of {', '.join(WEIGHT_FILES)}")
        module, dim, preprocess = _timm_folder(folder, config, weights, label)
    else:
        module, dim, preprocess = _transformers_folder(folder, label)
    return Encoder(module.eval(), dim, label, "folder", preprocess, identity=identity)


def _timm_folder(folder: Path, config: dict[str, Any], weights: Path,
                 label: str) -> tuple[Any, int, Preprocess]:
    timm = _import_timm(label)
    kwargs = dict(config.get("model_args") or {})
    kwargs.setdefault("num_classes", 0)
    try:
        model = timm.create_model(str(config["architecture"]), pretrained=False, **kwargs)
    except Exception as exc:  # unknown architectures, bad arguments
        raise UsageError(f"cannot build encoder {label} with timm: {type(exc).__name__}: "
                         f"{_first_line(exc)}",
                         hint="a named encoder (NAME=FOLDER) knows its card's arguments"
                         ) from None
    _load_state(model, read_state(weights, label), weights, label)
    cfg = config.get("pretrained_cfg") or {}
    side = int((cfg.get("input_size") or (3, 224, 224))[-1])
    crop_pct = float(cfg.get("crop_pct") or 1.0)
    interpolation: Interpolation = (
        "bicubic" if cfg.get("interpolation") == "bicubic" else "bilinear")
    preprocess = Preprocess(int(side / crop_pct), side, interpolation,
                            _rgb(cfg.get("mean"), IMAGENET_MEAN),
                            _rgb(cfg.get("std"), IMAGENET_STD))
    return model, int(model.num_features), preprocess


def _transformers_folder(folder: Path, label: str) -> tuple[Any, int, Preprocess]:
    from transformers import AutoConfig, AutoModel

    try:
        config = AutoConfig.from_pretrained(folder)
        model = AutoModel.from_pretrained(folder)
    except Exception as exc:  # OSError for missing files, ValueError for configs
        raise UsageError(f"cannot load encoder {label}: {type(exc).__name__}: "
                         f"{_first_line(exc)}",
                         hint="the folder must hold config.json and weights as "
                         "save_pretrained writes them") from None
    size: Any = getattr(config, "image_size", None)
    mean, std, interpolation = IMAGENET_MEAN, IMAGENET_STD, "bilinear"
    processor_file = folder / "preprocessor_config.json"
    if processor_file.is_file():
        try:
            processor = json.loads(processor_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {processor_file}: {exc}") from None
        mean = _rgb(processor.get("image_mean"), mean)
        std = _rgb(processor.get("image_std"), std)
        if processor.get("resample") == 3:  # PIL's BICUBIC
            interpolation = "bicubic"
        field = processor.get("size", size)
        if isinstance(field, dict):
            field = field.get("height") or field.get("shortest_edge")
        size = field or size
    if isinstance(size, (list, tuple)):
        size = size[0]
    dim = getattr(config, "hidden_size", None) or (getattr(config, "hidden_sizes", None)
                                                   or [None])[-1]
    if dim is None:
        raise UsageError(f"encoder {label}: its config names no hidden size")
    side = int(size) if size else None
    preprocess = Preprocess(side, side, interpolation, mean, std)
    return transformers_cls(model), int(dim), preprocess


def _rgb(value: Any, default: tuple[float, float, float]) -> tuple[float, float, float]:
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return (float(value[0]), float(value[1]), float(value[2]))
    return default
