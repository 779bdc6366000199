"""`prefix-lm`: a causal language model that writes the report from a pooled slide feature.

An MLP maps the (standardised) pooled feature to `n_prefix` vectors in the LM's input
embedding space; the LM reads them as a prefix and is fine-tuned with teacher forcing on
the report tokens only (labels -100 on the prefix and on padding).

The loop runs under Hugging Face Accelerate: `accelerate launch` spreads it over several
GPUs or machines (each process takes every N-th micro-batch; DDP averages the gradients),
bf16 autocast is on on CUDA (`autocast_dtype`, checked by `reg_eval.backends.devices`), and
gradient accumulation uses `accelerator.accumulate`.
Training is seeded and resumable: the data order of each epoch is a function of
(seed, epoch), and a checkpoint holds model, optimiser, schedule and random states at an
optimiser-step boundary, so a resumed run takes exactly the steps an uninterrupted one
would.

torch, transformers and accelerate are imported inside functions: the rest of the package
never needs them.
"""

from __future__ import annotations

import math
import pickle
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.backends.devices import check_device_name
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.writers import atomic_file
from reg_eval_baselines.base import Baseline, check_rows
from reg_eval_baselines.lm_source import (
    DEFAULT_LM,
    LMReference,
    check_same_lm,
    keep_first_layers,
    load_lm,
    resolve_lm,
)
from reg_eval_baselines.state_files import read_state_json, write_state_json

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 2
"""2: mean and scale as tensors, so the file loads with torch.load(weights_only=True)."""
LM_REFERENCE_FILE = "lm.json"
STD_FLOOR = 1e-6
TRAJECTORY_FIELDS = (
    "lm", "lm_layers", "n_prefix", "mlp_hidden", "epochs", "batch_size", "grad_accum", "lr",
    "lm_lr", "weight_decay", "warmup_steps", "max_grad_norm", "max_report_tokens", "seed",
)


