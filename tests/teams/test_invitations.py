import pytest

from courses.models import Notification
from teams import services
from teams.models import Invitation, JoinRequest, RequestStatus
from tests.teams.conftest import api, close_formation, make_team, members_of, page

pytestmark = pytest.mark.django_db


def invite(team, user, by):
    return Invitation.objects.create(course=team.course, team=team, user=user, invited_by=by)


class TestInvitePage:
    def test_a_member_invites_by_email_and_the_student_is_notified(self, people, client_for):
        data = {"email": "OTTO@example.com", "message": "Join us"}
        response = client_for(people.member).post(page("invite", people.team.pk), data)
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert (invitation.user, invitation.invited_by, invitation.status) == (
            people.outsider,
            people.member,
            RequestStatus.PENDING,
        )
        assert Notification.objects.filter(user=people.outsider, verb="team_invitation").exists()

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("mia@example.com", "You cannot invite yourself."),
            ("sam@example.com", "sam@example.com is not a student of this course."),
            ("tom@example.com", "tom@example.com is not a student of this course."),
            ("nobody@example.com", "nobody@example.com is not a student of this course."),
            ("tess@example.com", "Tess Teammate is already in a team (Gradient Gang)."),
        ],
    )
    def test_refusals(self, people, client_for, who, message):
        response = client_for(people.member).post(page("invite", people.team.pk), {"email": who})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not Invitation.objects.exists()

    def test_it_refuses_a_full_team(self, people, client_for, full_team):
        response = client_for(people.member).post(page("invite", full_team.pk), {"email": "ada@example.com"})
        assert response.status_code == 400
        assert "Gradient Gang is full: it has 4 of 4 members." in response.content.decode()

    def test_it_refuses_a_locked_team_and_after_the_deadline(self, people, client_for):
        people.team.locked = True
        people.team.save()
        response = client_for(people.member).post(page("invite", people.team.pk), {"email": "otto@example.com"})
        assert "Gradient Gang is locked" in response.content.decode()
        people.team.locked = False
        people.team.save()
        close_formation(people.course)
        response = client_for(people.member).post(page("invite", people.team.pk), {"email": "otto@example.com"})
        assert response.status_code == 400
        assert "deadline passed" in response.content.decode()

    def test_it_refuses_a_second_pending_invitation(self, people, client_for):
        invite(people.team, people.outsider, people.member)
        response = client_for(people.teammate).post(page("invite", people.team.pk), {"email": "otto@example.com"})
        assert response.status_code == 400
        assert "Otto Outsider already has a pending invitation to Gradient Gang." in response.content.decode()

    def test_only_members_invite(self, people, client_for, newcomers):
        response = client_for(newcomers[0]).post(page("invite", people.team.pk), {"email": "otto@example.com"})
        assert response.status_code == 403
        assert not Invitation.objects.exists()


class TestInviteFormOnTheTeamPage:
    def test_a_full_team_shows_no_invite_form(self, people, client_for, full_team):
        body = client_for(people.member).get(page("detail", full_team.pk)).content.decode()
        assert f'action="{page("invite", full_team.pk)}"' not in body
        assert "Gradient Gang is full (4 members), so no one can be invited." in body

    def test_a_team_with_room_shows_it(self, people, client_for):
        body = client_for(people.member).get(page("detail", people.team.pk)).content.decode()
        assert f'action="{page("invite", people.team.pk)}"' in body
        assert "no one can be invited" not in body

    def test_the_form_comes_back_when_a_member_leaves(self, people, client_for, full_team, newcomers):
        services.leave_team(full_team, newcomers[0])
        body = client_for(people.member).get(page("detail", full_team.pk)).content.decode()
        assert f'action="{page("invite", full_team.pk)}"' in body

    def test_the_team_says_when_it_is_full(self, people, full_team, newcomers):
        assert full_team.is_full()
        services.leave_team(full_team, newcomers[0])
        assert not full_team.is_full()


