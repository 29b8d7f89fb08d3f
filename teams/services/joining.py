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
