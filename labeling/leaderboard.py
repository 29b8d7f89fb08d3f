"""Leaderboards of a challenge, final picks and closing.

A board has one row per participant (a student, a team, or a benchmark) that has at least
one scored, not disqualified submission: never a row without a score. Rows are ordered by
score (every metric is higher-is-better), ties broken by the earlier submission, then by id.
Benchmark rows sit inline at their score and take no rank.

- public: each participant's best public score over all their submissions;
- private (after closing, or for staff): each participant's best private score over their
  final picks, or, when they picked none, over their `final_picks` best public submissions.

The number of SQL queries does not depend on the number of participants or submissions:
the best row per participant comes from one window-function query, the page's names,
counts and score histories from a fixed handful more.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, F, Max, Prefetch, Q
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from labeling.access import is_closed
from labeling.models import Challenge, Status, Submission, SubmissionEvent

PUBLIC, PRIVATE = "public", "private"
ROWS_PER_PAGE = 50
_ROW_FIELDS = ("id", "participant", "public_score", "private_score", "created_at", "is_benchmark", "benchmark_name")


@dataclass
class Row:
    participant: str
    submission_id: int
    score: float
    public_score: float | None
    private_score: float | None
    submitted_at: datetime.datetime
    is_benchmark: bool
    benchmark_name: str = ""
    rank: int | None = None
    # Filled in for the rows of the shown page only.
    name: str = ""
    members: list[str] = field(default_factory=list)
    member_emails: list[str] = field(default_factory=list)
    count: int = 0
    last_at: datetime.datetime | None = None
    history: list[tuple[datetime.datetime, float]] = field(default_factory=list)
    chart: SafeString = mark_safe("")
    is_own: bool = False
    public_rank: int | None = None
    counted_ids: list[int] = field(default_factory=list)
    page_number: int = 1
    board: str = PUBLIC


@dataclass
class Board:
    kind: str
    page: Page
    total: int
    own_rows: list[Row]

    @property
    def rows(self) -> list[Row]:
        return list(self.page.object_list)


def _eligible(challenge: Challenge, score_field: str):
    return Submission.objects.filter(
        challenge=challenge, status=Status.SCORED, disqualified=False, **{f"{score_field}__isnull": False}
    )


def _by_public(limit_per_participant: int, qs, *, public_may_be_missing: bool = True):
    """Each participant's `limit` best submissions by public score (earlier first on ties): one query."""
    # No public scores at all (public_fraction 0): the earliest submissions count by default. When
    # `qs` has public scores only, the plain order is the same one and matches the index
    # labeling_sub_board_rows, so PostgreSQL reads the rows in order instead of sorting them.
    public = F("public_score").desc(nulls_last=True) if public_may_be_missing else F("public_score").desc()
    ranked = qs.annotate(
        pos=Window(
            RowNumber(),
            partition_by=[F("participant")],
            order_by=[public, F("created_at").asc(), F("id").asc()],
        )
    )
    return ranked.filter(pos__lte=limit_per_participant).values(*_ROW_FIELDS, "pos")


def _sort_and_rank(rows: list[Row]) -> list[Row]:
    rows.sort(key=lambda r: (-r.score, r.submitted_at, r.submission_id))
    rank = 0
    for row in rows:
        if not row.is_benchmark:
            rank += 1
            row.rank = rank
    return rows


def public_rows(challenge: Challenge) -> list[Row]:
    """Every participant's best public submission, ranked (one query)."""
    rows = [
        Row(
            participant=v["participant"],
            submission_id=v["id"],
            score=v["public_score"],
            public_score=v["public_score"],
            private_score=v["private_score"],
            submitted_at=v["created_at"],
            is_benchmark=v["is_benchmark"],
            benchmark_name=v["benchmark_name"],
            counted_ids=[v["id"]],
        )
        for v in _by_public(1, _eligible(challenge, "public_score"), public_may_be_missing=False)
    ]
    return _sort_and_rank(rows)


def counted_for_private(challenge: Challenge) -> dict[str, list[dict]]:
    """The submissions that count on the private board, per participant (two queries).

    A participant's final picks that are scored and not disqualified; if they have none,
    their `challenge.final_picks` best public submissions (the default picks).
    """
    eligible = _eligible(challenge, "private_score")
    picked: dict[str, list[dict]] = {}
    for v in eligible.filter(is_final_pick=True).values(*_ROW_FIELDS):
        picked.setdefault(v["participant"], []).append(v)
    default: dict[str, list[dict]] = {}
    for v in _by_public(challenge.final_picks, eligible):
        default.setdefault(v["participant"], []).append(v)
    return {p: picked.get(p) or rows for p, rows in default.items()}


