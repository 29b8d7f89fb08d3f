"""What every teams service shares: reading helpers, refusals, locks, history and the membership change itself."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Membership, Role
from courses.notifications import notify, without_email  # noqa: F401 (services' names)
from teams.models import (
    BoardPost,
    EventKind,
    Invitation,
    JoinRequest,
    RequestStatus,
    Team,
    TeamEvent,
    TeamMembership,
)

User = get_user_model()


# ---------------------------------------------------------------- reading helpers


def team_of(user, course) -> Team | None:
    """The user's team in the course, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Team.objects.filter(course=course, memberships__user=user).first()


def display_name(user) -> str:
    return user.get_full_name() or user.email


def deadline_passed(course: Course, now=None) -> bool:
    deadline = course.team_formation_deadline
    return deadline is not None and (now or timezone.now()) >= deadline


def is_staff_of(course: Course, user) -> bool:
    if user is None:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(course=course, user=user, role__in=[Role.INSTRUCTOR, Role.TA]).exists()


def team_url(team: Team) -> str:
    return reverse("teams:detail", args=[team.course.slug, team.pk])


def requests_url(course: Course) -> str:
    return reverse("teams:requests", args=[course.slug])


def member_users(team: Team) -> list:
    return [m.user for m in TeamMembership.objects.filter(team=team).select_related("user")]


def utc_offset_hours(time_zone: str) -> float | None:
    if not time_zone:
        return None
    try:
        offset = timezone.now().astimezone(zoneinfo.ZoneInfo(time_zone)).utcoffset()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


# ---------------------------------------------------------------- refusals and locks


def _refuse(message: str):
    raise ValidationError(message)


def _deadline_text(course: Course) -> str:
    local = timezone.localtime(course.team_formation_deadline, course.tz)
    return f"{local:%Y-%m-%d %H:%M} ({course.time_zone})"


def check_student_may_change(course: Course, team: Team | None = None) -> None:
    """Students change nothing after the formation deadline or on a locked team."""
    if deadline_passed(course):
        _refuse(
            f"The team formation deadline passed on {_deadline_text(course)}; ask an instructor to change teams now."
        )
    if team is not None and team.locked:
        _refuse(f"{team.name} is locked; only an instructor can change it now.")


def _lock_students(course: Course, users: Iterable, *, subject: str | None = None) -> None:
    """Lock the course membership rows of `users` (in id order) and check they are students."""
    users = sorted({u.pk: u for u in users}.values(), key=lambda u: u.pk)
    # No ordering and of=("self",): lock only these membership rows, not the joined course or user rows.
    locked = Membership.objects.select_for_update(of=("self",)).filter(course=course, user__in=[u.pk for u in users])
    rows = {m.user_id: m for m in locked.order_by("pk")}
    for user in users:
        row = rows.get(user.pk)
        if row is None or row.role != Role.STUDENT:
            if subject == "self":
                _refuse("Only students of this course can be in a team.")
            _refuse(f"{display_name(user)} is not a student of this course.")


def _lock_teams(course: Course, team_ids: Iterable[int]) -> dict[int, Team]:
    """Lock the team rows (in id order) and return them fresh; refuse if one is gone."""
    ids = sorted({i for i in team_ids if i is not None})
    teams = {t.pk: t for t in Team.objects.select_for_update().filter(course=course, pk__in=ids).order_by("pk")}
    if len(teams) != len(ids):
        _refuse("This team no longer exists; it was dissolved or merged.")
    return teams


def _lock_team(team: Team) -> Team:
    return _lock_teams(team.course, [team.pk])[team.pk]


def _size(team: Team) -> int:
    return TeamMembership.objects.filter(team=team).count()


def _check_room(team: Team, course: Course, arriving: int = 1) -> None:
    size = _size(team)
    if size + arriving > course.max_team_size:
        _refuse(f"{team.name} is full: it has {size} of {course.max_team_size} members.")


