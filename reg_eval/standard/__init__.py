"""The standard metric suite beside the official REG score: lexical, semantic, bertscore.

Each group computes its numbers through the library that defines them (sacreBLEU,
rouge-score, bert-score, sentence-transformers) and keeps that library's own signature, so
the values can be set beside published ones. None of them is part of the official ranking.
"""
