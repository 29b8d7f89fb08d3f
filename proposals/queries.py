"""Read-side helpers shared by pages, the API, CSV exports and the home card (no writes here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import chain

from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from proposals.models import (
    DraftSection,
    Proposal,
    ProposalRevision,
    ProposalStatus,
    Review,
    UpdateComment,
    WeeklyUpdate,
)
from proposals.weeks import Week, course_weeks, current_week_number
from teams.models import Team

NOT_STARTED = "not_started"


def staff_proposal_rows(course, status: str | None = None):
    """Teams with their proposal (or none yet), for the staff list: one query per page."""
    teams = Team.objects.filter(course=course).select_related("proposal").annotate(size=Count("memberships"))
    if status == NOT_STARTED:
        teams = teams.filter(proposal__isnull=True)
    elif status in ProposalStatus.values:
        teams = teams.filter(proposal__status=status)
    return teams.order_by("name")


def orphaned_proposals(course):
    """Proposals whose team was dissolved: kept, with every revision, under the old team name."""
    return Proposal.objects.filter(course=course, team__isnull=True).order_by("team_name")


def latest_review(proposal: Proposal) -> Review | None:
    return (
        proposal.reviews.select_related("reviewer", "revision").prefetch_related("section_comments").first()
        if proposal.revision_count
        else None
    )


def latest_revision(proposal: Proposal) -> ProposalRevision | None:
    if not proposal.revision_count:
        return None
    return (
        ProposalRevision.objects.select_related("author")
        .prefetch_related("sections")
        .get(proposal=proposal, number=proposal.revision_count)
    )


def drafts_by_key(proposal: Proposal) -> dict[str, DraftSection]:
    return {d.key: d for d in proposal.draft_sections.select_related("updated_by")}


# ---------------------------------------------------------------- weekly updates


class Cell:
    POSTED = "posted"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"  # this week, not due yet, not posted yet
    UPCOMING = "upcoming"  # the week has not started


@dataclass
class GridCell:
    week: Week
    status: str
    update_id: int | None = None
    url: str = ""  # the posted update's page


@dataclass
class GridRow:
    team: Team
    cells: list[GridCell]


def cell_status(week: Week, update: dict | None, current: int, now: datetime.datetime) -> str:
    if update:
        return Cell.LATE if update["late"] else Cell.POSTED
    if week.number > current:
        return Cell.UPCOMING
    return Cell.MISSING if week.is_due(now) else Cell.PENDING


def grid_teams(course, *, missing_week: int | None = None):
    teams = Team.objects.filter(course=course).order_by("name")
    if missing_week:
        teams = teams.exclude(weekly_updates__week=missing_week)
    return teams


def update_grid(course, teams, now: datetime.datetime | None = None) -> tuple[list[Week], list[GridRow]]:
    """Teams × weeks, each cell posted / late / missing / pending / upcoming: two queries."""
    now = now or timezone.now()
    weeks = course_weeks(course)
    current = current_week_number(course, now)
    teams = list(teams)
    # One reverse() per grid, not one per cell: on a page of 50 teams × 10 weeks, reversing
    # every cell's link took a third of the page's time (docs/performance.md).
    detail = reverse("proposals:update_detail", args=[course.slug, 0]).removesuffix("0/")
    found = {
        (u["team_id"], u["week"]): u
        for u in WeeklyUpdate.objects.filter(team__in=[t.pk for t in teams]).values("id", "team_id", "week", "late")
    }
    rows = []
    for team in teams:
        cells = []
        for week in weeks:
            update = found.get((team.pk, week.number))
            status = cell_status(week, update, current, now)
            cells.append(
                GridCell(week, status, update["id"], f"{detail}{update['id']}/") if update else GridCell(week, status)
            )
        rows.append(GridRow(team, cells))
    return weeks, rows


def team_weeks(course, team, now: datetime.datetime | None = None) -> list[GridCell]:
    """One team's row of the grid (for the student's updates page and the home card)."""
    if team is None:
        return []
    return update_grid(course, [team], now)[1][0].cells


@dataclass
class FeedItem:
    kind: str  # update, comment
    at: datetime.datetime
    update: WeeklyUpdate
    comment: UpdateComment | None = None


def parse_cursor(value: str | None) -> datetime.datetime | None:
    """The feed's `before` cursor as an aware UTC datetime (naive means UTC); ValueError if it is not one."""
    if not value:
        return None
    moment = parse_datetime(value)  # raises ValueError for impossible dates
    if moment is None:
        raise ValueError(f"{value!r} is not an ISO 8601 date and time")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError(f"{value!r} is out of range") from None


def course_feed(course, *, before: datetime.datetime | None = None, limit: int = 30) -> list[FeedItem]:
    """Recent updates and comments of the course, newest first (two queries plus one for the comments' updates)."""
    updates = WeeklyUpdate.objects.filter(course=course).select_related("team", "author")
    comments = UpdateComment.objects.filter(course=course).select_related("author", "update__team")
    if before:
        updates = updates.filter(created_at__lt=before)
        comments = comments.filter(created_at__lt=before)
    items = chain(
        (FeedItem("update", u.created_at, u) for u in updates.order_by("-created_at")[:limit]),
        (FeedItem("comment", c.created_at, c.update, c) for c in comments.order_by("-created_at")[:limit]),
    )
    return sorted(items, key=lambda i: i.at, reverse=True)[:limit]


def update_comments(update: WeeklyUpdate) -> list[UpdateComment]:
    """Top-level comments with their replies attached as `.thread` (one query)."""
    comments = list(update.comments.select_related("author"))
    top = [c for c in comments if c.parent_id is None]
    by_parent: dict[int, list[UpdateComment]] = {}
    for c in comments:
        if c.parent_id:
            by_parent.setdefault(c.parent_id, []).append(c)
    for c in top:
        c.thread = by_parent.get(c.pk, [])
    return top


def previous_next_steps(team, week: int) -> WeeklyUpdate | None:
    """Last week's update (for its "what's next"), or the latest earlier one."""
    return WeeklyUpdate.objects.filter(team=team, week__lt=week).order_by("-week").first()


def classmates_proposals(course, exclude_team=None):
    qs = Proposal.objects.filter(course=course, revision_count__gt=0)
    if exclude_team is not None:
        qs = qs.exclude(team=exclude_team)
    return qs.order_by("team_name")


def reviews_with_comments(proposal: Proposal):
    return proposal.reviews.select_related("reviewer", "revision").prefetch_related(Prefetch("section_comments"))