@dataclass(frozen=True)
class PrefixLMConfig:
    lm: str = DEFAULT_LM  # "offline" (SmolLM2-135M), a model folder, or a cached hub name
    lm_layers: int | None = None  # keep only the first N decoder blocks (small CPU runs)
    n_prefix: int = 8
    mlp_hidden: int = 1024
    epochs: int = 1
    max_steps: int | None = None  # stop after this many optimiser steps (all epochs)
    batch_size: int = 8  # per process and micro-batch
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
    progress: bool = False  # progress bars on stderr: loss, tokens/s, ETA

    def check(self) -> None:
        positive = ("n_prefix", "mlp_hidden", "epochs", "batch_size", "grad_accum",
                    "max_report_tokens", "max_new_tokens", "num_beams", "generate_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise UsageError(f"prefix-lm option {name} = {getattr(self, name)}: must be >= 1")
        if self.lm_layers is not None and self.lm_layers < 1:
            raise UsageError(f"--lm-layers {self.lm_layers}: must be >= 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise UsageError(f"--max-steps {self.max_steps}: must be >= 1")
        if self.lr <= 0 or self.lm_lr < 0:
            raise UsageError("prefix-lm learning rates: lr must be > 0 and lm_lr >= 0")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PrefixLMConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def resolve_device(name: str) -> Any:
    """The torch device for --device (auto, cpu, cuda, cuda:N), checked as every command
    checks it (`reg_eval.backends.devices`)."""
    from reg_eval.backends.devices import torch_device

    return torch_device(name)


def autocast_dtype(device: Any) -> Any:
    """The precision of training and generation on `device` (a torch device): float32 on
    the CPU, exact and reproducible; bfloat16 autocast on CUDA, checked by
    `reg_eval.backends.devices.resolve_dtype` (a GPU without bfloat16 is refused)."""
    from reg_eval.backends.devices import resolve_dtype, torch_dtype

    if device.type == "cpu":
        return torch_dtype("float32")
    try:
        return resolve_dtype("bfloat16", str(device))
    except UsageError as exc:
        raise UsageError(
            f"prefix-lm trains in bfloat16 mixed precision on CUDA: {exc.message}",
            hint="use --device cpu, or a GPU with bfloat16 (NVIDIA Ampere or newer)",
        ) from None


def make_accelerator(device: str, grad_accum: int) -> Any:
    """Mixed precision as `autocast_dtype` says (none on the CPU); `accelerate launch` sets
    the processes."""
    import torch
    from accelerate import Accelerator

    chosen = resolve_device(device)
    dtype = autocast_dtype(chosen)
    mixed = {torch.float32: "no", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]
    return Accelerator(
        cpu=chosen.type == "cpu", mixed_precision=mixed, gradient_accumulation_steps=grad_accum,
    )


def warmup_linear(step: int, warmup: int, total: int) -> float:
    """Learning-rate factor: linear rise over `warmup` steps, then linear decay to 0."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The order of the training cases in one epoch: a function of (seed, epoch) only."""
    import torch

    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=generator).tolist()


class PrefixLMBaseline(Baseline):
    name = "prefix-lm"

    def __init__(
        self, config: PrefixLMConfig | None = None, *, lm: Any = None, tokenizer: Any = None
    ) -> None:
        self.config = config or PrefixLMConfig()
        self.config.check()
        check_device_name(self.config.device)
        if (lm is None) != (tokenizer is None):
            raise UsageError("pass both lm and tokenizer, or neither")
        self.lm = lm
        self.tokenizer = tokenizer
        self.lm_reference: LMReference | None = None
        self.module: Any = None  # reg_eval_baselines.prefix_model.PrefixModel
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.loss_history: list[float] = []  # mean loss per report token, per optimiser step
        self.metrics: list[dict[str, Any]] = []  # one row per step and per finished epoch
        self.tokens_seen = 0
        self.start_step = 0  # where the last fit began: > 0 after a resume
        self.generated_tokens = 0  # by the last generate call, end-of-sequence included

    # -- set-up --------------------------------------------------------------------------

    def _ensure_lm(self) -> None:
        if self.lm is None:
            self.lm_reference = resolve_lm(self.config.lm)
            self.lm, self.tokenizer = load_lm(self.lm_reference, progress=self.config.progress)
            if self.config.lm_layers is not None:
                keep_first_layers(self.lm, self.config.lm_layers)
        if self.tokenizer.eos_token_id is None:
            raise UsageError(
                f"the tokenizer of {self.config.lm} has no end-of-sequence token",
                hint="choose a causal LM whose tokenizer defines eos_token",
            )

    @property
    def mlp(self) -> Any:
        return None if self.module is None else self.module.mlp

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

    def _build_module(self, dim: int) -> Any:
        from reg_eval_baselines.prefix_model import PrefixModel

        return PrefixModel(self.lm, dim, self.config.mlp_hidden, self.config.n_prefix)

    # -- training ------------------------------------------------------------------------

    def _collate(self, rows: Any, tokens: list[list[int]]) -> Any:
        """Batch builder for the DataLoader: items are case indices."""
        import torch

        k, pad = self.config.n_prefix, self._pad_id()

        def collate(indices: list[int]) -> dict[str, Any]:
            seqs = [tokens[i] for i in indices]
            longest = max(len(t) for t in seqs)
            ids = torch.full((len(seqs), longest), pad, dtype=torch.long)
            labels = torch.full((len(seqs), k + longest), -100, dtype=torch.long)
            mask = torch.zeros((len(seqs), k + longest), dtype=torch.long)
            for i, seq in enumerate(seqs):
                ids[i, : len(seq)] = torch.tensor(seq)
                labels[i, k : k + len(seq)] = torch.tensor(seq)
                mask[i, : k + len(seq)] = 1
            return {"rows": rows[indices], "ids": ids, "labels": labels, "mask": mask}

        return collate

    def fit(self, ids: Sequence[str], features: np.ndarray, reports: Sequence[str]) -> None:
        import torch
        from accelerate.utils import set_seed
        from torch.utils.data import DataLoader

        check_rows(ids, features, reports)
        cfg = self.config
        self._ensure_lm()
        accelerator = make_accelerator(cfg.device, cfg.grad_accum)
        set_seed(cfg.seed)
        train = np.asarray(features, dtype=np.float64)
        self.mean = train.mean(axis=0)
        std = train.std(axis=0)
        self.scale = np.where(std > STD_FLOOR, std, 1.0)
        rows = self._standardised(train)
        tokens = self._tokenise(reports)
        # one normaliser for the whole run: every report token weighs the same
        norm = cfg.batch_size * float(np.mean([len(t) for t in tokens]))
        self.module = self._build_module(train.shape[1])
        for param in self.lm.parameters():
            param.requires_grad_(cfg.lm_lr > 0)
        groups = [{"params": list(self.module.mlp.parameters()), "lr": cfg.lr}]
        if cfg.lm_lr > 0:
            groups.append({"params": list(self.lm.parameters()), "lr": cfg.lm_lr})
        optimiser = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
        n_proc = accelerator.num_processes
        micro_per_process = math.ceil(math.ceil(len(tokens) / cfg.batch_size) / n_proc)
        steps_per_epoch = math.ceil(micro_per_process / cfg.grad_accum)
        total = steps_per_epoch * cfg.epochs
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: warmup_linear(step, cfg.warmup_steps, total)
        )
        start = self._maybe_resume(optimiser, schedule)
        self.start_step = start
        stop = total if cfg.max_steps is None else min(total, cfg.max_steps)
        # the schedule stays unprepared: it counts optimiser steps, whatever the processes
        module, optimiser = accelerator.prepare(self.module, optimiser)
        module.train()
        bar = self._bar(accelerator, total=stop, initial=start, unit="step",
                        desc="prefix-lm train")
        collate = self._collate(rows, tokens)
        step, started = start, time.perf_counter()
        per_micro = cfg.grad_accum * n_proc
        for epoch in range(start // steps_per_epoch, math.ceil(stop / steps_per_epoch)):
            first = step - epoch * steps_per_epoch
            last = min(stop - epoch * steps_per_epoch, steps_per_epoch)
            order = epoch_order(len(tokens), cfg.seed, epoch)
            micro = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
            loader = accelerator.prepare_data_loader(DataLoader(
                range(len(tokens)), batch_sampler=micro[first * per_micro : last * per_micro],
                collate_fn=collate,
            ))
            epoch_started, epoch_tokens, epoch_loss = time.perf_counter(), 0, 0.0
            group_loss = torch.zeros((), device=accelerator.device)
            group_tokens = torch.zeros((), device=accelerator.device)
            step_started = time.perf_counter()
            for batch in loader:
                with accelerator.accumulate(module):
                    loss_sum, n_tokens = module(**batch)
                    accelerator.backward(loss_sum / norm)
                    group_loss += loss_sum.detach()
                    group_tokens += n_tokens
                    if not accelerator.sync_gradients:
                        continue
                    accelerator.clip_grad_norm_(module.parameters(), cfg.max_grad_norm)
                    optimiser.step()
                    schedule.step()
                    optimiser.zero_grad(set_to_none=True)
                totals = accelerator.reduce(torch.stack([group_loss, group_tokens]), "sum")
                step_loss, step_tokens = float(totals[0] / totals[1]), int(totals[1])
                group_loss.zero_()
                group_tokens.zero_()
                step += 1
                now = time.perf_counter()
                self._record_step(step, epoch, step_loss, step_tokens, now - step_started,
                                  now - started, schedule.get_last_lr()[0])
                step_started = now
                epoch_tokens += step_tokens
                epoch_loss += step_loss * step_tokens
                if bar is not None:
                    rate = self.metrics[-1]["tokens_per_s"] or 0.0
                    bar.set_postfix(loss=f"{step_loss:.3f}", tok_s=f"{rate:.0f}")
                    bar.update(1)
                if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < stop:
                    self._save(accelerator, optimiser, schedule, step)
            seconds = time.perf_counter() - epoch_started
            self.metrics.append({
                "epoch_end": epoch, "steps": step, "epoch_complete": last == steps_per_epoch,
                "loss": epoch_loss / max(1, epoch_tokens), "tokens": epoch_tokens,
                "seconds": round(seconds, 3),
                "tokens_per_s": round(epoch_tokens / seconds, 1) if seconds > 0 else None,
            })
        if bar is not None:
            bar.close()
        self.module = accelerator.unwrap_model(module)
        if cfg.checkpoint_dir is not None:
            self._save(accelerator, optimiser, schedule, stop)

    def _record_step(self, step: int, epoch: int, loss: float, tokens: int, seconds: float,
                     elapsed: float, lr: float) -> None:
        self.loss_history.append(loss)
        self.tokens_seen += tokens
        self.metrics.append({
            "step": step, "epoch": epoch, "loss": loss, "tokens": tokens, "lr": lr,
            "tokens_per_s": round(tokens / seconds, 1) if seconds > 0 else None,
            "elapsed_s": round(elapsed, 3),
        })

    def _bar(self, accelerator: Any, **options: Any) -> Any:
        if not self.config.progress or not accelerator.is_local_main_process:
            return None
        from tqdm import tqdm

        return tqdm(dynamic_ncols=True, **options)

    # -- checkpoints ---------------------------------------------------------------------

    def _checkpoint_path(self) -> Path | None:
        if self.config.checkpoint_dir is None:
            return None
        return Path(self.config.checkpoint_dir) / CHECKPOINT_NAME

    def _save(self, accelerator: Any, optimiser: Any, schedule: Any, step: int) -> None:
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            self.save_checkpoint(optimiser, schedule, step,
                                 module=accelerator.unwrap_model(self.module))
        accelerator.wait_for_everyone()

    def save_checkpoint(self, optimiser: Any, schedule: Any, step: int, *,
                        module: Any = None, path: Path | None = None) -> Path:
        """Everything a resumed run (or generation) needs, written atomically. A frozen LM
        (lm_lr 0) is not copied: the run's LM reference names it."""
        import torch

        path = path or self._checkpoint_path()
        if path is None:
            raise UsageError("no checkpoint folder configured")
        module = module if module is not None else self.module
        path.parent.mkdir(parents=True, exist_ok=True)
        # Only tensors, numbers, strings, lists and dicts: what torch.load(weights_only=True)
        # reads back without running code from the file.
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self.config).items()}
        state = {
            "format": CHECKPOINT_FORMAT,
            "step": step,
            "config": config,
            "mean": None if self.mean is None else torch.from_numpy(np.asarray(self.mean)),
            "scale": None if self.scale is None else torch.from_numpy(np.asarray(self.scale)),
            "dim": int(self.mean.shape[0]) if self.mean is not None else None,
            "mlp": module.mlp.state_dict(),
            "lm": module.lm.state_dict() if self.config.lm_lr > 0 else None,
            "optimiser": optimiser.state_dict() if optimiser is not None else None,
            "schedule": schedule.state_dict() if schedule is not None else None,
            "loss_history": list(self.loss_history),
            "metrics": list(self.metrics),
            "tokens_seen": self.tokens_seen,
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }
        with atomic_file(path, force=True) as handle:
            torch.save(state, handle)
        return path

    def save(self, run_dir: Path) -> list[Path]:
        """The checkpoint (already there when training wrote it into `run_dir`) and the
        reference of the LM it builds on."""
        if self.module is None or self.mean is None:
            raise UsageError("the prefix-lm baseline was not fitted", hint="call fit first")
        target = run_dir / CHECKPOINT_NAME
        current = self._checkpoint_path()
        if current is None or not target.is_file() or current.resolve() != target.resolve():
            self.save_checkpoint(None, None, len(self.loss_history), path=target)
        reference = (self.lm_reference.to_dict() if self.lm_reference is not None else
                     {"requested": self.config.lm, "name": self.config.lm, "path": None,
                      "source": "given", "revision": None, "sha256": None})
        return [target, write_state_json(run_dir / LM_REFERENCE_FILE, reference)]

    @classmethod
    def load(cls, run_dir: Path, options: dict[str, Any]) -> PrefixLMBaseline:
        recorded = read_state_json(run_dir / LM_REFERENCE_FILE)
        model = cls.from_checkpoint(run_dir / CHECKPOINT_NAME, overrides=options)
        if model.lm_reference is not None:
            check_same_lm(recorded, model.lm_reference, run_dir)
        return model

    @staticmethod
    def read_checkpoint(path: Path) -> dict[str, Any]:
        """The checkpoint's state, read without running code from the file.

        `weights_only=True` unpickles tensors, numbers, strings and containers only (plus
        numpy arrays, which checkpoints of earlier versions hold), so a run folder from
        someone else cannot execute anything here; a file that needs more is refused.
        """
        import torch

        try:
            with torch.serialization.safe_globals(_numpy_array_globals()):
                state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise UsageError(f"checkpoint {path} is missing",
                             hint="train the run again: reg-eval baseline train ...") from None
        except pickle.UnpicklingError as exc:
            detail = (str(exc).strip().splitlines() or [""])[0]
            raise UsageError(
                f"checkpoint {path} holds objects other than tensors, numbers and text, so it "
                f"was not loaded (it could run code): {detail}",
                hint="only load run folders you trust to be written by reg-eval; train the run "
                "again to get a checkpoint that loads safely",
            ) from None
        except Exception as exc:  # torch raises many kinds for a bad file
            raise UsageError(
                f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}",
                hint="delete it to start afresh",
            ) from None
        if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
            raise UsageError(f"checkpoint {path} is not a prefix-lm checkpoint",
                             hint="train the run again: reg-eval baseline train ...")
        for name in ("mean", "scale"):
            if isinstance(state.get(name), torch.Tensor):
                state[name] = state[name].numpy()
        return state

    def _maybe_resume(self, optimiser: Any, schedule: Any) -> int:
        import torch

        path = self._checkpoint_path()
        if path is None or not self.config.resume or not path.is_file():
            return 0
        state = self.read_checkpoint(path)
        mismatch = self._config_mismatch(state.get("config", {}))
        if mismatch:
            raise UsageError(
                f"checkpoint {path} was made with {mismatch}",
                hint="use the same options to resume, or another checkpoint folder",
            )
        self.module.mlp.load_state_dict(state["mlp"])
        if state["lm"] is not None:
            self.lm.load_state_dict(state["lm"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        self.loss_history = list(state["loss_history"])
        self.metrics = list(state.get("metrics", []))
        self.tokens_seen = int(state["tokens_seen"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return int(state["step"])

    def _config_mismatch(self, saved: dict[str, Any]) -> str:
        """Options that change the training trajectory must match to resume."""
        current = asdict(self.config)
        diffs = [f"{k}={saved.get(k)!r} (now {current[k]!r})" for k in TRAJECTORY_FIELDS
                 if saved.get(k) != current[k]]
        return ", ".join(diffs)

    @classmethod
    def from_checkpoint(
        cls, path: Path, *, overrides: dict[str, Any] | None = None, lm: Any = None,
        tokenizer: Any = None,
    ) -> PrefixLMBaseline:
        """A fitted model for generation; `overrides` sets generation options (device,
        beams, max_new_tokens, generate_batch_size, progress)."""
        state = cls.read_checkpoint(path)
        values = {**state["config"], **(overrides or {}), "checkpoint_dir": None}
        model = cls(PrefixLMConfig.from_dict(values), lm=lm, tokenizer=tokenizer)
        model._ensure_lm()
        model.mean, model.scale = state["mean"], state["scale"]
        model.module = model._build_module(int(state["mean"].shape[0]))
        model.module.mlp.load_state_dict(state["mlp"])
        if state["lm"] is not None:
            model.lm.load_state_dict(state["lm"])
        model.loss_history = list(state["loss_history"])
        model.metrics = list(state.get("metrics", []))
        model.tokens_seen = int(state["tokens_seen"])
        model.module.to(resolve_device(model.config.device))
        return model

    # -- generation ----------------------------------------------------------------------

    def generate(self, ids: Sequence[str], features: np.ndarray) -> list[str]:
        import contextlib

        import torch

        check_rows(ids, features, None)
        if self.module is None or self.mean is None:
            raise UsageError("the prefix-lm baseline was not fitted", hint="call fit first")
        if features.shape[1] != self.mean.shape[0]:
            raise InvalidInputError(
                f"features have dimension {features.shape[1]}; training had {self.mean.shape[0]}"
            )
        cfg = self.config
        device = next(self.module.parameters()).device
        rows = self._standardised(features)
        self.module.eval()
        eos = int(self.tokenizer.eos_token_id)
        texts: list[str] = []
        bar = None
        if cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), unit="report", desc="prefix-lm generate",
                       dynamic_ncols=True)
        started, n_tokens = time.perf_counter(), 0
        dtype = autocast_dtype(device)
        autocast = (torch.autocast(device.type, dtype=dtype) if dtype is not torch.float32
                    else contextlib.nullcontext())
        with torch.no_grad():
            for start in range(0, len(ids), cfg.generate_batch_size):
                batch = rows[start : start + cfg.generate_batch_size].to(device)
                with autocast:
                    embedding_dtype = self.lm.get_input_embeddings().weight.dtype
                    prefix = self.module.prefix(batch).to(embedding_dtype)
                    mask = torch.ones(prefix.shape[:2], dtype=torch.long, device=device)
                    out = self.lm.generate(
                        inputs_embeds=prefix, attention_mask=mask,
                        max_new_tokens=cfg.max_new_tokens, num_beams=cfg.num_beams,
                        do_sample=False, eos_token_id=eos, pad_token_id=self._pad_id(),
                    )
                for seq in out.tolist():
                    n_tokens += seq.index(eos) + 1 if eos in seq else len(seq)
                    texts.append(self.tokenizer.decode(
                        seq, skip_special_tokens=True, clean_up_tokenization_spaces=False))
                if bar is not None:
                    rate = n_tokens / max(1e-9, time.perf_counter() - started)
                    bar.set_postfix(tok_s=f"{rate:.0f}")
                    bar.update(len(batch))
        if bar is not None:
            bar.close()
        self.generated_tokens = n_tokens
        return texts


def _numpy_array_globals() -> list[Any]:
    """What unpickling a float numpy array needs (checkpoints written before format 2);
    these build arrays of numbers only and cannot call anything else."""
    from numpy.core.multiarray import _reconstruct

    globals_: list[Any] = [_reconstruct, np.ndarray, np.dtype]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        globals_ += [dtypes.Float64DType, dtypes.Float32DType]
    return globals_