def private_rows(challenge: Challenge) -> list[Row]:
    """Every participant's best private score over the submissions that count, ranked."""
    rows = []
    for participant, candidates in counted_for_private(challenge).items():
        best = min(candidates, key=lambda v: (-v["private_score"], v["created_at"], v["id"]))
        rows.append(
            Row(
                participant=participant,
                submission_id=best["id"],
                score=best["private_score"],
                public_score=best["public_score"],
                private_score=best["private_score"],
                submitted_at=best["created_at"],
                is_benchmark=best["is_benchmark"],
                benchmark_name=best["benchmark_name"],
                counted_ids=sorted(v["id"] for v in candidates),
            )
        )
    return _sort_and_rank(rows)


def private_visible(challenge: Challenge, is_staff: bool) -> bool:
    return is_staff or is_closed(challenge)


def build_board(
    challenge: Challenge,
    kind: str = PUBLIC,
    *,
    own: set[str] | frozenset = frozenset(),
    page_number=None,
    per_page: int = ROWS_PER_PAGE,
    with_public_rank: bool = False,
    rows: list[Row] | None = None,
) -> Board:
    """A page of the board with names, counts and histories filled in for the page's rows.

    `own` holds the viewer's participant ids (their rows are highlighted and listed in
    `own_rows` even when on another page). The caller checks that `kind` may be shown.
    `rows`: the board's `ranked_rows`, when the caller has just read them.
    """
    if rows is None:
        rows = ranked_rows(challenge, kind)
    if with_public_rank:
        public_rank = {r.participant: r.rank for r in public_rows(challenge)}
        for row in rows:
            row.public_rank = public_rank.get(row.participant)
    page = Paginator(rows, per_page).get_page(page_number)
    own_rows = []
    for position, row in enumerate(rows):
        if row.participant in own:
            row.page_number = position // per_page + 1
            own_rows.append(row)
    shown = list({id(r): r for r in [*page.object_list, *own_rows]}.values())
    _fill_details(challenge, shown, kind, own)
    return Board(kind=kind, page=page, total=len(rows), own_rows=own_rows)


def _fill_details(challenge: Challenge, rows: list[Row], kind: str, own) -> None:
    """Names, team members, submission counts and score histories of `rows` (five queries at most)."""
    from django.contrib.auth import get_user_model

    from teams.models import Team, TeamMembership

    participants = [r.participant for r in rows if not r.is_benchmark]
    user_ids = [int(p[2:]) for p in participants if p.startswith("u:")]
    team_ids = [int(p[2:]) for p in participants if p.startswith("t:")]
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    teams = {}
    if team_ids:
        members = Prefetch("memberships", queryset=TeamMembership.objects.select_related("user"))
        teams = Team.objects.prefetch_related(members).in_bulk(team_ids)
    stats = {}
    if rows:
        counted = Submission.objects.filter(challenge=challenge, participant__in=[r.participant for r in rows])
        stats = {
            s["participant"]: s
            for s in counted.exclude(status=Status.CANCELLED)
            .values("participant")
            .annotate(n=Count("id"), last=Max("created_at"))
        }
    score_field = "private_score" if kind == PRIVATE else "public_score"
    history: dict[str, list] = {}
    if rows:
        scored = _eligible(challenge, score_field).filter(participant__in=[r.participant for r in rows])
        for participant, at, score in scored.order_by("created_at", "id").values_list(
            "participant", "created_at", score_field
        ):
            history.setdefault(participant, []).append((at, score))
    points = [p for h in history.values() for p in h]
    bounds = _chart_bounds(points)
    for row in rows:
        row.is_own = row.participant in own
        if row.is_benchmark:
            row.name = row.benchmark_name or row.participant[2:]
        elif row.participant.startswith("u:"):
            user = users.get(int(row.participant[2:]))
            row.name = (user.get_full_name() or user.email) if user else "(deleted user)"
            row.member_emails = [user.email] if user else []
        else:
            team = teams.get(int(row.participant[2:]))
            row.name = team.name if team else "(deleted team)"
            people = [m.user for m in team.memberships.all()] if team else []
            row.members = [u.get_full_name() or u.email for u in people]
            row.member_emails = [u.email for u in people]
        stat = stats.get(row.participant)
        row.count = stat["n"] if stat else 0
        row.last_at = stat["last"] if stat else None
        row.history = history.get(row.participant, [])
        row.chart = sparkline(row.history, bounds, label=row.name)


