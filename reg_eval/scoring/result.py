"""What a score run produced, and its JSON and per-case forms (`--output`, `--per-case`).

A result carries its signature and its column layout (which columns are numeric, detail or
corpus, by metric family), so that readers never guess either from names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from reg_eval.columns import OFFICIAL, OFFICIAL_COMPONENTS, ColumnLayout
from reg_eval.groups import OFFICIAL as OFFICIAL_GROUP
from reg_eval.groups import GroupResult
from reg_eval.scoring.alignment import Alignment
from reg_eval.signature import Signature, SignedModel

if TYPE_CHECKING:
    import pandas as pd

    from reg_eval.metrics.official import OfficialCaseStats

SUMMARY_COLUMNS = OFFICIAL.numeric
"""The official per-case columns, ranking first (kept under this name for callers)."""


class RunSummary:
    """What a run's result of either edition holds and writes the same way: the signature,
    which cases were scored and which were left out, the CIs, and the column layout."""

    signature: Signature
    alignment: Alignment
    ci: dict[str, tuple[float, float]]
    confidence: float

    @property
    def n_cases(self) -> int:
        return len(self.alignment.ids)

    @property
    def ids(self) -> list[str]:
        return list(self.alignment.ids)

    @property
    def missing_ids(self) -> list[str]:
        return list(self.alignment.missing_ids)

    @property
    def extra_ids(self) -> list[str]:
        return list(self.alignment.extra_ids)

    @property
    def missing_policy(self) -> str:
        return self.alignment.missing_policy

    @property
    def layout(self) -> dict[str, ColumnLayout]:
        raise NotImplementedError

    def ci_dict(self, names: Sequence[str]) -> dict[str, Any]:
        return {"confidence": self.confidence, **{name: list(self.ci[name]) for name in names}}

    def columns_dict(self) -> dict[str, dict[str, list[str]]]:
        """The column layout as saved results carry it, one entry per metric family."""
        return {name: layout.to_dict() for name, layout in self.layout.items()}

    def cases_dict(self) -> dict[str, Any]:
        return {
            "missing_policy": self.missing_policy,
            "missing_ids": self.missing_ids,
            "extra_ids": self.extra_ids,
        }


@dataclass
class ScoreResult(RunSummary):
    """Everything a score run produced; every rendering of it carries `signature`."""

    signature: Signature
    alignment: Alignment
    stats: OfficialCaseStats
    organs: list[str]
    ci: dict[str, tuple[float, float]]
    by_organ: dict[str, dict[str, Any]]
    groups: dict[str, GroupResult] = field(default_factory=dict)
    confidence: float = 0.95
    messages: list[str] = field(default_factory=list)

    @property
    def layout(self) -> dict[str, ColumnLayout]:
        """The columns of each metric family, the official score first."""
        return {OFFICIAL_GROUP: OFFICIAL, **{n: g.columns() for n, g in self.groups.items()}}

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every per-case numeric column: the official ones, then each group's."""
        return case_columns(self.stats, self.groups)

    @property
    def means(self) -> dict[str, float]:
        """Mean of each column over the cases where it is defined (NaN: defined nowhere)."""
        from reg_eval.stats import defined_mean

        return {name: defined_mean(values) for name, values in self.columns.items()}

    @property
    def defined(self) -> dict[str, int]:
        """Cases where each column is defined (not NaN): the n behind its mean and CI."""
        return {name: int(np.count_nonzero(~np.isnan(v))) for name, v in self.columns.items()}

    def to_dict(self) -> dict[str, Any]:
        means = self.means
        defined = self.defined
        return {
            "signature": self.signature.to_dict(),
            "n_cases": self.n_cases,
            "ranking": means["ranking"],
            "components": {name: means[name] for name in OFFICIAL_COMPONENTS},
            "ci": self.ci_dict(SUMMARY_COLUMNS),
            "by_organ": self.by_organ,
            "metrics": {
                name: {
                    "means": {column: json_number(means[column]) for column in group.per_case},
                    "ci": {
                        column: [json_number(bound) for bound in self.ci[column]]
                        for column in group.per_case
                    },
                    "defined": {column: defined[column] for column in group.per_case},
                    "corpus": {key: json_number(v) for key, v in group.corpus.items()},
                    "breakdowns": group.breakdowns,
                    "signature": {
                        key: value.to_dict() if isinstance(value, SignedModel) else value
                        for key, value in group.signature.items()
                    },
                    "headline": group.headline,
                }
                for name, group in self.groups.items()
            },
            "columns": self.columns_dict(),
            "cases": self.cases_dict(),
        }

    def per_case_rows(self) -> list[dict[str, Any]]:
        """One row per scored case, with the keyword sets and what was missed or invented."""
        rows = []
        columns = self.columns
        extra = [name for name in columns if name not in SUMMARY_COLUMNS]
        for i, case_id in enumerate(self.alignment.ids):
            ref_kw = self.stats.ref_keywords[i]
            hyp_kw = self.stats.hyp_keywords[i]
            row: dict[str, Any] = {
                "id": case_id,
                "organ": self.organs[i],
                **{name: float(columns[name][i]) for name in OFFICIAL_COMPONENTS},
                "ranking": float(self.stats.ranking[i]),
                "ref_keywords": sorted(ref_kw),
                "hyp_keywords": sorted(hyp_kw),
                "missed_keywords": sorted(ref_kw - hyp_kw),
                "extra_keywords": sorted(hyp_kw - ref_kw),
            }
            row.update({name: json_number(float(columns[name][i])) for name in extra})
            for group in self.groups.values():
                if group.details is not None:
                    for key, value in group.details[i].items():
                        row[group.detail_column(key)] = value
            rows.append(row)
        return rows

    @property
    def per_case(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self.per_case_rows())
        frame.attrs["signature"] = self.signature.format()
        return frame


def case_columns(
    stats: OfficialCaseStats, groups: dict[str, GroupResult] | None = None
) -> dict[str, np.ndarray]:
    """Official per-case columns in SUMMARY_COLUMNS order, then each group's columns."""
    columns = {name: np.asarray(getattr(stats, name), dtype=np.float64) for name in SUMMARY_COLUMNS}
    for group in (groups or {}).values():
        for name, values in group.per_case.items():
            if name in columns:
                raise ValueError(f"metric column {name!r} is defined twice")
            columns[name] = np.asarray(values, dtype=np.float64)
    return columns


def json_number(value: float) -> float | None:
    """JSON has no NaN: an undefined value is written as null."""
    return None if isinstance(value, float) and np.isnan(value) else value
