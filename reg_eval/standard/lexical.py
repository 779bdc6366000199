"""Lexical overlap the standard way: sacreBLEU BLEU and chrF, rouge-score ROUGE-1/2/L/Lsum.

These are the libraries' own numbers on their own scales (sacreBLEU 0-100, rouge-score
0-1), with the libraries' own signatures. They differ from the official REG BLEU-4 and
ROUGE-L, which tokenise differently and score on 0-1.

- Corpus BLEU and chrF: `BLEU()` and `CHRF()` with default settings (13a tokenisation,
  exponential smoothing, case-sensitive; chrF2 with character order 6, no word n-grams),
  over all cases at once. They go in `corpus`, not per case: a corpus BLEU is not a mean.
- Sentence BLEU per case: `BLEU(effective_order=True).sentence_score(hyp, [ref])`, the
  setting `sacrebleu.sentence_bleu` uses, so short reports are not zeroed by missing 4-grams.
- Sentence chrF per case: `CHRF().sentence_score(hyp, [ref])`.
- ROUGE per case: `RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"],
  use_stemmer=...)`, F-measure. rouge-score's default tokenizer lowercases and keeps only
  ASCII letters and digits. ROUGE-Lsum splits both texts on newlines and takes the union LCS
  over the lines; REG reports put the organ/procedure line and the diagnosis on separate
  lines, so Lsum differs from ROUGE-L on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reg_eval.columns import ColumnLayout
from reg_eval.groups import GroupResult, ScoringContext, check_pairs

ROUGE_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "rougeLsum")
SENTENCE_BLEU_COLUMN = "sacrebleu_sentence_bleu"
SENTENCE_CHRF_COLUMN = "chrf_sentence"
LAYOUT = ColumnLayout(
    numeric=(SENTENCE_BLEU_COLUMN, SENTENCE_CHRF_COLUMN, *ROUGE_TYPES),
    corpus=("sacrebleu_corpus_bleu", "sacrebleu_corpus_chrf"),
)
"""Sentence BLEU/chrF and ROUGE per case; corpus BLEU/chrF over all cases (not means)."""


class LexicalGroup:
    """Corpus BLEU/chrF, sentence BLEU/chrF and ROUGE F-measures through the libraries."""

    name = "lexical"
    layout = LAYOUT

    def __init__(self, rouge_stemmer: bool = False) -> None:
        self.rouge_stemmer = rouge_stemmer

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult:
        import numpy as np
        from rouge_score import rouge_scorer
        from sacrebleu.metrics import BLEU, CHRF

        from reg_eval.standard.local_model import package_version

        check_pairs(refs, hyps)
        refs, hyps = list(refs), list(hyps)

        corpus_bleu, corpus_chrf = BLEU(), CHRF()
        sentence_bleu, sentence_chrf = BLEU(effective_order=True), CHRF()
        rouge = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=self.rouge_stemmer)

        columns: dict[str, list[float]] = {
            SENTENCE_BLEU_COLUMN: [],
            SENTENCE_CHRF_COLUMN: [],
            **{rouge_type: [] for rouge_type in ROUGE_TYPES},
        }
        for ref, hyp in zip(refs, hyps, strict=True):
            columns[SENTENCE_BLEU_COLUMN].append(sentence_bleu.sentence_score(hyp, [ref]).score)
            columns[SENTENCE_CHRF_COLUMN].append(sentence_chrf.sentence_score(hyp, [ref]).score)
            scores = rouge.score(ref, hyp)  # (target, prediction)
            for rouge_type in ROUGE_TYPES:
                columns[rouge_type].append(scores[rouge_type].fmeasure)

        corpus: dict[str, float] = {}
        breakdowns: dict[str, Any] = {}
        if refs:
            bleu = corpus_bleu.corpus_score(hyps, [refs])
            chrf = corpus_chrf.corpus_score(hyps, [refs])
            corpus = {
                "sacrebleu_corpus_bleu": float(bleu.score),
                "sacrebleu_corpus_chrf": float(chrf.score),
            }
            breakdowns = {
                "sacrebleu_corpus_bleu": {
                    "text": str(bleu),
                    "precisions": [float(p) for p in bleu.precisions],
                    "bp": float(bleu.bp),
                    "sys_len": int(bleu.sys_len),
                    "ref_len": int(bleu.ref_len),
                },
                "sacrebleu_corpus_chrf": {"text": str(chrf)},
            }

        return GroupResult(
            name=self.name,
            per_case={key: np.asarray(values, dtype=np.float64) for key, values in columns.items()},
            signature={
                "corpus_bleu": _signature(corpus_bleu),
                "corpus_chrf": _signature(corpus_chrf),
                "sentence_bleu": _signature(sentence_bleu),
                "sentence_chrf": _signature(sentence_chrf),
                "rouge": (
                    f"rouge-score:{package_version('rouge-score')}"
                    f"|types:{','.join(ROUGE_TYPES)}|score:fmeasure"
                    f"|stemmer:{'yes' if self.rouge_stemmer else 'no'}"
                    "|tok:default|split_summaries:no|lsum_split:newline"
                ),
                "scale": "sacrebleu:0-100|rouge:0-1",
            },
            corpus=corpus,
            breakdowns=breakdowns,
            layout=self.layout,
        )


def _signature(metric: Any) -> str:
    """sacreBLEU's own signature string; it knows the reference count only after a score.

    With no cases at all, one placeholder pair is scored so the signature (nrefs:1) exists.
    """
    try:
        return str(metric.get_signature())
    except ValueError:
        metric.corpus_score(["-"], [["-"]])
        return str(metric.get_signature())