def _chart_bounds(points):
    if not points:
        return None
    times = [p[0] for p in points]
    scores = [p[1] for p in points]
    return min(times), max(times), min(scores), max(scores)


def sparkline(history, bounds, *, label: str = "", width: int = 100, height: int = 26) -> SafeString:
    """A small inline SVG of a score history: a dot per scored submission and the best-so-far line.

    `bounds` (earliest, latest, lowest, highest) is shared by the rows of a page so their
    charts compare at a glance. No JavaScript, no external resources.
    """
    if not history or bounds is None:
        return mark_safe("")
    t0, t1, lo, hi = bounds
    span_t = (t1 - t0).total_seconds() or 1.0
    span_s = (hi - lo) or 1.0
    pad = 3

    def xy(at, score):
        x = pad + (width - 2 * pad) * ((at - t0).total_seconds() / span_t if t1 > t0 else 0.5)
        y = height - pad - (height - 2 * pad) * ((score - lo) / span_s if hi > lo else 0.5)
        return f"{x:.1f}", f"{y:.1f}"

    best = None
    steps = []
    for at, score in history:
        if best is None or score > best:
            best = score
        x, y = xy(at, best)
        steps.append(f"{x},{y}")
    # Plain f-strings: the coordinates are numbers formatted above (nothing to escape), and a page
    # of 50 rows draws about a thousand dots; format_html for each took a fifth of the page's time.
    dots = "".join('<circle cx="{}" cy="{}" r="2"/>'.format(*xy(at, s)) for at, s in history)
    title = f"{label}: {len(history)} scored submission{'s' if len(history) != 1 else ''}, best {best:.4f}"
    return format_html(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
        "<title>{t}</title>"
        '<rect class="spark-bg" x="0" y="0" width="{w}" height="{h}" rx="3"/>'
        '<polyline points="{pts}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        '<g class="dots">{dots}</g></svg>',
        w=width,
        h=height,
        t=title,
        pts=" ".join(steps),
        dots=mark_safe(dots),  # noqa: S308 - built by format_html from numbers only
    )


class Place(NamedTuple):
    """A participant's place on a board: what a viewer needs to find their row. (A tuple: the
    page cache reads a whole board of them per request, and tuples unpickle fastest.)"""

    participant: str
    rank: int | None
    score: float
    position: int  # 0-based, benchmark rows included (they take a line, not a rank)
    board: str = PUBLIC

    def page_number(self, per_page: int = ROWS_PER_PAGE) -> int:
        return self.position // per_page + 1


def ranked_rows(challenge: Challenge, kind: str = PUBLIC) -> list[Row]:
    """Every row of the board in order, without the names, counts and charts (one or two queries)."""
    return private_rows(challenge) if kind == PRIVATE else public_rows(challenge)


def ranking(challenge: Challenge, kind: str = PUBLIC, rows: list[Row] | None = None) -> list[Place]:
    """Every participant's place on the board, in order (`rows`: its `ranked_rows`, if read already)."""
    rows = ranked_rows(challenge, kind) if rows is None else rows
    return [Place(r.participant, r.rank, r.score, i, kind) for i, r in enumerate(rows)]


def standing_of(challenge: Challenge, participants: set[str], places: list[Place] | None = None) -> Place | None:
    """The viewer's place (rank and score) on the board that counts now: the public one while the
    challenge is open, the private one after it closed (`board` says which); None without a row.

    `places`: that board's `ranking`, when the caller has it (from the page cache)."""
    kind = PRIVATE if is_closed(challenge) else PUBLIC
    for place in ranking(challenge, kind) if places is None else places:
        if place.participant in participants:
            return place
    return None


