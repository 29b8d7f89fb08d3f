"""The pure peer-evaluation module: adjustment factors and flags (grading/factors.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.factors import (
    DIMENSIONS,
    FlagKind,
    capped,
    display_factor,
    team_results,
)


def uniform(score):
    return dict.fromkeys(DIMENSIONS, score)


def full(members, score_of):
    """Every member rates every member (self included): score_of(rater, ratee) on all dimensions."""
    return {r: {m: uniform(score_of(r, m)) for m in members} for r in members}


def kinds(result, member=None):
    return sorted(f.kind for f in result.flags if member is None or f.member == member)


# ---------------------------------------------------------------- hand-worked examples


class TestHandWorkedFactors:
    def test_a_team_of_three(self):
        # Ratings received (all five dimensions the same):
        #   A: self 4, from B 4, from C 5  -> with self (4+4+5)/3 = 4.333; peers 4.5
        #   B: self 3, from A 3, from C 3  -> 3.0; peers 3.0
        #   C: self 5, from A 4, from B 5  -> 4.667; peers 4.5
        # team mean with self (4.333+3+4.667)/3 = 4.0; without self (4.5+3+4.5)/3 = 4.0
        table = {
            ("A", "A"): 4, ("B", "A"): 4, ("C", "A"): 5,
            ("B", "B"): 3, ("A", "B"): 3, ("C", "B"): 3,
            ("C", "C"): 5, ("A", "C"): 4, ("B", "C"): 5,
        }  # fmt: skip
        result = team_results("ABC", full("ABC", lambda r, m: table[r, m]))
        a, b, c = (result.member(x) for x in "ABC")
        assert a.factor_with_self == pytest.approx(13 / 12)  # 4.333 / 4
        assert b.factor_with_self == pytest.approx(0.75)
        assert c.factor_with_self == pytest.approx(14 / 12)
        assert a.factor_without_self == pytest.approx(4.5 / 4)
        assert b.factor_without_self == pytest.approx(0.75)
        assert a.peer_means["contributing"] == 4.5
        assert a.self_scores["quality"] == 4
        # Capped at 1.05 for grades; shown as 1.0 above 0.95; B's 0.75 shown as is.
        assert capped(c.factor_with_self) == 1.05
        assert display_factor(c.factor_with_self) == 1.0
        assert display_factor(c.factor_with_self, round_above=None) == 1.05
        assert display_factor(b.factor_with_self) == 0.75

    def test_dimensions_are_averaged_per_dimension(self):
        ratings = {
            "A": {"B": {"contributing": 5, "interacting": 1, "on_track": 3, "quality": 3, "knowledge": 3}},
            "B": {"A": uniform(3)},
        }
        result = team_results("AB", ratings)
        b = result.member("B")
        assert b.peer_means == {"contributing": 5, "interacting": 1, "on_track": 3, "quality": 3, "knowledge": 3}
        assert b.peer_mean == 3
        assert b.self_mean is None

    def test_a_member_nobody_rated_has_no_factor(self):
        result = team_results("ABC", {"A": {"B": uniform(4)}, "B": {"A": uniform(4)}})
        assert result.member("C").factor_without_self is None
        assert result.member("A").factor_without_self == 1.0

    def test_the_cap_and_the_rounding_are_settings(self):
        assert capped(1.2, cap=1.1) == 1.1
        assert display_factor(0.97, round_above=0.98) == 0.97
        assert display_factor(0.97) == 1.0
        assert display_factor(None) is None


class TestHandWorkedFlags:
    def test_same_score_for_everyone(self):
        ratings = full("ABC", lambda r, m: 4 if r == "A" else (5 if m == r else 3))
        ratings["B"]["C"] = uniform(4)  # B differentiates between A (3) and C (4)
        result = team_results("ABC", ratings)
        same = [f for f in result.flags if f.kind == FlagKind.SAME_SCORE]
        assert [f.member for f in same] == ["A", "C"]
        assert same[0].rule == "gave all 2 teammates 4 on every dimension"

    def test_a_team_of_two_never_has_a_same_score_flag(self):
        assert FlagKind.SAME_SCORE not in kinds(team_results("AB", full("AB", lambda r, m: 4)))

    def test_over_and_under_confident(self):
        # A rates self 5, gets 3 and 3.5 -> over by 1.75; C rates self 2, gets 4 -> under by 2.
        table = {
            ("A", "A"): 5, ("B", "A"): 3, ("C", "A"): 3.5,
            ("B", "B"): 4, ("A", "B"): 4, ("C", "B"): 4.5,
            ("C", "C"): 2, ("A", "C"): 4, ("B", "C"): 4,
        }  # fmt: skip
        result = team_results("ABC", full("ABC", lambda r, m: table[r, m]))
        over = next(f for f in result.flags if f.kind == FlagKind.OVERCONFIDENT)
        under = next(f for f in result.flags if f.kind == FlagKind.UNDERCONFIDENT)
        assert over.member == "A"
        assert over.rule == "self-rating 5 is 1.75 above the peers' 3.25 (threshold 1)"
        assert under.member == "C"
        assert under.rule == "self-rating 2 is 2 below the peers' 4 (threshold 1)"
        assert "B" not in {f.member for f in result.flags}

    def test_rated_low_by_all_peers(self):
        table = {("B", "A"): 2, ("C", "A"): 2.5}
        result = team_results("ABC", full("ABC", lambda r, m: table.get((r, m), 4)))
        low = [f for f in result.flags if f.kind == FlagKind.LOW_RATED]
        assert [f.member for f in low] == ["A"]
        assert low[0].rule == "every teammate's mean rating is below 3 (highest 2.5)"

    def test_one_generous_peer_clears_the_low_flag(self):
        table = {("B", "A"): 2, ("C", "A"): 3}
        assert FlagKind.LOW_RATED not in kinds(team_results("ABC", full("ABC", lambda r, m: table.get((r, m), 4))))

    def test_a_team_split_in_two_camps(self):
        camp = {"A": 0, "B": 0, "C": 1, "D": 1}
        result = team_results("ABCD", full("ABCD", lambda r, m: 5 if camp[r] == camp[m] else 2))
        split = next(f for f in result.flags if f.kind == FlagKind.SPLIT)
        assert split.member is None
        assert sorted(map(sorted, split.camps)) == [["A", "B"], ["C", "D"]]
        assert split.rule == "two camps rate their own camp 5 and the other 2 (gap 3, threshold 1.5)"

    def test_no_split_in_a_team_that_agrees(self):
        assert FlagKind.SPLIT not in kinds(team_results("ABCD", full("ABCD", lambda r, m: 4)))

    def test_not_everyone_answered(self):
        result = team_results("ABC", {"A": {"B": uniform(4), "C": uniform(4)}, "B": {"A": uniform(4)}})
        flag = next(f for f in result.flags if f.kind == FlagKind.INCOMPLETE)
        assert flag.missing == ("C",)
        assert flag.rule == "1 of 3 members did not answer"


# ---------------------------------------------------------------- properties

score = st.integers(min_value=1, max_value=5)


@st.composite
def teams(draw, min_size=2, max_size=6):
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    members = [f"m{i}" for i in range(n)]
    ratings = {r: {m: {d: draw(score) for d in DIMENSIONS} for m in members} for r in members}
    return members, ratings


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=2, max_value=7), score)
def test_equal_ratings_give_everyone_one(n, value):
    members = [f"m{i}" for i in range(n)]
    result = team_results(members, full(members, lambda r, m: value))
    for m in result.members:
        assert m.factor_with_self == pytest.approx(1.0)
        assert m.factor_without_self == pytest.approx(1.0)
        assert display_factor(m.factor_with_self) == 1.0


@settings(max_examples=150, deadline=None)
@given(teams(), st.floats(min_value=0.1, max_value=20, allow_nan=False))
def test_scaling_every_rating_leaves_the_factors_unchanged(team, k):
    members, ratings = team
    scaled = {r: {m: {d: s * k for d, s in dims.items()} for m, dims in row.items()} for r, row in ratings.items()}
    before, after = team_results(members, ratings), team_results(members, scaled)
    for b, a in zip(before.members, after.members, strict=True):
        assert a.factor_with_self == pytest.approx(b.factor_with_self)
        assert a.factor_without_self == pytest.approx(b.factor_without_self)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(min_value=2, max_value=6), st.integers(min_value=1, max_value=4))
def test_a_member_everyone_rates_lower_gets_the_lowest_factor(data, n, split):
    members = [f"m{i}" for i in range(n)]
    weakest = data.draw(st.sampled_from(members))
    low, high = st.integers(min_value=1, max_value=split), st.integers(min_value=split + 1, max_value=5)
    ratings = {
        r: {m: {d: data.draw(low if m == weakest else high) for d in DIMENSIONS} for m in members} for r in members
    }
    result = team_results(members, ratings)
    w = result.member(weakest)
    for other in result.members:
        if other.member == weakest:
            continue
        assert w.factor_with_self < other.factor_with_self
        assert w.factor_without_self < other.factor_without_self
        assert capped(w.factor_without_self) < capped(other.factor_without_self)


@settings(max_examples=150, deadline=None)
@given(teams())
def test_factors_average_to_one_and_every_flag_names_its_rule(team):
    members, ratings = team
    result = team_results(members, ratings)
    factors = [m.factor_with_self for m in result.members]
    assert sum(factors) / len(factors) == pytest.approx(1.0)
    for flag in result.flags:
        assert flag.rule and flag.kind in FlagKind.LABELS
