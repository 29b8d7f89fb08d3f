"""Every write to teams goes through these functions (pages, API, tasks and the demo call them).

Concurrency: a function that changes who is in a team locks, in this order, the course
Membership rows of the students concerned (so one student's requests, invitations and moves
run one after another) and then the Team rows, sorted by id (so sizes are counted under the
lock). The unique constraint `teams_one_team_per_student_per_course` is the last line of
defence; its IntegrityError becomes a refusal. Requests and invitations change state with
conditional updates (pending -> accepted only once).

Every refusal is a ValidationError whose message says why.
"""

from __future__ import annotations

import contextlib
import contextvars
import zoneinfo
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Membership, Role
from courses.notifications import notify as _notify_and_email
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


_EMAIL = contextvars.ContextVar("teams_email", default=True)


@contextlib.contextmanager
def without_email():
    """In-app notifications only (for the demo seeder and scripts): no e-mails are queued."""
    token = _EMAIL.set(False)
    try:
        yield
    finally:
        _EMAIL.reset(token)


def notify(users, *, verb: str, message: str, course=None, url: str = "", email: bool = True) -> int:
    """courses.notifications.notify, minus the e-mails inside `without_email()`."""
    return _notify_and_email(users, verb=verb, message=message, course=course, url=url, email=email and _EMAIL.get())


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
    _withdraw_pending(course, user)
    BoardPost.objects.filter(course=course, author=user, is_open=True).update(is_open=False)
    if team.solo_reason or team.solo_approved:
        # A team that grows is no longer a team of one.
        Team.objects.filter(pk=team.pk).update(solo_reason="", solo_approved=False, solo_approved_by=None)
        team.solo_reason, team.solo_approved, team.solo_approved_by = "", False, None
    record(team, kind, detail, actor=actor, subject=user)
    return membership


def _withdraw_pending(course: Course, user) -> None:
    """A student who joined a team has no other pending requests or invitations."""
    now = timezone.now()
    JoinRequest.objects.filter(course=course, user=user, status=RequestStatus.PENDING).update(
        status=RequestStatus.WITHDRAWN, decided_at=now
    )
    Invitation.objects.filter(course=course, user=user, status=RequestStatus.PENDING).update(
        status=RequestStatus.WITHDRAWN, decided_at=now
    )


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


# ---------------------------------------------------------------- students


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


def request_to_join(team: Team, user, message: str = "") -> JoinRequest:
    course = team.course
    with transaction.atomic():
        _lock_students(course, [user], subject="self")
        team = _lock_team(team)
        check_student_may_change(course, team)
        _check_not_in_team(course, user, self_=True)
        _check_room(team, course)
        if JoinRequest.objects.filter(team=team, user=user, status=RequestStatus.PENDING).exists():
            _refuse(f"You already asked to join {team.name}; wait for an answer.")
        try:
            with transaction.atomic():
                join_request = JoinRequest.objects.create(
                    course=course, team=team, user=user, message=(message or "").strip()[:2000]
                )
        except IntegrityError:
            _refuse(f"You already asked to join {team.name}; wait for an answer.")
        notify(
            member_users(team),
            verb="join_request",
            message=f"{display_name(user)} asks to join {team.name}.",
            course=course,
            url=requests_url(course),
        )
    return join_request


def withdraw_join_request(join_request: JoinRequest, user) -> JoinRequest:
    if join_request.user_id != user.pk:
        _refuse("Only the student who asked can withdraw this request.")
    with transaction.atomic():
        _transition(JoinRequest, join_request, RequestStatus.WITHDRAWN)
    return join_request


def accept_join_request(join_request: JoinRequest, actor) -> JoinRequest:
    """A member of the team accepts; the student joins if there is still room."""
    course = join_request.course
    with transaction.atomic():
        _lock_students(course, [join_request.user])
        team = _lock_team(join_request.team)
        _check_member(team, actor, "answer its join requests")
        check_student_may_change(course, team)
        _transition(JoinRequest, join_request, RequestStatus.ACCEPTED, decided_by=actor)
        student = join_request.user
        _add_member(
            team,
            student,
            actor=actor,
            kind=EventKind.JOINED,
            detail=f"{display_name(student)} joined ({display_name(actor)} accepted the request).",
        )
        notify(
            [student],
            verb="join_request_accepted",
            message=f"{display_name(actor)} accepted your request: you are now in {team.name}.",
            course=course,
            url=team_url(team),
        )
        notify(
            [u for u in member_users(team) if u.pk not in (actor.pk, student.pk)],
            verb="team_joined",
            message=f"{display_name(student)} joined {team.name}.",
            course=course,
            url=team_url(team),
            email=False,
        )
    return join_request


