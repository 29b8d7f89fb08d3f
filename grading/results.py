"""Read side of peer evaluations: the staff's results (means, factors, flags) and a student's
released feedback. All arithmetic is in grading.factors; this module only loads the rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from grading.factors import FlagKind, MemberResult, display_factor, team_results
from grading.models import Dimension, Evaluation, EvaluationResponse, GradingPolicy, Rating
from teams.models import Team, TeamMembership  # noqa: F401 (Team: TeamRow's type)


@dataclass
class MemberRow:
    user: object
    result: MemberResult
    answered: bool
    factor_with_self: float | None  # as displayed (cap, rounding)
    factor_without_self: float | None
    flags: list = field(default_factory=list)


@dataclass
class TeamRow:
    team: Team
    members: list[MemberRow]
    flags: list  # team-wide flags (split, incomplete), with users in place of ids
    comments: list[EvaluationResponse]  # every answer with a comment (staff only)

    @property
    def all_flags(self) -> list:
        return self.flags + [f for m in self.members for f in m.flags]


def _ratings_by_team(evaluation: Evaluation) -> dict[int, dict[int, dict[int, dict[str, int]]]]:
    ratings: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    for r in Rating.objects.filter(response__evaluation=evaluation).values(
        "response__team_id", "response__rater_id", "ratee_id", "dimension", "score"
    ):
        ratings[r["response__team_id"]][r["response__rater_id"]][r["ratee_id"]][r["dimension"]] = r["score"]
    return ratings


def _named(flag, users: dict):
    """The flag's rule with people's names for the page (members are ids in grading.factors)."""

    def who(uid) -> str:
        return users[uid].get_full_name() or users[uid].email

    extra = ""
    if flag.kind == FlagKind.SPLIT:
        extra = " — " + " vs. ".join(", ".join(who(u) for u in camp) for camp in flag.camps)
    elif flag.kind == FlagKind.INCOMPLETE:
        extra = " — " + ", ".join(who(u) for u in flag.missing)
    return {"kind": flag.kind, "label": flag.label, "rule": flag.rule + extra,
            "member": users.get(flag.member) if flag.member is not None else None}  # fmt: skip


def evaluation_results(evaluation: Evaluation, policy: GradingPolicy, *, raw: bool = False) -> list[TeamRow]:
    """Every team of the course with its members' means, factors and flags (a fixed number of queries)."""
    from grading.services import rated_teams

    teams = list(rated_teams(evaluation.course).order_by("name"))
    memberships = TeamMembership.objects.filter(team__in=teams).select_related("user").order_by("user__last_name")
    members: dict[int, list] = defaultdict(list)
    for m in memberships:
        members[m.team_id].append(m.user)
    ratings = _ratings_by_team(evaluation)
    responses = list(EvaluationResponse.objects.filter(evaluation=evaluation).select_related("rater"))
    answered = {(r.team_id, r.rater_id) for r in responses}
    round_above = None if raw else policy.factor_round_above
    rows = []
    for team in teams:
        users = {u.pk: u for u in members[team.pk]}
        ids = list(users)
        team_ratings = {
            r: {m: d for m, d in row.items() if m in users} for r, row in ratings.get(team.pk, {}).items() if r in users
        }
        result = team_results(ids, team_ratings, {uid for uid in ids if (team.pk, uid) in answered})
        member_rows = []
        for m in result.members:
            member_rows.append(
                MemberRow(
                    user=users[m.member],
                    result=m,
                    answered=(team.pk, m.member) in answered,
                    factor_with_self=display_factor(m.factor_with_self, cap=policy.factor_cap, round_above=round_above),
                    factor_without_self=display_factor(
                        m.factor_without_self, cap=policy.factor_cap, round_above=round_above
                    ),
                    flags=[_named(f, users) for f in result.flags if f.member == m.member],
                )
            )
        comments = [r for r in responses if r.team_id == team.pk and (r.team_comment or r.confidential_comment)]
        rows.append(
            TeamRow(
                team=team,
                members=member_rows,
                flags=[_named(f, users) for f in result.flags if f.member is None],
                comments=comments,
            )
        )
    return rows


@dataclass
class Feedback:
    """What a student may read once results are released: anonymous, never who gave what."""

    peer_means: list[tuple[str, float | None]]  # (dimension label, mean of teammates' ratings)
    peer_mean: float | None
    raters: int
    team_comments: list[str]


def feedback_for(evaluation: Evaluation, user) -> Feedback | None:
    response_team = (
        EvaluationResponse.objects.filter(evaluation=evaluation, rater=user).values_list("team_id", flat=True).first()
    )
    team_id = response_team or TeamMembership.objects.filter(
        course=evaluation.course, user=user
    ).values_list("team_id", flat=True).first()  # fmt: skip
    if team_id is None:
        return None
    received = Rating.objects.filter(response__evaluation=evaluation, response__team_id=team_id, ratee=user).exclude(
        response__rater=user
    )
    by_dim: dict[str, list[int]] = defaultdict(list)
    raters = set()
    for dim, score, rater in received.values_list("dimension", "score", "response__rater_id"):
        by_dim[dim].append(score)
        raters.add(rater)
    all_scores = [s for v in by_dim.values() for s in v]
    comments = (
        EvaluationResponse.objects.filter(evaluation=evaluation, team_id=team_id)
        .exclude(team_comment="")
        .values_list("team_comment", flat=True)
    )
    return Feedback(
        peer_means=[
            (label, (sum(by_dim[d]) / len(by_dim[d])) if by_dim[d] else None) for d, label in Dimension.choices
        ],
        peer_mean=sum(all_scores) / len(all_scores) if all_scores else None,
        raters=len(raters),
        team_comments=sorted(comments),  # alphabetical: no order that could tell who wrote which
    )


def factor_by_student(evaluation: Evaluation | None, policy: GradingPolicy) -> dict[int, float]:
    """The capped factor (with or without self, per the policy) of every rated student."""
    if evaluation is None:
        return {}
    factors = {}
    for row in evaluation_results(evaluation, policy, raw=True):
        for m in row.members:
            raw = m.result.factor_with_self if policy.factor_with_self else m.result.factor_without_self
            if raw is not None:
                factors[m.user.pk] = min(raw, policy.factor_cap)
    return factors