@transaction.atomic
def pick_final(challenge: Challenge, user, submission_ids) -> list[int]:
    """Make exactly `submission_ids` the participant's final picks (none: back to the default picks).

    Up to `challenge.final_picks` scored, not disqualified submissions of the user's current
    participant (the user, or their team); only while the challenge is not closed.
    """
    from labeling.services import participant_for

    if is_closed(challenge):
        raise ValidationError("The challenge is closed: final picks can no longer change.")
    participant = participant_for(challenge, user)
    try:
        wanted = {int(pk) for pk in submission_ids}
    except (TypeError, ValueError):
        raise ValidationError("Submission ids must be numbers.") from None
    if len(wanted) > challenge.final_picks:
        raise ValidationError(
            f"You can pick at most {challenge.final_picks} submission{'s' if challenge.final_picks != 1 else ''}."
        )
    # Locks the participant's rows: two picks at once (two teammates) end as one of them, never a mix.
    mine = {
        s.pk: s
        for s in Submission.objects.select_for_update().filter(
            challenge=challenge, participant=participant, is_benchmark=False
        )
    }
    problems = []
    for pk in sorted(wanted):
        sub = mine.get(pk)
        if sub is None:
            problems.append(f"Submission {pk} is not one of yours in this challenge.")
        elif sub.status != Status.SCORED:
            problems.append(f"Submission {pk} is {sub.get_status_display().lower()}, not scored: it cannot count.")
        elif sub.disqualified:
            problems.append(f"Submission {pk} was disqualified: it cannot count.")
    if problems:
        raise ValidationError(problems)
    dropped = [s for pk, s in mine.items() if s.is_final_pick and pk not in wanted]
    added = [mine[pk] for pk in sorted(wanted) if not mine[pk].is_final_pick]
    Submission.objects.filter(pk__in=[s.pk for s in dropped]).update(is_final_pick=False)
    Submission.objects.filter(pk__in=[s.pk for s in added]).update(is_final_pick=True)
    SubmissionEvent.objects.bulk_create(
        [
            SubmissionEvent(submission=s, from_status=s.status, to_status=s.status, actor=user, note=note)
            for group, note in ((dropped, "final pick removed"), (added, "picked as final"))
            for s in group
        ]
    )
    return sorted(wanted)


def final_pick_ids(challenge: Challenge, participant: str | None) -> tuple[list[int], bool]:
    """The submissions that count for the participant's private score and whether they were
    picked (True) or are the default best public ones (False)."""
    if participant is None:
        return [], False
    eligible = _eligible(challenge, "public_score").filter(participant=participant)
    picked = list(eligible.filter(is_final_pick=True).order_by("id").values_list("id", flat=True))
    if picked:
        return picked, True
    best = eligible.order_by("-public_score", "created_at", "id")[: challenge.final_picks]
    return list(best.values_list("id", flat=True)), False


def close_challenge(challenge: Challenge, actor, *, now=None) -> Challenge:
    """Close the challenge now: no more submissions, picks frozen, the private board revealed.

    Submissions already queued are still scored. Students are notified.
    """
    from courses.models import Role
    from courses.notifications import notify

    now = now or timezone.now()
    with transaction.atomic():
        open_now = Q(closes_at__isnull=True) | Q(closes_at__gt=now)
        if not Challenge.objects.filter(Q(pk=challenge.pk) & open_now).update(closes_at=now):
            raise ValidationError("The challenge is already closed.")
        challenge.closes_at = now
        students = [m.user for m in challenge.course.memberships.filter(role=Role.STUDENT).select_related("user")]
        url = reverse("labeling:leaderboard", args=[challenge.course.slug, challenge.slug])
        notify(
            students,
            verb="challenge closed",
            message=f"{challenge.title} is closed: the private leaderboard is out.",
            course=challenge.course,
            url=url,
        )
    return challenge


def standings_csv(challenge: Challenge) -> str:
    """The final standings as CSV: private board order (or public, when there are no private scores yet)."""
    board = build_board(challenge, PRIVATE, per_page=10**9, with_public_rank=True)
    kind = PRIVATE
    if board.total == 0:
        board = build_board(challenge, PUBLIC, per_page=10**9, with_public_rank=True)
        kind = PUBLIC
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "rank",
            "participant",
            "name",
            "members",
            "emails",
            "benchmark",
            f"{kind}_score",
            "public_rank",
            "public_score",
            "private_score",
            "best_submission",
            "counted_submissions",
            "submissions",
            "last_submission",
        ]
    )
    for row in board.rows:
        writer.writerow(
            [
                row.rank or "",
                row.participant,
                _cell(row.name),
                _cell("; ".join(row.members)),
                _cell("; ".join(row.member_emails)),
                "yes" if row.is_benchmark else "",
                repr(row.score),
                row.public_rank or "",
                "" if row.public_score is None else repr(row.public_score),
                "" if row.private_score is None else repr(row.private_score),
                row.submission_id,
                " ".join(str(i) for i in row.counted_ids),
                row.count,
                row.last_at.isoformat() if row.last_at else "",
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