def decline_join_request(join_request: JoinRequest, actor) -> JoinRequest:
    team = join_request.team
    with transaction.atomic():
        _check_member(team, actor, "answer its join requests")
        _transition(JoinRequest, join_request, RequestStatus.DECLINED, decided_by=actor)
        notify(
            [join_request.user],
            verb="join_request_declined",
            message=f"{team.name} declined your request to join.",
            course=team.course,
            url=requests_url(team.course),
        )
    return join_request


def _resolve_invitee(course: Course, invitee) -> object:
    if not isinstance(invitee, str):
        return invitee
    email = invitee.strip()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None or not Membership.objects.filter(course=course, user=user, role=Role.STUDENT).exists():
        _refuse(f"{email or 'That person'} is not a student of this course.")
    return user


def invite_student(team: Team, actor, invitee, message: str = "") -> Invitation:
    """A member invites a student (a user, or an e-mail address) who is not in a team."""
    course = team.course
    invitee = _resolve_invitee(course, invitee)
    if invitee.pk == actor.pk:
        _refuse("You cannot invite yourself.")
    with transaction.atomic():
        _lock_students(course, [invitee])
        team = _lock_team(team)
        _check_member(team, actor, "invite people")
        check_student_may_change(course, team)
        _check_not_in_team(course, invitee, self_=False)
        _check_room(team, course)
        if Invitation.objects.filter(team=team, user=invitee, status=RequestStatus.PENDING).exists():
            _refuse(f"{display_name(invitee)} already has a pending invitation to {team.name}.")
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    course=course, team=team, user=invitee, invited_by=actor, message=(message or "").strip()[:2000]
                )
        except IntegrityError:
            _refuse(f"{display_name(invitee)} already has a pending invitation to {team.name}.")
        notify(
            [invitee],
            verb="team_invitation",
            message=f"{display_name(actor)} invites you to join {team.name}.",
            course=course,
            url=requests_url(course),
        )
    return invitation


def accept_invitation(invitation: Invitation, user) -> Invitation:
    if invitation.user_id != user.pk:
        _refuse("Only the invited student can accept this invitation.")
    course = invitation.course
    with transaction.atomic():
        _lock_students(course, [user], subject="self")
        team = _lock_team(invitation.team)
        check_student_may_change(course, team)
        _transition(Invitation, invitation, RequestStatus.ACCEPTED)
        _add_member(
            team,
            user,
            actor=user,
            kind=EventKind.JOINED,
            detail=f"{display_name(user)} joined (accepted an invitation).",
        )
        notify(
            [u for u in member_users(team) if u.pk != user.pk],
            verb="invitation_accepted",
            message=f"{display_name(user)} accepted the invitation and joined {team.name}.",
            course=course,
            url=team_url(team),
        )
    return invitation


def decline_invitation(invitation: Invitation, user) -> Invitation:
    if invitation.user_id != user.pk:
        _refuse("Only the invited student can decline this invitation.")
    with transaction.atomic():
        _transition(Invitation, invitation, RequestStatus.DECLINED)
        notify(
            [invitation.invited_by],
            verb="invitation_declined",
            message=f"{display_name(user)} declined the invitation to {invitation.team.name}.",
            course=invitation.course,
            url=team_url(invitation.team),
        )
    return invitation


def cancel_invitation(invitation: Invitation, actor) -> Invitation:
    team = invitation.team
    with transaction.atomic():
        if not is_staff_of(team.course, actor):
            _check_member(team, actor, "cancel its invitations")
        _transition(Invitation, invitation, RequestStatus.CANCELLED)
    return invitation


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


# ---------------------------------------------------------------- staff


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
        _cancel_pending(absorb)
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


def _cancel_pending(team: Team) -> None:
    now = timezone.now()
    JoinRequest.objects.filter(team=team, status=RequestStatus.PENDING).update(
        status=RequestStatus.CANCELLED, decided_at=now
    )
    Invitation.objects.filter(team=team, status=RequestStatus.PENDING).update(
        status=RequestStatus.CANCELLED, decided_at=now
    )


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
    with transaction.atomic():
        if not Team.objects.filter(pk=team.pk, course=team.course, locked=False).update(locked=True):
            _refuse(f"{team.name} is already locked.")
        team.locked = True
        record(team, EventKind.LOCKED, f"{display_name(actor)} locked the team.", actor=actor)
        notify(
            member_users(team),
            verb="team_locked",
            message=f"{team.name} is locked: only instructors can change it now.",
            course=team.course,
            url=team_url(team),
            email=False,
        )
    return team


def unlock_team(team: Team, actor) -> Team:
    with transaction.atomic():
        if not Team.objects.filter(pk=team.pk, course=team.course, locked=True).update(locked=False):
            _refuse(f"{team.name} is not locked.")
        team.locked = False
        record(team, EventKind.UNLOCKED, f"{display_name(actor)} unlocked the team.", actor=actor)
        notify(
            member_users(team),
            verb="team_unlocked",
            message=f"{team.name} is unlocked.",
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
