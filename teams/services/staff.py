"""The staff's tools: move, merge, dissolve, lock and unlock, and the lock at the formation deadline."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from teams.models import EventKind, RequestStatus, Team, TeamMembership
from teams.services.core import (
    _add_member,
    _check_room,
    _dissolve,
    _end_pending,
    _lock_students,
    _lock_team,
    _lock_teams,
    _refuse,
    _size,
    display_name,
    member_users,
    notify,
    record,
    team_url,
)


def move_student(course: Course, actor, student, to_team: Team | None) -> None:
    """Staff put a student into `to_team` (None: out of any team), whatever the deadline or locks.

    The team the student leaves is dissolved if it becomes empty. Never over the maximum size.
    """
    with transaction.atomic():
        _lock_students(course, [student])
        current = TeamMembership.objects.filter(course=course, user=student).select_related("team").first()
        teams = _lock_teams(course, [current.team_id if current else None, to_team.pk if to_team else None])
        old = teams.get(current.team_id) if current else None
        new = teams.get(to_team.pk) if to_team else None
        name = display_name(student)
        if old is None and new is None:
            _refuse(f"{name} is not in a team.")
        if old is not None and new is not None and old.pk == new.pk:
            _refuse(f"{name} is already in {new.name}.")
        if new is not None:
            _check_room(new, course)
        if old is not None:
            TeamMembership.objects.filter(pk=current.pk).delete()
            where = f" to {new.name}" if new else " out of the team"
            record(
                old, EventKind.MOVED_OUT, f"{display_name(actor)} moved {name}{where}.", actor=actor, subject=student
            )
        if new is not None:
            source = f" from {old.name}" if old else ""
            _add_member(
                new,
                student,
                actor=actor,
                kind=EventKind.MOVED_IN,
                detail=f"{display_name(actor)} moved {name} here{source}.",
            )
        message = f"{display_name(actor)} moved you " + (f"to {new.name}." if new else f"out of {old.name}.")
        notify(
            [student],
            verb="team_moved",
            message=message,
            course=course,
            url=team_url(new) if new else reverse("teams:index", args=[course.slug]),
        )
        if new is not None:
            others = [u for u in member_users(new) if u.pk != student.pk]
            notify(
                others,
                verb="team_moved",
                message=f"{name} was moved into {new.name}.",
                course=course,
                url=team_url(new),
            )
        if old is not None:
            remaining = member_users(old)
            if remaining:
                notify(
                    remaining,
                    verb="team_moved",
                    message=f"{name} was moved out of {old.name}.",
                    course=course,
                    url=team_url(old),
                )
            else:
                _dissolve(old, actor=actor, reason=f"its last member was moved out by {display_name(actor)}")


def merge_teams(course: Course, actor, keep: Team, absorb: Team) -> Team:
    """Staff merge `absorb` into `keep`: its members move over and it is dissolved."""
    if keep.pk == absorb.pk:
        _refuse("Choose two different teams to merge.")
    with transaction.atomic():
        teams = _lock_teams(course, [keep.pk, absorb.pk])
        keep, absorb = teams[keep.pk], teams[absorb.pk]
        moving = list(TeamMembership.objects.filter(team=absorb).select_related("user"))
        total = _size(keep) + len(moving)
        if total > course.max_team_size:
            _refuse(
                f"Merging would make a team of {total}; the maximum is {course.max_team_size}. "
                "Move some members elsewhere first."
            )
        TeamMembership.objects.filter(team=absorb).update(team=keep)
        if total > 1 and (keep.solo_reason or keep.solo_approved):
            Team.objects.filter(pk=keep.pk).update(solo_reason="", solo_approved=False, solo_approved_by=None)
        names = ", ".join(display_name(m.user) for m in moving) or "no members"
        record(
            keep, EventKind.MERGED, f"{display_name(actor)} merged {absorb.name} into this team ({names}).", actor=actor
        )
        record(absorb, EventKind.MERGED, f"{display_name(actor)} merged this team into {keep.name}.", actor=actor)
        _end_pending(RequestStatus.CANCELLED, team=absorb)
        absorb_name = absorb.name
        absorb.delete()
        notify(
            member_users(keep),
            verb="teams_merged",
            message=f"{absorb_name} was merged into {keep.name}.",
            course=course,
            url=team_url(keep),
        )
    return keep


def dissolve_team(team: Team, actor) -> None:
    """Staff dissolve a team: its members become unplaced."""
    with transaction.atomic():
        team = _lock_team(team)
        members = member_users(team)
        TeamMembership.objects.filter(team=team).delete()
        for user in members:
            detail = f"{display_name(user)} left when the team was dissolved."
            record(team, EventKind.MOVED_OUT, detail, actor=actor, subject=user)
        _dissolve(team, actor=actor, reason=f"dissolved by {display_name(actor)}", members=members)


def lock_team(team: Team, actor) -> Team:
    return _set_locked(team, actor, locked=True)


def unlock_team(team: Team, actor) -> Team:
    return _set_locked(team, actor, locked=False)


def _set_locked(team: Team, actor, *, locked: bool) -> Team:
    """Lock or unlock with a conditional update: a team already in that state is refused."""
    with transaction.atomic():
        if not Team.objects.filter(pk=team.pk, course=team.course, locked=not locked).update(locked=locked):
            _refuse(f"{team.name} is already locked." if locked else f"{team.name} is not locked.")
        team.locked = locked
        word, kind = ("locked", EventKind.LOCKED) if locked else ("unlocked", EventKind.UNLOCKED)
        record(team, kind, f"{display_name(actor)} {word} the team.", actor=actor)
        state = "locked: only instructors can change it now" if locked else "unlocked"
        notify(
            member_users(team),
            verb=f"team_{word}",
            message=f"{team.name} is {state}.",
            course=team.course,
            url=team_url(team),
            email=False,
        )
    return team


def lock_teams_at_deadline(course: Course, now=None) -> int:
    """Lock every team of the course once its formation deadline has passed; returns how many.

    Runs once per deadline value (a DeadlineLock row remembers it), so an instructor's later
    unlock stays, and two runs at once lock each team once (the course row is locked).
    """
    from teams.models import DeadlineLock

    now = now or timezone.now()
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        deadline = course.team_formation_deadline
        if deadline is None or deadline > now:
            return 0
        marker = DeadlineLock.objects.filter(course=course).first()
        if marker is not None and marker.deadline == deadline:
            return 0
        teams = list(Team.objects.filter(course=course, locked=False))
        Team.objects.filter(pk__in=[t.pk for t in teams]).update(locked=True)
        for team in teams:
            record(team, EventKind.LOCKED, "Locked automatically at the team formation deadline.")
        DeadlineLock.objects.update_or_create(
            course=course, defaults={"deadline": deadline, "teams_locked": len(teams)}
        )
    return len(teams)
