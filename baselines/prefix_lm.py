"""`prefix-lm`: a causal language model that writes the report from a pooled slide feature.

An MLP maps the (standardised) pooled feature to `n_prefix` vectors in the LM's input
embedding space; the LM reads them as a prefix and is fine-tuned with teacher forcing on
the report tokens only (labels -100 on the prefix and on padding). Training is seeded and
resumable: the data order of each epoch is a function of (seed, epoch), and a checkpoint
holds model, optimiser, schedule and random states at an optimiser-step boundary, so a
resumed run takes exactly the steps an uninterrupted one would.

torch and transformers are imported inside functions: the rest of the package never
needs them.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.base import Baseline, check_rows
from reg_eval.errors import InvalidInputError, UsageError

DEFAULT_LM = "HuggingFaceTB/SmolLM2-135M"
CHECKPOINT_NAME = "checkpoint.pt"
STD_FLOOR = 1e-6


@dataclass(frozen=True)
class PrefixLMConfig:
    lm: str = DEFAULT_LM  # any transformers causal LM, by hub name or local path
    n_prefix: int = 8
    mlp_hidden: int = 1024
    epochs: int = 1
    max_steps: int | None = None  # stop after this many optimiser steps (all epochs)
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 1e-3  # the feature-to-prefix MLP
    lm_lr: float = 5e-5  # the language model; 0 freezes it
    weight_decay: float = 0.01
    warmup_steps: int = 20
    max_grad_norm: float = 1.0
    max_report_tokens: int = 192
    max_new_tokens: int = 192
    num_beams: int = 1  # 1: greedy
    generate_batch_size: int = 16
    seed: int = 0
    checkpoint_dir: str | None = None
    checkpoint_every: int = 0  # optimiser steps between checkpoints; 0: only at the end
    resume: bool = True  # continue from checkpoint_dir/checkpoint.pt when it exists
    device: str = "auto"
    progress: bool = False  # a progress bar on stderr: loss, tokens/s, ETA

    def check(self) -> None:
        positive = ("n_prefix", "mlp_hidden", "epochs", "batch_size", "grad_accum",
                    "max_report_tokens", "max_new_tokens", "num_beams", "generate_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise UsageError(f"prefix-lm option {name} = {getattr(self, name)}: must be >= 1")
        if self.lr <= 0 or self.lm_lr < 0:
            raise UsageError("prefix-lm learning rates: lr must be > 0 and lm_lr >= 0")


def resolve_device(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise UsageError(f"--device {name!r}: {exc}", hint="use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {name}: no CUDA device here", hint="use --device cpu")
    return device


def load_lm(name: str) -> tuple[Any, Any]:
    """A causal LM and its tokenizer, from a local path or the offline cache."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, dtype="float32")
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot load the language model {name!r}: {exc}",
            hint="give a local folder with --lm, or place the model in the Hugging Face cache",
        ) from None
    return model, tokenizer


