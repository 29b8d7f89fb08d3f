"""What accepting, declining, withdrawing and cancelling leave behind, through the services.

Join requests and invitations share these paths (teams/services/joining.py), and so do locking
and unlocking (teams/services/staff.py); these tests pin the rows, history and notifications
each one writes, so the shared helpers keep every difference between the two kinds.
"""

import pytest
from django.core.exceptions import ValidationError

from courses.models import Notification
from teams import services
from teams.models import EventKind, Invitation, JoinRequest, RequestStatus, TeamEvent
from tests.teams.conftest import make_team, members_of

pytestmark = pytest.mark.django_db


def ask(team, user):
    return JoinRequest.objects.create(course=team.course, team=team, user=user)


def invite(team, user, by):
    return Invitation.objects.create(course=team.course, team=team, user=user, invited_by=by)


def notices(verb):
    return set(Notification.objects.filter(verb=verb).values_list("user__email", "message"))


class TestAcceptJoinRequest:
    def test_the_student_joins_and_both_sides_are_told(self, people, newcomers):
        other = make_team(people.course, "Owls", [newcomers[0]])
        elsewhere = ask(other, people.outsider)
        join_request = ask(people.team, people.outsider)
        services.accept_join_request(join_request, people.member)
        join_request.refresh_from_db()
        assert join_request.status == RequestStatus.ACCEPTED
        assert join_request.decided_by == people.member and join_request.decided_at is not None
        assert members_of(people.team) == {"mia@example.com", "tess@example.com", "otto@example.com"}
        event = TeamEvent.objects.get(kind=EventKind.JOINED, subject=people.outsider)
        assert (event.actor, event.detail) == (people.member, "Otto Outsider joined (Mia Member accepted the request).")
        assert notices("join_request_accepted") == {
            ("otto@example.com", "Mia Member accepted your request: you are now in Gradient Gang.")
        }
        assert notices("team_joined") == {("tess@example.com", "Otto Outsider joined Gradient Gang.")}
        elsewhere.refresh_from_db()
        assert elsewhere.status == RequestStatus.WITHDRAWN

    def test_only_a_member_of_the_team_accepts(self, people, newcomers):
        join_request = ask(people.team, people.outsider)
        with pytest.raises(ValidationError) as refused:
            services.accept_join_request(join_request, newcomers[0])
        assert refused.value.messages == ["Only members of Gradient Gang can answer its join requests."]
        join_request.refresh_from_db()
        assert join_request.status == RequestStatus.PENDING
        assert members_of(people.team) == {"mia@example.com", "tess@example.com"}

    def test_a_request_is_answered_once(self, people):
        join_request = ask(people.team, people.outsider)
        services.decline_join_request(join_request, people.teammate)
        with pytest.raises(ValidationError) as refused:
            services.accept_join_request(JoinRequest.objects.get(pk=join_request.pk), people.member)
        assert refused.value.messages == ["This is no longer pending (it was declined)."]
        assert "otto@example.com" not in members_of(people.team)


class TestAcceptInvitation:
    def test_the_student_joins_and_the_members_are_told(self, people):
        invitation = invite(people.team, people.outsider, people.member)
        services.accept_invitation(invitation, people.outsider)
        invitation.refresh_from_db()
        assert invitation.status == RequestStatus.ACCEPTED and invitation.decided_at is not None
        event = TeamEvent.objects.get(kind=EventKind.JOINED, subject=people.outsider)
        assert (event.actor, event.detail) == (people.outsider, "Otto Outsider joined (accepted an invitation).")
        assert notices("invitation_accepted") == {
            (email, "Otto Outsider accepted the invitation and joined Gradient Gang.")
            for email in ("mia@example.com", "tess@example.com")
        }

    def test_a_student_who_is_not_one_any_more_is_refused_as_self(self, people):
        invitation = invite(people.team, people.outsider, people.member)
        people.outsider.memberships.update(role="ta")
        with pytest.raises(ValidationError) as refused:
            services.accept_invitation(invitation, people.outsider)
        assert refused.value.messages == ["Only students of this course can be in a team."]