class TestAnswerInvitationPage:
    def test_accepting_joins_and_withdraws_the_rest(self, people, client_for, newcomers):
        invitation = invite(people.team, people.outsider, people.member)
        other = make_team(people.course, "Owls", [newcomers[0]])
        other_invitation = invite(other, people.outsider, newcomers[0])
        request = JoinRequest.objects.create(course=people.course, team=other, user=people.outsider)
        response = client_for(people.outsider).post(page("invitation_accept", invitation.pk))
        assert response.status_code == 302
        assert "otto@example.com" in members_of(people.team)
        for row in (other_invitation, request):
            row.refresh_from_db()
            assert row.status == RequestStatus.WITHDRAWN
        notified = set(Notification.objects.filter(verb="invitation_accepted").values_list("user__email", flat=True))
        assert notified == {"mia@example.com", "tess@example.com"}

    def test_only_the_invited_student_answers(self, people, client_for, newcomers):
        invitation = invite(people.team, people.outsider, people.member)
        response = client_for(newcomers[0]).post(page("invitation_accept", invitation.pk))
        assert response.status_code == 400
        assert "Only the invited student can accept this invitation." in response.content.decode()

    def test_accepting_into_a_full_team_is_refused(self, people, client_for, full_team, newcomers):
        invitation = invite(full_team, newcomers[2], people.member)
        response = client_for(newcomers[2]).post(page("invitation_accept", invitation.pk))
        assert response.status_code == 400
        assert "Gradient Gang is full: it has 4 of 4 members." in response.content.decode()
        invitation.refresh_from_db()
        assert invitation.status == RequestStatus.PENDING

    def test_accepting_while_in_a_team_is_refused(self, people, client_for, newcomers):
        other = make_team(people.course, "Owls", [newcomers[0]])
        invitation = invite(other, people.member, newcomers[0])
        response = client_for(people.member).post(page("invitation_accept", invitation.pk))
        assert response.status_code == 400
        assert "You are already in a team (Gradient Gang); leave it first." in response.content.decode()

    def test_decline_and_cancel(self, people, client_for, newcomers):
        invitation = invite(people.team, people.outsider, people.member)
        assert client_for(people.outsider).post(page("invitation_decline", invitation.pk)).status_code == 302
        invitation.refresh_from_db()
        assert invitation.status == RequestStatus.DECLINED
        assert Notification.objects.filter(user=people.member, verb="invitation_declined").exists()
        second = invite(people.team, newcomers[0], people.member)
        assert client_for(newcomers[1]).post(page("invitation_cancel", second.pk)).status_code == 403
        assert client_for(people.teammate).post(page("invitation_cancel", second.pk)).status_code == 302
        second.refresh_from_db()
        assert second.status == RequestStatus.CANCELLED


class TestInvitationsAPI:
    def test_invite_and_accept(self, people, api_for):
        url = api(f"{people.team.pk}/invitations/")
        response = api_for(people.member).post(url, {"email": "otto@example.com"}, format="json")
        assert response.status_code == 201
        invitation_id = response.json()["id"]
        assert [i["id"] for i in api_for(people.teammate).get(url).json()] == [invitation_id]
        mine = api_for(people.outsider).get(api("mine/")).json()
        assert [i["team"]["name"] for i in mine["invitations"]] == ["Gradient Gang"]
        response = api_for(people.outsider).post(api(f"invitations/{invitation_id}/accept/"))
        assert response.status_code == 200
        assert response.json()["status"] == "accepted"
        assert "otto@example.com" in members_of(people.team)

    @pytest.mark.parametrize(
        ("email", "message"),
        [
            ("mia@example.com", "You cannot invite yourself."),
            ("sam@example.com", "sam@example.com is not a student of this course."),
            ("tess@example.com", "Tess Teammate is already in a team (Gradient Gang)."),
        ],
    )
    def test_refusals(self, people, api_for, email, message):
        url = api(f"{people.team.pk}/invitations/")
        response = api_for(people.member).post(url, {"email": email}, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": [message]}

    def test_non_members_get_403(self, people, api_for):
        url = api(f"{people.team.pk}/invitations/")
        assert api_for(people.outsider).post(url, {"email": "otto@example.com"}, format="json").status_code == 403
        assert api_for(people.stranger).post(url, {"email": "otto@example.com"}, format="json").status_code == 404

    def test_decline_and_cancel(self, people, api_for, newcomers):
        invitation = invite(people.team, people.outsider, people.member)
        response = api_for(people.outsider).post(api(f"invitations/{invitation.pk}/decline/"))
        assert response.json()["status"] == "declined"
        second = invite(people.team, newcomers[0], people.member)
        assert api_for(newcomers[1]).post(api(f"invitations/{second.pk}/cancel/")).status_code == 403
        assert api_for(people.member).post(api(f"invitations/{second.pk}/cancel/")).json()["status"] == "cancelled"
        response = api_for(newcomers[0]).post(api(f"invitations/{second.pk}/accept/"))
        assert response.status_code == 400
        assert response.json()["detail"] == ["This is no longer pending (it was cancelled)."]