def warmup_linear(step: int, warmup: int, total: int) -> float:
    """Learning-rate factor: linear rise over `warmup` steps, then linear decay to 0."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def _build_mlp(dim: int, hidden: int, n_prefix: int, width: int) -> Any:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(dim, hidden),
        torch.nn.GELU(),
        torch.nn.Linear(hidden, n_prefix * width),
    )


class PrefixLMBaseline(Baseline):
    name = "prefix-lm"

    def __init__(
        self, config: PrefixLMConfig | None = None, *, lm: Any = None, tokenizer: Any = None
    ) -> None:
        self.config = config or PrefixLMConfig()
        self.config.check()
        if (lm is None) != (tokenizer is None):
            raise UsageError("pass both lm and tokenizer, or neither")
        self.lm = lm
        self.tokenizer = tokenizer
        self.mlp: Any = None
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.loss_history: list[float] = []  # one token-weighted loss per optimiser step
        self.tokens_seen = 0

    # -- set-up --------------------------------------------------------------------------

    def _ensure_lm(self) -> None:
        if self.lm is None:
            self.lm, self.tokenizer = load_lm(self.config.lm)
        if self.tokenizer.eos_token_id is None:
            raise UsageError(
                f"the tokenizer of {self.config.lm} has no end-of-sequence token",
                hint="choose a causal LM whose tokenizer defines eos_token",
            )

    @property
    def _width(self) -> int:
        return int(self.lm.get_input_embeddings().weight.shape[1])

    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)

    def _standardised(self, features: np.ndarray) -> Any:
        import torch

        assert self.mean is not None and self.scale is not None
        rows = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return torch.from_numpy(rows.astype(np.float32))

    def _tokenise(self, reports: Sequence[str]) -> list[list[int]]:
        eos = int(self.tokenizer.eos_token_id)
        encoded = self.tokenizer(list(reports), add_special_tokens=False)["input_ids"]
        return [[*ids[: self.config.max_report_tokens - 1], eos] for ids in encoded]

    def _autocast(self, device: Any) -> Any:
        import torch

        if device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _prefix(self, rows: Any) -> Any:
        return self.mlp(rows).view(rows.shape[0], self.config.n_prefix, self._width)

    # -- training ------------------------------------------------------------------------

    def _micro_batches(self, n: int, epoch: int) -> list[list[int]]:
        import torch

        generator = torch.Generator().manual_seed(self.config.seed * 100_003 + epoch)
        order = torch.randperm(n, generator=generator).tolist()
        size = self.config.batch_size
        return [order[i : i + size] for i in range(0, n, size)]

    def _batch(self, rows: Any, tokens: list[list[int]], device: Any) -> dict[str, Any]:
        import torch

        k = self.config.n_prefix
        longest = max(len(t) for t in tokens)
        ids = torch.full((len(tokens), longest), self._pad_id(), dtype=torch.long)
        labels = torch.full((len(tokens), k + longest), -100, dtype=torch.long)
        mask = torch.zeros((len(tokens), k + longest), dtype=torch.long)
        for i, seq in enumerate(tokens):
            ids[i, : len(seq)] = torch.tensor(seq)
            labels[i, k : k + len(seq)] = torch.tensor(seq)
            mask[i, : k + len(seq)] = 1
        return {"rows": rows.to(device), "ids": ids.to(device), "labels": labels.to(device),
                "mask": mask.to(device)}

    def _loss(self, batch: dict[str, Any], device: Any) -> Any:
        import torch

        with self._autocast(device):
            tokens = self.lm.get_input_embeddings()(batch["ids"])
            embeds = torch.cat([self._prefix(batch["rows"]).to(tokens.dtype), tokens], dim=1)
            out = self.lm(inputs_embeds=embeds, attention_mask=batch["mask"],
                          labels=batch["labels"])
        return out.loss.float()

    def fit(self, ids: Sequence[str], features: np.ndarray, reports: Sequence[str]) -> None:
        import torch

        check_rows(ids, features, reports)
        cfg = self.config
        self._ensure_lm()
        device = resolve_device(cfg.device)
        torch.manual_seed(cfg.seed)
        train = np.asarray(features, dtype=np.float64)
        self.mean = train.mean(axis=0)
        std = train.std(axis=0)
        self.scale = np.where(std > STD_FLOOR, std, 1.0)
        rows = self._standardised(train)
        tokens = self._tokenise(reports)
        self.mlp = _build_mlp(train.shape[1], cfg.mlp_hidden, cfg.n_prefix, self._width)
        self.mlp.to(device)
        self.lm.to(device)
        for param in self.lm.parameters():
            param.requires_grad_(cfg.lm_lr > 0)
        groups = [{"params": list(self.mlp.parameters()), "lr": cfg.lr}]
        if cfg.lm_lr > 0:
            groups.append({"params": list(self.lm.parameters()), "lr": cfg.lm_lr})
        optimiser = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
        n_micro = math.ceil(len(tokens) / cfg.batch_size)
        steps_per_epoch = math.ceil(n_micro / cfg.grad_accum)
        total = steps_per_epoch * cfg.epochs
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: warmup_linear(step, cfg.warmup_steps, total)
        )
        start = self._maybe_resume(optimiser, schedule)
        stop = total if cfg.max_steps is None else min(total, cfg.max_steps)
        self.mlp.train()
        self.lm.train()
        for step in self._progress(range(start, stop), total=stop, initial=start):
            epoch, local = divmod(step, steps_per_epoch)
            micro = self._micro_batches(len(tokens), epoch)
            group = micro[local * cfg.grad_accum : (local + 1) * cfg.grad_accum]
            n_tokens = sum(len(tokens[i]) for batch in group for i in batch)
            optimiser.zero_grad(set_to_none=True)
            step_loss = 0.0
            for batch_index in group:
                batch = self._batch(rows[batch_index], [tokens[i] for i in batch_index], device)
                share = sum(len(tokens[i]) for i in batch_index) / n_tokens
                loss = self._loss(batch, device) * share
                loss.backward()
                step_loss += float(loss.detach())
            params = [p for g in groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            optimiser.step()
            schedule.step()
            self.loss_history.append(step_loss)
            self.tokens_seen += n_tokens
            done = step + 1
            if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done < stop:
                self.save_checkpoint(optimiser, schedule, done)
        if cfg.checkpoint_dir is not None:
            self.save_checkpoint(optimiser, schedule, stop)

    def _progress(self, steps: range, *, total: int, initial: int) -> Iterator[int]:
        if not self.config.progress:
            yield from steps
            return
        from tqdm import tqdm

        started, tokens_before = time.perf_counter(), self.tokens_seen
        with tqdm(total=total, initial=initial, unit="step", desc="prefix-lm train") as bar:
            for step in steps:
                yield step
                rate = (self.tokens_seen - tokens_before) / (time.perf_counter() - started)
                bar.set_postfix(loss=f"{self.loss_history[-1]:.3f}", tok_s=f"{rate:.0f}")
                bar.update(1)

    # -- checkpoints ---------------------------------------------------------------------

    def _checkpoint_path(self) -> Path | None:
        if self.config.checkpoint_dir is None:
            return None
        return Path(self.config.checkpoint_dir) / CHECKPOINT_NAME

    def save_checkpoint(self, optimiser: Any, schedule: Any, step: int) -> Path:
        """Everything a resumed run needs, written atomically."""
        import torch

        path = self._checkpoint_path()
        if path is None:
            raise UsageError("no checkpoint folder configured")
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "step": step,
            "config": asdict(self.config),
            "mean": self.mean,
            "scale": self.scale,
            "mlp": self.mlp.state_dict(),
            "lm": self.lm.state_dict(),
            "optimiser": optimiser.state_dict(),
            "schedule": schedule.state_dict(),
            "loss_history": list(self.loss_history),
            "tokens_seen": self.tokens_seen,
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                torch.save(state, handle)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path

    def _maybe_resume(self, optimiser: Any, schedule: Any) -> int:
        import torch

        path = self._checkpoint_path()
        if path is None or not self.config.resume or not path.is_file():
            return 0
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:  # torch raises many kinds for a bad file
            raise UsageError(
                f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}",
                hint="delete it to start afresh",
            ) from None
        mismatch = self._config_mismatch(state.get("config", {}))
        if mismatch:
            raise UsageError(
                f"checkpoint {path} was made with {mismatch}",
                hint="use the same options to resume, or another checkpoint folder",
            )
        self.mlp.load_state_dict(state["mlp"])
        self.lm.load_state_dict(state["lm"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        self.loss_history = list(state["loss_history"])
        self.tokens_seen = int(state["tokens_seen"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return int(state["step"])

    def _config_mismatch(self, saved: dict[str, Any]) -> str:
        """Options that change the training trajectory must match to resume."""
        fixed = ("lm", "n_prefix", "mlp_hidden", "epochs", "batch_size", "grad_accum", "lr",
                 "lm_lr", "weight_decay", "warmup_steps", "max_report_tokens", "seed")
        current = asdict(self.config)
        diffs = [f"{k}={saved.get(k)!r} (now {current[k]!r})" for k in fixed
                 if saved.get(k) != current[k]]
        return ", ".join(diffs)

    # -- generation ----------------------------------------------------------------------

    def generate(self, ids: Sequence[str], features: np.ndarray) -> list[str]:
        import torch

        check_rows(ids, features, None)
        if self.mlp is None or self.mean is None:
            raise UsageError("the prefix-lm baseline was not fitted", hint="call fit first")
        if features.shape[1] != self.mean.shape[0]:
            raise InvalidInputError(
                f"features have dimension {features.shape[1]}; training had {self.mean.shape[0]}"
            )
        cfg = self.config
        device = next(self.mlp.parameters()).device
        rows = self._standardised(features)
        self.mlp.eval()
        self.lm.eval()
        texts: list[str] = []
        with torch.no_grad():
            starts = range(0, len(ids), cfg.generate_batch_size)
            if cfg.progress:
                from tqdm import tqdm

                starts = tqdm(starts, unit="batch", desc="prefix-lm generate")
            for start in starts:
                batch = rows[start : start + cfg.generate_batch_size].to(device)
                with self._autocast(device):
                    embedding_dtype = self.lm.get_input_embeddings().weight.dtype
                    prefix = self._prefix(batch).to(embedding_dtype)
                    mask = torch.ones(prefix.shape[:2], dtype=torch.long, device=device)
                    out = self.lm.generate(
                        inputs_embeds=prefix, attention_mask=mask,
                        max_new_tokens=cfg.max_new_tokens, num_beams=cfg.num_beams,
                        do_sample=False, eos_token_id=self.tokenizer.eos_token_id,
                        pad_token_id=self._pad_id(),
                    )
                texts.extend(
                    self.tokenizer.decode(seq, skip_special_tokens=True,
                                          clean_up_tokenization_spaces=False)
                    for seq in out.tolist()
                )
        return texts
