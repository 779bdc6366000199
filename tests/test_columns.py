"""Column layouts: declared once per metric family, merged without duplicates, kept in JSON."""

from __future__ import annotations

import numpy as np
import pytest

from reg_eval.columns import OFFICIAL, ColumnLayout, merged
from reg_eval.groups import GroupResult


def test_the_official_layout_is_the_ranking_its_components_and_the_keywords() -> None:
    assert OFFICIAL.numeric == ("ranking", "bleu", "rouge", "key", "emb")
    assert OFFICIAL.detail == ("ref_keywords", "hyp_keywords", "missed_keywords",
                               "extra_keywords")
    assert OFFICIAL.corpus == ()


def test_layouts_merge_in_order_and_a_name_declared_twice_is_refused() -> None:
    clinical = ColumnLayout(("clinical_f1",), ("clinical_missed",), ("clinical_micro_f1",))
    both = merged([OFFICIAL, clinical])
    assert both.numeric == (*OFFICIAL.numeric, "clinical_f1")
    assert both.detail == (*OFFICIAL.detail, "clinical_missed")
    assert both.corpus == ("clinical_micro_f1",)
    with pytest.raises(ValueError, match="'bleu' is declared twice"):
        merged([OFFICIAL, ColumnLayout(numeric=(), detail=("bleu",))])


def test_a_layout_survives_its_json_form() -> None:
    layout = ColumnLayout(("a", "b"), ("c",), ("d",))
    assert ColumnLayout.from_dict(layout.to_dict()) == layout
    assert ColumnLayout.from_dict({"numeric": ["a", 3], "detail": "c"}) == ColumnLayout(("a",))


def test_a_group_cannot_write_a_column_it_does_not_declare() -> None:
    layout = ColumnLayout(numeric=("x_score",), detail=("x_missed",), corpus=("x_corpus",))
    ok = GroupResult("x", {"x_score": np.zeros(2)}, {}, {"x_corpus": 1.0},
                     [{"missed": []}, {"missed": ["a"]}], layout=layout)
    assert ok.columns() == layout
    with pytest.raises(ValueError, match="numeric column\\(s\\) it does not declare: x_other"):
        GroupResult("x", {"x_other": np.zeros(2)}, {}, layout=layout)
    with pytest.raises(ValueError, match="detail column\\(s\\) it does not declare: x_found"):
        GroupResult("x", {"x_score": np.zeros(1)}, {}, details=[{"found": []}], layout=layout)
    # a result built without a declaration reports the columns it holds
    bare = GroupResult("x", {"x_score": np.zeros(1)}, {}, details=[{"missed": []}])
    assert bare.columns() == ColumnLayout(("x_score",), ("x_missed",), ())


def test_every_group_declares_what_it_writes() -> None:
    from reg_eval.clinical.group import ClinicalGroup
    from reg_eval.standard.bertscore import BertScoreGroup
    from reg_eval.standard.lexical import LexicalGroup
    from reg_eval.standard.semantic import SemanticGroup

    clinical = ClinicalGroup().layout
    assert clinical.detail == ("clinical_missed", "clinical_invented", "clinical_soft")
    assert "clinical_f1" in clinical.numeric and "clinical_micro_f1" in clinical.corpus
    assert LexicalGroup.layout.corpus == ("sacrebleu_corpus_bleu", "sacrebleu_corpus_chrf")
    assert SemanticGroup.layout.numeric == ("semantic_cosine",)
    assert BertScoreGroup.layout.numeric == (
        "bertscore_precision", "bertscore_recall", "bertscore_f1"
    )


def test_every_official_column_has_its_printed_label() -> None:
    from reg_eval.columns import OFFICIAL_LABELS

    assert [OFFICIAL_LABELS[c] for c in OFFICIAL.numeric] == [
        "Ranking", "BLEU-4", "ROUGE-L", "KEY", "EMB"]
