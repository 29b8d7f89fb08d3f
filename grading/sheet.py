"""The grade sheet: every student's row, each component's percent and the weighted total.

Components (weights from the course's GradingPolicy, staff items with their own weights):
- proposal (team): 100 if the team's proposal is approved, else 0; the approval time is shown;
- weekly updates (team): over the weeks already due, on time 1, late `late_update_credit`, missing 0;
- challenge: the best private-board row of the student (or of their team) in the graded challenge,
  by score on a scale anchored at the benchmark rows, or by rank;
- staff-entered items: points over the item's maximum (team items are team components).
The peer factor (capped) multiplies every team component, up to 100. Missing components count 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from courses.models import Membership, Role
from grading.models import ChallengeBasis, Evaluation, GradeEntry, GradeItem, GradingPolicy
from grading.results import factor_by_student
from labeling.models import Challenge
from proposals.models import ProposalStatus, WeeklyUpdate
from proposals.weeks import course_weeks
from teams.models import TeamMembership

PROPOSAL, UPDATES, CHALLENGE = "proposal", "updates", "challenge"


@dataclass
class Component:
    key: str
    name: str
    weight: float
    team: bool  # the peer factor applies
    max_points: float = 100


@dataclass
class Cell:
    percent: float | None  # before the peer factor
    adjusted: float | None  # after it (team components), what the total uses
    detail: str = ""


@dataclass
class StudentRow:
    user: object
    membership: Membership
    team_name: str
    factor: float | None
    cells: dict[str, Cell] = field(default_factory=dict)
    total: float = 0.0


@dataclass
class Sheet:
    components: list[Component]
    rows: list[StudentRow]
    evaluation: Evaluation | None
    challenge: Challenge | None
    anchors: list[tuple[str, float, float]]  # (benchmark, score, percent)

    def row_for(self, user) -> StudentRow | None:
        return next((r for r in self.rows if r.user.pk == user.pk), None)


def graded_evaluation(course, policy: GradingPolicy) -> Evaluation | None:
    if policy.evaluation_id:
        return policy.evaluation
    return Evaluation.objects.filter(course=course, closes_at__lte=timezone.now()).order_by("-closes_at").first()


def graded_challenge(course, policy: GradingPolicy) -> Challenge | None:
    if policy.challenge_id:
        return policy.challenge
    return Challenge.objects.filter(course=course).order_by("-id").first()


def benchmark_scale(benchmarks: list[tuple[str, float]], floor: float) -> list[tuple[str, float, float]]:
    """Anchor points: the lowest benchmark gives `floor` percent, the highest 100, those between evenly spaced."""
    ordered = sorted(benchmarks, key=lambda b: b[1])
    if len(ordered) == 1:
        return [(ordered[0][0], ordered[0][1], 100.0)]
    step = (100.0 - floor) / (len(ordered) - 1) if ordered else 0
    return [(name, score, floor + i * step) for i, (name, score) in enumerate(ordered)]


def scaled_percent(score: float, anchors: list[tuple[str, float, float]]) -> float:
    """Piecewise-linear through (0, 0) and the anchors; at or above the top anchor 100."""
    points = [(0.0, 0.0)] + [(s, p) for _, s, p in anchors if s > 0]
    if len(points) == 1:
        return max(0.0, min(100.0, score * 100))  # no benchmark: the metric itself, as a percent
    if score >= points[-1][0]:
        return 100.0
    for (s0, p0), (s1, p1) in zip(points, points[1:], strict=False):
        if s0 <= score <= s1:
            return p0 + (p1 - p0) * (score - s0) / (s1 - s0) if s1 > s0 else p1
    return 0.0


def _challenge_cells(challenge: Challenge | None, policy: GradingPolicy, team_of: dict[int, int]):
    """Per student id: (percent, detail); plus the anchors shown on the page."""
    if challenge is None:
        return {}, []
    from labeling.leaderboard import private_rows

    rows = private_rows(challenge)
    benchmarks = [(r.benchmark_name, r.score) for r in rows if r.is_benchmark]
    anchors = benchmark_scale(benchmarks, policy.challenge_floor) if benchmarks else []
    ranked = [r for r in rows if not r.is_benchmark]
    n = len(ranked)
    by_participant = {r.participant: r for r in ranked}
    out = {}
    for uid, team_id in team_of.items():
        row = by_participant.get(f"u:{uid}") or (by_participant.get(f"t:{team_id}") if team_id else None)
        if row is None:
            continue
        if policy.challenge_basis == ChallengeBasis.RANK:
            percent = 100.0 if n == 1 else 100.0 * (n - row.rank) / (n - 1)
            detail = f"rank {row.rank} of {n}"
        else:
            percent = scaled_percent(row.score, anchors)
            detail = f"private score {row.score:.4f}"
        out[uid] = (percent, detail)
    return out, anchors


def build_sheet(course, policy: GradingPolicy | None = None, now=None) -> Sheet:
    """Every student's row of the course's grade sheet (a fixed number of queries)."""
    from grading.services import grading_policy

    policy = policy or grading_policy(course)
    now = now or timezone.now()
    items = list(GradeItem.objects.filter(course=course))
    components = [
        Component(PROPOSAL, "Proposal", policy.weight_proposal, True),
        Component(UPDATES, "Weekly updates", policy.weight_updates, True),
        Component(CHALLENGE, "Challenge", policy.weight_challenge, False),
    ] + [Component(f"item-{i.pk}", i.name, i.weight, i.team_component, i.max_points) for i in items]
    memberships = list(
        Membership.objects.filter(course=course, role=Role.STUDENT)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    team_links = {
        tm.user_id: tm.team for tm in TeamMembership.objects.filter(course=course).select_related("team__proposal")
    }
    due_weeks = [w.number for w in course_weeks(course) if w.is_due(now)]
    updates: dict[int, dict[int, bool]] = {}
    for u in WeeklyUpdate.objects.filter(course=course, week__in=due_weeks).values("team_id", "week", "late"):
        updates.setdefault(u["team_id"], {})[u["week"]] = u["late"]
    challenge = graded_challenge(course, policy)
    challenge_cells, anchors = _challenge_cells(
        challenge, policy, {m.user_id: getattr(team_links.get(m.user_id), "pk", None) for m in memberships}
    )
    entries = {(e.item_id, e.student_id): e.points for e in GradeEntry.objects.filter(item__in=items)}
    evaluation = graded_evaluation(course, policy)
    factors = factor_by_student(evaluation, policy) if policy.apply_peer_factor else {}
    total_weight = sum(c.weight for c in components)
    rows = []
    for m in memberships:
        team = team_links.get(m.user_id)
        factor = factors.get(m.user_id)
        row = StudentRow(user=m.user, membership=m, team_name=team.name if team else "", factor=factor)
        proposal = getattr(team, "proposal", None) if team else None
        if proposal and proposal.status == ProposalStatus.APPROVED:
            when = (
                timezone.localtime(proposal.decided_at, course.tz).strftime("%Y-%m-%d") if proposal.decided_at else ""
            )
            raw = {PROPOSAL: (100.0, f"approved {when}".strip())}
        else:
            raw = {PROPOSAL: (0.0, proposal.get_status_display().lower() if proposal else "none")}
        posted = updates.get(team.pk, {}) if team else {}
        on_time = sum(1 for w in due_weeks if w in posted and not posted[w])
        late = sum(1 for w in due_weeks if posted.get(w))
        missing = len(due_weeks) - on_time - late
        if due_weeks:
            pct = 100.0 * (on_time + late * policy.late_update_credit) / len(due_weeks)
            raw[UPDATES] = (pct, f"{on_time} on time, {late} late, {missing} missing")
        else:
            raw[UPDATES] = (None, "no week due yet")
        raw[CHALLENGE] = challenge_cells.get(m.user_id, (0.0 if challenge else None, "no score" if challenge else ""))
        for item in items:
            points = entries.get((item.pk, m.user_id))
            raw[f"item-{item.pk}"] = (
                (100.0 * points / item.max_points, f"{points:g} / {item.max_points:g}")
                if points is not None
                else (0.0, "")
            )
        weighted = 0.0
        for c in components:
            percent, detail = raw[c.key]
            adjusted = percent
            if percent is not None and c.team and factor is not None:
                adjusted = min(100.0, percent * factor)
            row.cells[c.key] = Cell(percent, adjusted, detail)
            weighted += c.weight * (adjusted or 0.0)
        row.total = weighted / total_weight if total_weight else 0.0
        rows.append(row)
    return Sheet(components=components, rows=rows, evaluation=evaluation, challenge=challenge, anchors=anchors)
