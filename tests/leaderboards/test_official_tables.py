"""Consistency of the official REG 2025 leaderboard tables kept in ``leaderboards/``.

The phase tables, the final table and the per-component table were transcribed from different
published files. The REG 2025 formulas tie them together, so a typo in any one of them shows up
here as a broken identity. Arithmetic uses ``Decimal`` so that the published 4-decimal strings
are compared exactly, with a tolerance derived from the rounding and nothing looser.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

LEADERBOARDS_DIR = Path(__file__).resolve().parents[2] / "leaderboards"
PHASE1_CSV = LEADERBOARDS_DIR / "reg2025_phase1.csv"
PHASE2_CSV = LEADERBOARDS_DIR / "reg2025_phase2.csv"
FINAL_CSV = LEADERBOARDS_DIR / "reg2025_final.csv"
COMPONENTS_CSV = LEADERBOARDS_DIR / "reg2025_components.csv"
README = LEADERBOARDS_DIR / "README.md"

# Published values carry 4 decimals, so each one is off by at most half a unit in the last place.
HALF_UNIT = Decimal("0.00005")
# final = 0.2*p1 + 0.8*p2 from rounded inputs, then rounded itself: (0.2 + 0.8 + 1) * HALF_UNIT.
FINAL_TOLERANCE = 2 * HALF_UNIT
# ranking = 0.15*(R+B) + 0.4*K + 0.3*E from rounded means, then rounded:
# (0.15 + 0.15 + 0.4 + 0.3 + 1) * HALF_UNIT.
COMPONENT_TOLERANCE = 2 * HALF_UNIT

SCORE_PATTERN = re.compile(r"^\d\.\d{4}$")

# Independent literal check against the sources (README names them): the first five rows of each
# table exactly as printed there.
PUBLISHED_TOP_FIVE = {
    PHASE1_CSV: [
        ("ICGI", "0.8098"),
        ("IUCompPath", "0.7906"),
        ("PathX", "0.7866"),
        ("FPathX", "0.7790"),
        ("TeamTiger@REG2025", "0.7777"),
    ],
    PHASE2_CSV: [
        ("IMAGINE Lab", "0.8494"),
        ("ICGI", "0.8472"),
        ("ICL_PathReport", "0.8415"),
        ("nw", "0.8282"),
        ("PathX", "0.8237"),
    ],
    FINAL_CSV: [
        ("ICGI", "0.8397"),
        ("ICL_PathReport", "0.8202"),
        ("PathX", "0.8163"),
        ("FPathX", "0.8050"),
        ("IMAGINE Lab", "0.8047"),
    ],
}


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read a leaderboard CSV strictly as UTF-8, the encoding the README promises."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def score_column(path: Path) -> str:
    return "score" if path == FINAL_CSV else "score_best"


def best_scores(path: Path) -> dict[str, Decimal]:
    return {row["team"]: Decimal(row["score_best"]) for row in read_rows(path)}


@pytest.mark.parametrize(
    ("path", "expected_rows"),
    [(PHASE1_CSV, 22), (PHASE2_CSV, 24), (FINAL_CSV, 26), (COMPONENTS_CSV, 42)],
)
def test_row_counts(path: Path, expected_rows: int) -> None:
    assert len(read_rows(path)) == expected_rows


@pytest.mark.parametrize("path", [PHASE1_CSV, PHASE2_CSV, FINAL_CSV])
def test_ranks_are_one_to_n_and_teams_unique(path: Path) -> None:
    rows = read_rows(path)
    assert [row["rank"] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]
    teams = [row["team"] for row in rows]
    assert len(set(teams)) == len(teams)
    assert all(team.strip() == team and team for team in teams)


@pytest.mark.parametrize("path", [PHASE1_CSV, PHASE2_CSV, FINAL_CSV])
def test_scores_are_printed_values_in_rank_order(path: Path) -> None:
    rows = read_rows(path)
    column = score_column(path)
    for row in rows:
        assert SCORE_PATTERN.match(row[column]), row
        if column == "score_best" and row["score_other"]:
            assert SCORE_PATTERN.match(row["score_other"]), row
            # "Best" is the better of a team's two submissions.
            assert Decimal(row["score_other"]) <= Decimal(row["score_best"]), row
    scores = [Decimal(row[column]) for row in rows]
    for higher, lower in pairwise(scores):
        assert higher >= lower


@pytest.mark.parametrize("path", list(PUBLISHED_TOP_FIVE))
def test_top_five_match_the_published_tables(path: Path) -> None:
    rows = read_rows(path)[:5]
    column = score_column(path)
    assert [(row["team"], row[column]) for row in rows] == PUBLISHED_TOP_FIVE[path]


@pytest.mark.parametrize("path", [PHASE1_CSV, PHASE2_CSV, FINAL_CSV, COMPONENTS_CSV])
def test_every_row_names_its_source(path: Path) -> None:
    for row in read_rows(path):
        assert row["source"], row


def test_final_teams_are_the_union_of_both_phases() -> None:
    phase1 = set(best_scores(PHASE1_CSV))
    phase2 = set(best_scores(PHASE2_CSV))
    final = {row["team"] for row in read_rows(FINAL_CSV)}
    assert final == phase1 | phase2


def test_final_score_is_weighted_sum_of_phase_scores() -> None:
    """A team missing a phase gets 0 for it (scoring doc, "Final ranking")."""
    phase1 = best_scores(PHASE1_CSV)
    phase2 = best_scores(PHASE2_CSV)
    for row in read_rows(FINAL_CSV):
        team = row["team"]
        p1 = phase1.get(team, Decimal(0))
        p2 = phase2.get(team, Decimal(0))
        expected = Decimal("0.2") * p1 + Decimal("0.8") * p2
        assert abs(Decimal(row["score"]) - expected) <= FINAL_TOLERANCE, (team, expected)


def test_final_ranking_is_the_order_of_the_weighted_sum() -> None:
    phase1 = best_scores(PHASE1_CSV)
    phase2 = best_scores(PHASE2_CSV)
    weighted = {
        team: Decimal("0.2") * phase1.get(team, Decimal(0))
        + Decimal("0.8") * phase2.get(team, Decimal(0))
        for team in set(phase1) | set(phase2)
    }
    expected_order = sorted(weighted, key=lambda team: weighted[team], reverse=True)
    assert [row["team"] for row in read_rows(FINAL_CSV)] == expected_order


def test_paper_final_ranks_follow_the_repository_order() -> None:
    """The paper's Table 3 is the repository's final table without two teams."""
    ranked = [row for row in read_rows(FINAL_CSV) if row["paper_rank"]]
    assert [row["paper_rank"] for row in ranked] == [str(i) for i in range(1, 25)]
    unranked = [row["team"] for row in read_rows(FINAL_CSV) if not row["paper_rank"]]
    assert unranked == ["PathX", "FPathX"]
    assert all(row["paper_team"] for row in ranked)


def test_components_have_printed_values_and_per_phase_ranks() -> None:
    rows = read_rows(COMPONENTS_CSV)
    for phase, expected_rows in (("1", 20), ("2", 22)):
        in_phase = [row for row in rows if row["phase"] == phase]
        assert len(in_phase) == expected_rows
        assert [row["rank"] for row in in_phase] == [str(i) for i in range(1, expected_rows + 1)]
        scores = [Decimal(row["ranking_score"]) for row in in_phase]
        for higher, lower in pairwise(scores):
            assert higher >= lower
    assert {row["phase"] for row in rows} == {"1", "2"}
    for row in rows:
        for column in ("ranking_score", "ROUGE", "BLEU", "KEY", "EMB"):
            assert SCORE_PATTERN.match(row[column]), (row["team"], column)


def test_component_means_reproduce_the_ranking_score() -> None:
    for row in read_rows(COMPONENTS_CSV):
        rouge, bleu = Decimal(row["ROUGE"]), Decimal(row["BLEU"])
        key, emb = Decimal(row["KEY"]), Decimal(row["EMB"])
        expected = Decimal("0.15") * (rouge + bleu) + Decimal("0.4") * key + Decimal("0.3") * emb
        published = Decimal(row["ranking_score"])
        assert abs(published - expected) <= COMPONENT_TOLERANCE, (row["phase"], row["team"])


def test_component_rows_match_the_phase_leaderboards() -> None:
    """The paper's per-phase score equals the repository's best score for the same team."""
    by_phase = {"1": best_scores(PHASE1_CSV), "2": best_scores(PHASE2_CSV)}
    for row in read_rows(COMPONENTS_CSV):
        assert by_phase[row["phase"]][row["team"]] == Decimal(row["ranking_score"]), row


def test_component_team_names_agree_with_the_final_table() -> None:
    paper_name = {row["team"]: row["paper_team"] for row in read_rows(FINAL_CSV)}
    paper_rank = {row["team"]: row["paper_rank"] for row in read_rows(FINAL_CSV)}
    for row in read_rows(COMPONENTS_CSV):
        assert row["paper_team"] == paper_name[row["team"]], row
        assert row["paper_final_rank"] == paper_rank[row["team"]], row


def test_readme_describes_every_table() -> None:
    text = README.read_text(encoding="utf-8")
    for path in (PHASE1_CSV, PHASE2_CSV, FINAL_CSV, COMPONENTS_CSV):
        assert path.name in text