def _check_not_in_team(course: Course, user, *, self_: bool) -> None:
    current = TeamMembership.objects.filter(course=course, user=user).select_related("team").first()
    if current is not None:
        if self_:
            _refuse(f"You are already in a team ({current.team.name}); leave it first.")
        _refuse(f"{display_name(user)} is already in a team ({current.team.name}).")


def _check_member(team: Team, user, action: str) -> None:
    if not TeamMembership.objects.filter(team=team, user=user).exists():
        _refuse(f"Only members of {team.name} can {action}.")


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        _refuse("Give the team a name.")
    if len(name) > 80:
        _refuse("A team name can have at most 80 characters.")
    return name


def _check_name_free(course: Course, name: str, exclude: Team | None = None) -> None:
    taken = Team.objects.filter(course=course, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        _refuse(f"A team called {name} already exists in this course.")


def record(team: Team, kind: str, detail: str, *, actor=None, subject=None) -> TeamEvent:
    return TeamEvent.objects.create(
        course_id=team.course_id,
        team=team,
        team_name=team.name,
        kind=kind,
        actor=actor,
        subject=subject,
        detail=detail[:500],
    )


def _add_member(team: Team, user, *, actor, kind: str, detail: str) -> TeamMembership:
    """Put a locked student into a locked team that has room; the database refuses a second team."""
    course = team.course
    _check_not_in_team(course, user, self_=actor is not None and actor.pk == user.pk)
    _check_room(team, course)
    try:
        with transaction.atomic():
            membership = TeamMembership.objects.create(team=team, user=user, course=course)
    except IntegrityError:
        _refuse(f"{display_name(user)} is already in a team.")
    # A student who joined a team has no other pending requests or invitations.
    _end_pending(RequestStatus.WITHDRAWN, course=course, user=user)
    BoardPost.objects.filter(course=course, author=user, is_open=True).update(is_open=False)
    if team.solo_reason or team.solo_approved:
        # A team that grows is no longer a team of one.
        Team.objects.filter(pk=team.pk).update(solo_reason="", solo_approved=False, solo_approved_by=None)
        team.solo_reason, team.solo_approved, team.solo_approved_by = "", False, None
    record(team, kind, detail, actor=actor, subject=user)
    return membership


def _end_pending(status: str, **where) -> None:
    """Every pending request and invitation matching `where` -> `status`, decided by no one."""
    now = timezone.now()
    for model in (JoinRequest, Invitation):
        model.objects.filter(status=RequestStatus.PENDING, **where).update(status=status, decided_at=now)


def _transition(model, obj, new_status: str, **fields) -> None:
    """pending -> new_status, once; zero rows updated means someone else decided first."""
    now = timezone.now()
    updated = model.objects.filter(pk=obj.pk, status=RequestStatus.PENDING).update(
        status=new_status, decided_at=now, **fields
    )
    if not updated:
        current = model.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
        _refuse(f"This is no longer pending (it was {current or 'removed'}).")
    obj.status, obj.decided_at = new_status, now
    for name, value in fields.items():
        setattr(obj, name, value)


def _dissolve(team: Team, *, actor, reason: str, members: list | None = None) -> None:
    """Delete a (locked) team, keeping its history; tell its members and anyone with pending business."""
    course = team.course
    members = member_users(team) if members is None else members
    pending = set(JoinRequest.objects.filter(team=team, status=RequestStatus.PENDING).values_list("user", flat=True))
    pending |= set(Invitation.objects.filter(team=team, status=RequestStatus.PENDING).values_list("user", flat=True))
    record(team, EventKind.DISSOLVED, f"Dissolved: {reason}.", actor=actor)
    name = team.name
    team.delete()
    index = reverse("teams:index", args=[course.slug])
    if pending:
        notify(
            User.objects.filter(pk__in=pending),
            verb="team_dissolved",
            message=f"{name} was dissolved; your pending request or invitation was cancelled.",
            course=course,
            url=index,
        )
    others = [u for u in members if actor is None or u.pk != actor.pk]
    if others:
        notify(others, verb="team_dissolved", message=f"{name} was dissolved: {reason}.", course=course, url=index)
