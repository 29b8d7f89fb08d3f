"""Join requests (a student asks a team) and invitations (a team asks a student)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from courses.models import Course, Membership, Role
from teams.models import EventKind, Invitation, JoinRequest, RequestStatus, Team
from teams.services.core import (
    _add_member,
    _check_member,
    _check_not_in_team,
    _check_room,
    _lock_students,
    _lock_team,
    _refuse,
    _transition,
    check_student_may_change,
    display_name,
    is_staff_of,
    member_users,
    notify,
    requests_url,
    team_url,
)

User = get_user_model()


def request_to_join(team: Team, user, message: str = "") -> JoinRequest:
    course = team.course
    with transaction.atomic():
        _lock_students(course, [user], subject="self")
        team = _lock_team(team)
        check_student_may_change(course, team)
        _check_not_in_team(course, user, self_=True)
        _check_room(team, course)
        join_request = _open(
            JoinRequest,
            course,
            team,
            user,
            message=message,
            refusal=f"You already asked to join {team.name}; wait for an answer.",
        )
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
    return _close(join_request, RequestStatus.WITHDRAWN)


def accept_join_request(join_request: JoinRequest, actor) -> JoinRequest:
    """A member of the team accepts; the student joins if there is still room."""
    student = join_request.user
    with transaction.atomic():
        team = _accept(
            join_request,
            student,
            actor,
            member_action="answer its join requests",
            detail=f"{display_name(student)} joined ({display_name(actor)} accepted the request).",
            decided_by=actor,
        )
        notify(
            [student],
            verb="join_request_accepted",
            message=f"{display_name(actor)} accepted your request: you are now in {team.name}.",
            course=join_request.course,
            url=team_url(team),
        )
        notify(
            [u for u in member_users(team) if u.pk not in (actor.pk, student.pk)],
            verb="team_joined",
            message=f"{display_name(student)} joined {team.name}.",
            course=join_request.course,
            url=team_url(team),
            email=False,
        )
    return join_request


def decline_join_request(join_request: JoinRequest, actor) -> JoinRequest:
    team = join_request.team
    _check_member(team, actor, "answer its join requests")
    return _close(
        join_request,
        RequestStatus.DECLINED,
        decided_by=actor,
        tell=join_request.user,
        verb="join_request_declined",
        message=f"{team.name} declined your request to join.",
        url=requests_url(team.course),
    )


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
        invitation = _open(
            Invitation,
            course,
            team,
            invitee,
            message=message,
            refusal=f"{display_name(invitee)} already has a pending invitation to {team.name}.",
            invited_by=actor,
        )
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
    with transaction.atomic():
        team = _accept(invitation, user, user, detail=f"{display_name(user)} joined (accepted an invitation).")
        notify(
            [u for u in member_users(team) if u.pk != user.pk],
            verb="invitation_accepted",
            message=f"{display_name(user)} accepted the invitation and joined {team.name}.",
            course=invitation.course,
            url=team_url(team),
        )
    return invitation


def decline_invitation(invitation: Invitation, user) -> Invitation:
    if invitation.user_id != user.pk:
        _refuse("Only the invited student can decline this invitation.")
    return _close(
        invitation,
        RequestStatus.DECLINED,
        tell=invitation.invited_by,
        verb="invitation_declined",
        message=f"{display_name(user)} declined the invitation to {invitation.team.name}.",
        url=team_url(invitation.team),
    )


def cancel_invitation(invitation: Invitation, actor) -> Invitation:
    team = invitation.team
    if not is_staff_of(team.course, actor):
        _check_member(team, actor, "cancel its invitations")
    return _close(invitation, RequestStatus.CANCELLED)


# ---------------------------------------------------------------- the shared steps of both kinds


def _open(model, course: Course, team: Team, student, *, message: str, refusal: str, **fields):
    """Create a pending request or invitation (under the caller's locks); one pending per team and student."""
    if model.objects.filter(team=team, user=student, status=RequestStatus.PENDING).exists():
        _refuse(refusal)
    try:
        with transaction.atomic():
            return model.objects.create(
                course=course, team=team, user=student, message=(message or "").strip()[:2000], **fields
            )
    except IntegrityError:
        _refuse(refusal)


def _accept(pending, student, actor, *, detail: str, member_action: str = "", **fields) -> Team:
    """Lock the student and the team, mark `pending` accepted and put the student in the team; returns the team.

    With `member_action`, `actor` must be a member of the team (a join request); otherwise `actor`
    is the student (an invitation). Call inside the caller's transaction.
    """
    course = pending.course
    _lock_students(course, [student], subject="self" if actor.pk == student.pk else None)
    team = _lock_team(pending.team)
    if member_action:
        _check_member(team, actor, member_action)
    check_student_may_change(course, team)
    _transition(type(pending), pending, RequestStatus.ACCEPTED, **fields)
    _add_member(team, student, actor=actor, kind=EventKind.JOINED, detail=detail)
    return team


def _close(pending, status: str, *, tell=None, verb: str = "", message: str = "", url: str = "", **fields):
    """pending -> declined, withdrawn or cancelled, once; `tell` (a user) hears of it in the same transaction."""
    with transaction.atomic():
        _transition(type(pending), pending, status, **fields)
        if tell is not None:
            notify([tell], verb=verb, message=message, course=pending.course, url=url)
    return pending