class TestDeclineWithdrawCancel:
    def test_declining_a_request_tells_the_student(self, people):
        join_request = ask(people.team, people.outsider)
        services.decline_join_request(join_request, people.teammate)
        join_request.refresh_from_db()
        assert (join_request.status, join_request.decided_by) == (RequestStatus.DECLINED, people.teammate)
        declined = ("otto@example.com", "Gradient Gang declined your request to join.")
        assert notices("join_request_declined") == {declined}

    def test_only_a_member_declines_a_request(self, people, newcomers):
        join_request = ask(people.team, people.outsider)
        with pytest.raises(ValidationError) as refused:
            services.decline_join_request(join_request, newcomers[0])
        assert refused.value.messages == ["Only members of Gradient Gang can answer its join requests."]
        assert not Notification.objects.exists()

    def test_declining_an_invitation_tells_who_invited(self, people):
        invitation = invite(people.team, people.outsider, people.member)
        services.decline_invitation(invitation, people.outsider)
        invitation.refresh_from_db()
        assert (invitation.status, invitation.decided_at is not None) == (RequestStatus.DECLINED, True)
        assert notices("invitation_declined") == {
            ("mia@example.com", "Otto Outsider declined the invitation to Gradient Gang.")
        }

    def test_withdrawing_and_cancelling_tell_no_one(self, people, newcomers):
        join_request = ask(people.team, people.outsider)
        services.withdraw_join_request(join_request, people.outsider)
        invitation = invite(people.team, newcomers[0], people.member)
        services.cancel_invitation(invitation, people.ta)
        assert JoinRequest.objects.get().status == RequestStatus.WITHDRAWN
        assert Invitation.objects.get().status == RequestStatus.CANCELLED
        assert not Notification.objects.exists()

    def test_the_wrong_person_is_refused(self, people, newcomers):
        join_request = ask(people.team, people.outsider)
        invitation = invite(people.team, newcomers[0], people.member)
        refusals = [
            (services.withdraw_join_request, join_request, people.member, "Only the student who asked can withdraw"),
            (services.decline_invitation, invitation, people.outsider, "Only the invited student can decline"),
            (services.cancel_invitation, invitation, newcomers[1], "Only members of Gradient Gang can cancel"),
        ]
        for service, pending, user, message in refusals:
            with pytest.raises(ValidationError) as refused:
                service(pending, user)
            assert refused.value.messages[0].startswith(message)
        assert set(JoinRequest.objects.values_list("status", flat=True)) == {RequestStatus.PENDING}
        assert set(Invitation.objects.values_list("status", flat=True)) == {RequestStatus.PENDING}


class TestLockAndUnlock:
    def test_each_leaves_history_and_tells_the_members(self, people):
        services.lock_team(people.team, people.ta)
        services.unlock_team(people.team, people.ta)
        people.team.refresh_from_db()
        assert people.team.locked is False
        details = list(TeamEvent.objects.order_by("pk").values_list("kind", "detail"))
        assert details == [
            (EventKind.LOCKED, "Tom Assistant locked the team."),
            (EventKind.UNLOCKED, "Tom Assistant unlocked the team."),
        ]
        assert notices("team_locked") == {
            (email, "Gradient Gang is locked: only instructors can change it now.")
            for email in ("mia@example.com", "tess@example.com")
        }
        assert notices("team_unlocked") == {
            (email, "Gradient Gang is unlocked.") for email in ("mia@example.com", "tess@example.com")
        }

    def test_the_same_state_twice_is_refused(self, people):
        with pytest.raises(ValidationError) as refused:
            services.unlock_team(people.team, people.ta)
        assert refused.value.messages == ["Gradient Gang is not locked."]
        services.lock_team(people.team, people.ta)
        with pytest.raises(ValidationError) as refused:
            services.lock_team(people.team, people.ta)
        assert refused.value.messages == ["Gradient Gang is already locked."]
        assert TeamEvent.objects.filter(kind=EventKind.LOCKED).count() == 1


class TestMergeCancelsPending:
    def test_the_absorbed_teams_pending_business_is_cancelled(self, people, newcomers):
        owls = make_team(people.course, "Owls", [newcomers[0]])
        join_request = ask(owls, people.outsider)
        invitation = invite(owls, newcomers[1], newcomers[0])
        kept = ask(people.team, newcomers[2])
        services.merge_teams(people.course, people.instructor, people.team, owls)
        # The absorbed team's rows go with it; the kept team's request stays pending.
        assert not JoinRequest.objects.filter(pk=join_request.pk).exists()
        assert not Invitation.objects.filter(pk=invitation.pk).exists()
        kept.refresh_from_db()
        assert kept.status == RequestStatus.PENDING
