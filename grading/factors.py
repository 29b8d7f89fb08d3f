"""Peer-evaluation arithmetic: means, adjustment factors and flags. Pure Python, no Django.

Input is one team's ratings: `ratings[rater][ratee][dimension] = score` (1–5; floats are
accepted so that scaling properties can be tested). A rater's rating of themself is the
self-rating. Everything the staff see on the results page and everything the grade sheet
uses comes from `team_results`.

Adjustment factor (CATME): a member's mean rating over the team's mean of members' means.
- with self: every rating the member got, their own included;
- without self: only the ratings of their teammates.
The cap (CATME: 1.05) applies to the factor used; `display_factor` shows a value above the
rounding threshold (CATME: 0.95) as 1.0 unless the raw value is asked for.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

DIMENSIONS = ("contributing", "interacting", "on_track", "quality", "knowledge")

DEFAULT_CAP = 1.05
DEFAULT_ROUND_ABOVE = 0.95
# Flag thresholds on the 1–5 scale.
CONFIDENCE_GAP = 1.0  # self mean this far above (below) the peers' mean: over- (under-) confident
LOW_RATING = 3.0  # every teammate's mean rating of the member below this: rated low by all
CAMP_GAP = 1.5  # within-camp mean this far above the between-camps mean: a team split in two
MAX_CAMP_SEARCH = 12  # bipartitions are enumerated; larger teams are not searched


class FlagKind:
    SAME_SCORE = "same_score"
    OVERCONFIDENT = "overconfident"
    UNDERCONFIDENT = "underconfident"
    LOW_RATED = "low_rated"
    SPLIT = "split"
    INCOMPLETE = "incomplete"

    LABELS = {
        SAME_SCORE: "Same score for everyone",
        OVERCONFIDENT: "Over-confident",
        UNDERCONFIDENT: "Under-confident",
        LOW_RATED: "Rated low by all peers",
        SPLIT: "Team split in two camps",
        INCOMPLETE: "Not everyone answered",
    }


Ratings = Mapping[object, Mapping[object, Mapping[str, float]]]


@dataclass(frozen=True)
class Flag:
    kind: str
    rule: str  # which rule fired, with the numbers that made it fire
    member: object | None = None  # the member it is about; None for a flag about the team

    @property
    def label(self) -> str:
        return FlagKind.LABELS[self.kind]


@dataclass(frozen=True)
class SplitFlag(Flag):
    camps: tuple = ()  # the two camps, each a tuple of members


@dataclass(frozen=True)
class IncompleteFlag(Flag):
    missing: tuple = ()  # the members who did not answer


@dataclass
class MemberResult:
    member: object
    peer_means: dict[str, float | None]  # per dimension, teammates' ratings only
    self_scores: dict[str, float | None]  # per dimension, the member's rating of themself
    peer_mean: float | None  # over every dimension and teammate
    self_mean: float | None
    overall_mean: float | None  # over every rating received, self included
    raters: int  # teammates who rated this member
    factor_with_self: float | None = None  # raw (uncapped)
    factor_without_self: float | None = None


@dataclass
class TeamResult:
    members: list[MemberResult]
    flags: list[Flag] = field(default_factory=list)

    def member(self, who) -> MemberResult:
        return next(m for m in self.members if m.member == who)


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def capped(factor: float | None, cap: float = DEFAULT_CAP) -> float | None:
    """The factor used for grades: never above the cap."""
    return None if factor is None else min(factor, cap)


def display_factor(factor: float | None, *, cap: float = DEFAULT_CAP, round_above: float | None = DEFAULT_ROUND_ABOVE):
    """The factor shown: capped, and 1.0 when above `round_above` (None: show the raw capped value)."""
    value = capped(factor, cap)
    if value is None:
        return None
    if round_above is not None and value > round_above:
        return 1.0
    return round(value, 2)


def _scores(ratings: Ratings, rater, ratee) -> list[float]:
    return [float(v) for v in ratings.get(rater, {}).get(ratee, {}).values()]


def member_results(members: Sequence, ratings: Ratings) -> list[MemberResult]:
    results = []
    for m in members:
        peers = [r for r in members if r != m and ratings.get(r, {}).get(m)]
        peer_means = {d: _mean([float(ratings[r][m][d]) for r in peers if d in ratings[r][m]]) for d in DIMENSIONS}
        own = ratings.get(m, {}).get(m, {})
        self_scores = {d: (float(own[d]) if d in own else None) for d in DIMENSIONS}
        peer_all = [s for r in peers for s in _scores(ratings, r, m)]
        self_all = _scores(ratings, m, m)
        results.append(
            MemberResult(
                member=m,
                peer_means=peer_means,
                self_scores=self_scores,
                peer_mean=_mean(peer_all),
                self_mean=_mean(self_all),
                overall_mean=_mean(peer_all + self_all),
                raters=len(peers),
            )
        )
    _fill_factors(results)
    return results


def _fill_factors(results: list[MemberResult]) -> None:
    with_self = [r.overall_mean for r in results if r.overall_mean is not None]
    without = [r.peer_mean for r in results if r.peer_mean is not None]
    team_with, team_without = _mean(with_self), _mean(without)
    for r in results:
        if r.overall_mean is not None and team_with:
            r.factor_with_self = r.overall_mean / team_with
        if r.peer_mean is not None and team_without:
            r.factor_without_self = r.peer_mean / team_without


def team_results(members: Sequence, ratings: Ratings, answered: set | None = None) -> TeamResult:
    """Means, raw factors and flags of one team. `answered`: who submitted (default: who rated anyone)."""
    members = list(members)
    results = member_results(members, ratings)
    if answered is None:
        answered = {r for r in members if ratings.get(r)}
    flags = (
        same_score_flags(members, ratings)
        + confidence_flags(results)
        + low_rated_flags(members, ratings)
        + split_flags(members, ratings)
        + incomplete_flags(members, answered)
    )
    return TeamResult(members=results, flags=flags)


# ---------------------------------------------------------------- flags


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def same_score_flags(members: Sequence, ratings: Ratings) -> list[Flag]:
    """A rater who gave every teammate (two or more) the same score on every dimension."""
    flags = []
    for rater in members:
        rated = [m for m in members if m != rater and ratings.get(rater, {}).get(m)]
        if len(rated) < 2:
            continue
        scores = {s for m in rated for s in _scores(ratings, rater, m)}
        if len(scores) == 1:
            flags.append(
                Flag(
                    FlagKind.SAME_SCORE,
                    f"gave all {len(rated)} teammates {_fmt(scores.pop())} on every dimension",
                    rater,
                )
            )
    return flags


def confidence_flags(results: Sequence[MemberResult], gap: float = CONFIDENCE_GAP) -> list[Flag]:
    """A self mean at least `gap` above (over-confident) or below (under-confident) the peers' mean."""
    flags = []
    for r in results:
        if r.self_mean is None or r.peer_mean is None:
            continue
        diff = r.self_mean - r.peer_mean
        if diff >= gap:
            kind, word = FlagKind.OVERCONFIDENT, "above"
        elif -diff >= gap:
            kind, word = FlagKind.UNDERCONFIDENT, "below"
        else:
            continue
        rule = (
            f"self-rating {_fmt(r.self_mean)} is {_fmt(abs(diff))} {word} the peers' {_fmt(r.peer_mean)} "
            f"(threshold {_fmt(gap)})"
        )
        flags.append(Flag(kind, rule, r.member))
    return flags


