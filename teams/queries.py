"""Read-only views of teams shared by the pages, the API and the home card (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from courses.models import Course
from teams.bulk import unplaced_students
from teams.models import BoardPost, Invitation, JoinRequest, RequestStatus, Team, TeamMembership

STATUS_FILTERS = {
    "open": "Open places",
    "full": "Full",
    "under": "Under the minimum",
    "solo": "Teams of one",
    "locked": "Locked",
}


@dataclass(frozen=True)
class TeamStatus:
    key: str
    label: str
    css: str


def team_status(team: Team, size: int, course: Course) -> TeamStatus:
    """The one-line state of a team for badges and filters."""
    if size == 1 and team.solo_approved:
        return TeamStatus("solo", "solo (approved)", "info")
    if size == 1 and team.solo_reason:
        return TeamStatus("solo_pending", "solo, pending approval", "warn")
    if size >= course.max_team_size:
        return TeamStatus("full", "full", "ok")
    if size < course.min_team_size:
        missing = course.min_team_size - size
        return TeamStatus("under", f"needs {missing} more", "warn")
    places = course.max_team_size - size
    return TeamStatus("open", f"{places} open place{'s' if places != 1 else ''}", "ok")


def teams_with_members(course: Course):
    """Teams of the course with `size` annotated and members prefetched (no query per row)."""
    return (
        Team.objects.filter(course=course)
        .annotate(size=Count("memberships", distinct=True))
        .prefetch_related(Prefetch("memberships", queryset=TeamMembership.objects.select_related("user")))
        .order_by("name")
    )


def filter_teams(qs, course: Course, *, status: str = "", q: str = ""):
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(idea__icontains=q) | Q(looking_for__icontains=q))
    if status == "open":
        # A team of one that asked to work alone is not recruiting.
        qs = qs.filter(size__lt=course.max_team_size).exclude(Q(size=1) & ~Q(solo_reason=""))
    elif status == "full":
        qs = qs.filter(size__gte=course.max_team_size)
    elif status == "under":
        # Teams of one that asked to work alone are listed as "solo", not here.
        qs = qs.filter(size__lt=course.min_team_size).exclude(Q(size=1) & ~Q(solo_reason=""))
    elif status == "solo":
        qs = qs.filter(size=1).filter(Q(solo_approved=True) | ~Q(solo_reason=""))
    elif status == "locked":
        qs = qs.filter(locked=True)
    return qs


def decorate(teams, course: Course) -> list[Team]:
    """Attach `status` and `member_list` to each team (for templates and serializers)."""
    teams = list(teams)
    for team in teams:
        team.member_list = [m.user for m in team.memberships.all()]
        team.status = team_status(team, team.size, course)
    return teams


def open_board_posts(course: Course, *, interest: str = "", skill: str = "", q: str = ""):
    posts = BoardPost.objects.filter(course=course, is_open=True).select_related("author")
    if interest:
        posts = posts.filter(interests__icontains=interest.strip().lower())
    if skill:
        posts = posts.filter(skills__icontains=skill.strip().lower())
    if q:
        posts = posts.filter(
            Q(project_idea__icontains=q)
            | Q(text__icontains=q)
            | Q(author__first_name__icontains=q)
            | Q(author__last_name__icontains=q)
        )
    return posts


def board_tags(course: Course) -> tuple[list[str], list[str]]:
    """The interests and skills used on the board, for the filter links."""
    interests, skills = set(), set()
    for i, s in BoardPost.objects.filter(course=course, is_open=True).values_list("interests", "skills"):
        interests.update(BoardPost.split_tags(i))
        skills.update(BoardPost.split_tags(s))
    return sorted(interests), sorted(skills)


def pending_requests(course: Course):
    return (
        JoinRequest.objects.filter(course=course, status=RequestStatus.PENDING)
        .select_related("team", "user")
        .order_by("created_at")
    )


def pending_invitations(course: Course):
    return (
        Invitation.objects.filter(course=course, status=RequestStatus.PENDING)
        .select_related("team", "user", "invited_by")
        .order_by("created_at")
    )


def overview(course: Course) -> dict:
    """What staff need at a glance besides the team list: the unplaced, teams of one, small teams,
    pending requests and invitations, and counts."""
    base = teams_with_members(course)
    return {
        "solo": decorate(filter_teams(base, course, status="solo"), course),
        "under": decorate(filter_teams(base, course, status="under"), course),
        "unplaced": list(unplaced_students(course)),
        "requests": list(pending_requests(course)),
        "invitations": list(pending_invitations(course)),
        "team_count": Team.objects.filter(course=course).count(),
        "placed_count": TeamMembership.objects.filter(course=course).count(),
    }
