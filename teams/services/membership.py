"""A team's own life: create, rename, edit, leave, teams of one, and the board."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from courses.models import Course, Role
from teams.models import BoardPost, EventKind, Team, TeamMembership
from teams.services.core import (
    _add_member,
    _check_member,
    _check_name_free,
    _check_not_in_team,
    _clean_name,
    _dissolve,
    _lock_students,
    _lock_team,
    _refuse,
    _size,
    check_student_may_change,
    display_name,
    is_staff_of,
    member_users,
    notify,
    record,
    team_of,
    team_url,
)

User = get_user_model()


def create_team(course: Course, user, *, name: str, idea: str, looking_for: str = "") -> Team:
    """A student without a team creates one and is its first member."""
    name = _clean_name(name)
    idea = (idea or "").strip()
    if not idea:
        _refuse("Describe your project idea in a sentence or two.")
    with transaction.atomic():
        _lock_students(course, [user], subject="self")
        check_student_may_change(course)
        _check_not_in_team(course, user, self_=True)
        _check_name_free(course, name)
        try:
            with transaction.atomic():
                team = Team.objects.create(
                    course=course, name=name, idea=idea[:2000], looking_for=(looking_for or "")[:1000], created_by=user
                )
        except IntegrityError:
            _refuse(f"A team called {name} already exists in this course.")
        record(team, EventKind.CREATED, f"{display_name(user)} created the team.", actor=user)
        _add_member(team, user, actor=user, kind=EventKind.JOINED, detail=f"{display_name(user)} joined as founder.")
    return team


def rename_team(team: Team, actor, name: str) -> Team:
    name = _clean_name(name)
    course = team.course
    staff = is_staff_of(course, actor)
    with transaction.atomic():
        team = _lock_team(team)
        if not staff:
            _check_member(team, actor, "rename it")
            check_student_may_change(course, team)
        if name == team.name:
            return team
        _check_name_free(course, name, exclude=team)
        old = team.name
        team.name = name
        try:
            with transaction.atomic():
                team.save(update_fields=["name"])
        except IntegrityError:
            _refuse(f"A team called {name} already exists in this course.")
        record(team, EventKind.RENAMED, f"{display_name(actor)} renamed {old} to {name}.", actor=actor)
    return team


def edit_team(team: Team, actor, *, idea: str, looking_for: str) -> Team:
    """Change the project idea and the "what we are looking for" text."""
    course = team.course
    staff = is_staff_of(course, actor)
    with transaction.atomic():
        team = _lock_team(team)
        if not staff:
            _check_member(team, actor, "edit it")
            check_student_may_change(course, team)
        changed = [
            f for f, v in (("idea", idea), ("looking_for", looking_for)) if (v or "").strip() != getattr(team, f)
        ]
        if not changed:
            return team
        team.idea = (idea or "").strip()[:2000]
        team.looking_for = (looking_for or "").strip()[:1000]
        team.save(update_fields=["idea", "looking_for"])
        what = " and ".join(
            {"idea": "the project idea", "looking_for": "what the team is looking for"}[f] for f in changed
        )
        record(team, EventKind.EDITED, f"{display_name(actor)} changed {what}.", actor=actor)
    return team


def leave_team(team: Team, user) -> bool:
    """A member leaves; the last member leaving dissolves the team. Returns True if it was dissolved."""
    course = team.course
    with transaction.atomic():
        _lock_students(course, [user], subject="self")
        team = _lock_team(team)
        membership = TeamMembership.objects.filter(team=team, user=user).first()
        if membership is None:
            _refuse(f"You are not a member of {team.name}.")
        check_student_may_change(course, team)
        membership.delete()
        record(team, EventKind.LEFT, f"{display_name(user)} left the team.", actor=user, subject=user)
        remaining = member_users(team)
        if not remaining:
            _dissolve(team, actor=user, reason="its last member left")
            return True
        notify(
            remaining,
            verb="team_left",
            message=f"{display_name(user)} left {team.name}.",
            course=course,
            url=team_url(team),
        )
    return False


def request_solo(team: Team, user, reason: str) -> Team:
    """The only member asks to work alone; an instructor approves or declines."""
    course = team.course
    reason = (reason or "").strip()
    if not reason:
        _refuse("Write why you want to work alone; an instructor reads it.")
    if course.min_team_size <= 1:
        _refuse("Teams of one need no approval in this course.")
    with transaction.atomic():
        team = _lock_team(team)
        _check_member(team, user, "ask to work alone")
        check_student_may_change(course, team)
        if _size(team) != 1:
            _refuse(f"{team.name} has more than one member, so it is not a team of one.")
        team.solo_reason, team.solo_approved, team.solo_approved_by = reason[:2000], False, None
        team.save(update_fields=["solo_reason", "solo_approved", "solo_approved_by"])
        record(team, EventKind.SOLO_REQUESTED, f"{display_name(user)} asked to work alone.", actor=user)
        instructors = User.objects.filter(memberships__course=course, memberships__role=Role.INSTRUCTOR)
        notify(
            instructors,
            verb="solo_requested",
            message=f"{display_name(user)} asks to work alone ({team.name}).",
            course=course,
            url=team_url(team),
        )
    return team


def approve_solo(team: Team, actor) -> Team:
    with transaction.atomic():
        team = _lock_team(team)
        if not team.solo_reason:
            _refuse(f"{team.name} has not asked to work alone.")
        if team.solo_approved:
            _refuse(f"{team.name} is already approved to work alone.")
        if _size(team) != 1:
            _refuse(f"{team.name} has more than one member, so it is not a team of one.")
        Team.objects.filter(pk=team.pk).update(solo_approved=True, solo_approved_by=actor)
        team.solo_approved, team.solo_approved_by = True, actor
        record(team, EventKind.SOLO_APPROVED, f"{display_name(actor)} approved working alone.", actor=actor)
        notify(
            member_users(team),
            verb="solo_approved",
            message=f"{display_name(actor)} approved your request to work alone.",
            course=team.course,
            url=team_url(team),
        )
    return team


def reject_solo(team: Team, actor, note: str = "") -> Team:
    with transaction.atomic():
        team = _lock_team(team)
        if not team.solo_reason:
            _refuse(f"{team.name} has not asked to work alone.")
        Team.objects.filter(pk=team.pk).update(solo_reason="", solo_approved=False, solo_approved_by=None)
        team.solo_reason, team.solo_approved, team.solo_approved_by = "", False, None
        note = (note or "").strip()
        detail = f"{display_name(actor)} declined working alone" + (f": {note}" if note else ".")
        record(team, EventKind.SOLO_REJECTED, detail, actor=actor)
        notify(
            member_users(team),
            verb="solo_rejected",
            message=f"Your request to work alone was declined{': ' + note if note else ''}. Find teammates or ask us.",
            course=team.course,
            url=team_url(team),
        )
    return team


def save_board_post(course: Course, user, **fields) -> BoardPost:
    """Create or update the student's "looking for teammates" post and put it up."""
    allowed = {"interests", "skills", "time_zone", "project_idea", "text"}
    values = {k: (v or "").strip() for k, v in fields.items() if k in allowed}
    for tags in ("interests", "skills"):
        if tags in values:
            values[tags] = ", ".join(dict.fromkeys(BoardPost.split_tags(values[tags])))[:300]
    with transaction.atomic():
        _lock_students(course, [user], subject="self")
        current = team_of(user, course)
        if current is not None:
            _refuse(f"You are already in a team ({current.name}); the board is for students looking for one.")
        post = BoardPost.objects.filter(course=course, author=user).first() or BoardPost(course=course, author=user)
        for name, value in values.items():
            setattr(post, name, value)
        post.is_open = True
        post.full_clean()
        post.save()
    return post


def close_board_post(course: Course, user) -> int:
    """Take the student's post down."""
    return BoardPost.objects.filter(course=course, author=user, is_open=True).update(is_open=False)