def low_rated_flags(members: Sequence, ratings: Ratings, low: float = LOW_RATING) -> list[Flag]:
    """A member whom every teammate who answered rated below `low` on average."""
    flags = []
    for m in members:
        means = [fmean(s) for r in members if r != m and (s := _scores(ratings, r, m))]
        if means and max(means) < low:
            flags.append(
                Flag(
                    FlagKind.LOW_RATED,
                    f"every teammate's mean rating is below {_fmt(low)} (highest {_fmt(max(means))})",
                    m,
                )
            )
    return flags


def _pair_mean(ratings: Ratings, raters, ratees) -> float | None:
    return _mean([s for r in raters for m in ratees if r != m for s in _scores(ratings, r, m)])


def split_flags(members: Sequence, ratings: Ratings, gap: float = CAMP_GAP) -> list[Flag]:
    """Teams of four or more that divide into two camps of two or more, each rating its own camp at
    least `gap` higher than the other camp (the largest such gap is reported)."""
    n = len(members)
    if n < 4 or n > MAX_CAMP_SEARCH:
        return []
    best = None
    first, rest = members[0], list(members[1:])
    for size in range(1, n - 1):
        for combo in itertools.combinations(rest, size):
            a = [first, *combo]
            b = [m for m in rest if m not in combo]
            if len(a) < 2 or len(b) < 2:
                continue
            within = _mean([x for x in (_pair_mean(ratings, a, a), _pair_mean(ratings, b, b)) if x is not None])
            between = _mean([x for x in (_pair_mean(ratings, a, b), _pair_mean(ratings, b, a)) if x is not None])
            if within is None or between is None:
                continue
            if best is None or within - between > best[0]:
                best = (within - between, a, b, within, between)
    if best is None or best[0] < gap:
        return []
    diff, a, b, within, between = best
    rule = (
        f"two camps rate their own camp {_fmt(within)} and the other {_fmt(between)} "
        f"(gap {_fmt(diff)}, threshold {_fmt(gap)})"
    )
    return [SplitFlag(FlagKind.SPLIT, rule, None, (tuple(a), tuple(b)))]


def incomplete_flags(members: Sequence, answered: set) -> list[Flag]:
    missing = [m for m in members if m not in answered]
    if not missing:
        return []
    return [
        IncompleteFlag(
            FlagKind.INCOMPLETE, f"{len(missing)} of {len(members)} members did not answer", None, tuple(missing)
        )
    ]
