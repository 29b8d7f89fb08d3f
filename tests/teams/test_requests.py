import pytest
from django.core import mail

from courses.models import Notification
from teams.models import EventKind, Invitation, JoinRequest, RequestStatus, TeamEvent
from tests.teams.conftest import api, close_formation, make_team, members_of, page

pytestmark = pytest.mark.django_db


def ask(team, user, message=""):
    return JoinRequest.objects.create(course=team.course, team=team, user=user, message=message)


class TestAskToJoinPage:
    def test_a_student_asks_and_the_members_are_notified(self, people, client_for, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(people.outsider).post(page("request_join", people.team.pk), {"message": "Hi!"})
        assert response.status_code == 302
        request = JoinRequest.objects.get(user=people.outsider)
        assert (request.team, request.status, request.message) == (people.team, RequestStatus.PENDING, "Hi!")
        notified = set(Notification.objects.filter(verb="join_request").values_list("user__email", flat=True))
        assert notified == {"mia@example.com", "tess@example.com"}
        assert {m.to[0] for m in mail.outbox} == {"mia@example.com", "tess@example.com"}

    def test_it_refuses_a_full_team(self, people, client_for, full_team, newcomers):
        response = client_for(newcomers[2]).post(page("request_join", full_team.pk), {"message": ""})
        assert response.status_code == 400
        assert "Gradient Gang is full: it has 4 of 4 members." in response.content.decode()
        assert not JoinRequest.objects.exists()

    def test_it_refuses_a_locked_team(self, people, client_for):
        people.team.locked = True
        people.team.save()
        response = client_for(people.outsider).post(page("request_join", people.team.pk), {})
        assert response.status_code == 400
        assert "Gradient Gang is locked; only an instructor can change it now." in response.content.decode()

    def test_it_refuses_a_student_already_in_a_team(self, people, client_for, newcomers):
        other = make_team(people.course, "Owls", [newcomers[0]])
        response = client_for(people.member).post(page("request_join", other.pk), {})
        assert response.status_code == 400
        assert "You are already in a team (Gradient Gang); leave it first." in response.content.decode()

    def test_it_refuses_after_the_deadline(self, people, client_for):
        close_formation(people.course)
        response = client_for(people.outsider).post(page("request_join", people.team.pk), {})
        assert response.status_code == 400
        assert "The team formation deadline passed on" in response.content.decode()

    def test_it_refuses_a_second_pending_request(self, people, client_for):
        ask(people.team, people.outsider)
        response = client_for(people.outsider).post(page("request_join", people.team.pk), {})
        assert response.status_code == 400
        assert "You already asked to join Gradient Gang; wait for an answer." in response.content.decode()

    def test_staff_cannot_ask(self, people, client_for):
        response = client_for(people.ta).post(page("request_join", people.team.pk), {})
        assert response.status_code == 400
        assert "Only students of this course can be in a team." in response.content.decode()

    def test_a_stranger_gets_404(self, people, client_for):
        assert client_for(people.stranger).post(page("request_join", people.team.pk), {}).status_code == 404


class TestAnswerRequestPage:
    def test_a_member_accepts_and_the_student_joins(self, people, client_for, newcomers):
        request = ask(people.team, people.outsider)
        other = make_team(people.course, "Owls", [newcomers[0]])
        other_request = ask(other, people.outsider)
        invitation = Invitation.objects.create(course=people.course, team=other, user=people.outsider)
        response = client_for(people.teammate).post(page("request_accept", request.pk))
        assert response.status_code == 302
        assert members_of(people.team) == {"mia@example.com", "tess@example.com", "otto@example.com"}
        request.refresh_from_db()
        assert (request.status, request.decided_by) == (RequestStatus.ACCEPTED, people.teammate)
        # Accepting one withdraws the student's other pending requests and invitations.
        other_request.refresh_from_db()
        invitation.refresh_from_db()
        assert other_request.status == invitation.status == RequestStatus.WITHDRAWN
        event = TeamEvent.objects.get(team=people.team, kind=EventKind.JOINED)
        assert (event.actor, event.subject) == (people.teammate, people.outsider)
        assert Notification.objects.filter(user=people.outsider, verb="join_request_accepted").exists()

    def test_it_refuses_when_the_team_filled_up_meanwhile(self, people, client_for, full_team):
        request = ask(full_team, people.outsider)
        response = client_for(people.member).post(page("request_accept", request.pk))
        assert response.status_code == 400
        assert "Gradient Gang is full: it has 4 of 4 members." in response.content.decode()
        request.refresh_from_db()
        assert request.status == RequestStatus.PENDING
        assert "otto@example.com" not in members_of(full_team)

    def test_it_refuses_when_the_student_joined_another_team_meanwhile(self, people, client_for, newcomers):
        request = ask(people.team, people.outsider)
        make_team(people.course, "Owls", [people.outsider])
        response = client_for(people.member).post(page("request_accept", request.pk))
        assert response.status_code == 400
        assert "Otto Outsider is already in a team (Owls)." in response.content.decode()

    def test_it_refuses_on_a_locked_team(self, people, client_for):
        request = ask(people.team, people.outsider)
        people.team.locked = True
        people.team.save()
        response = client_for(people.member).post(page("request_accept", request.pk))
        assert response.status_code == 400
        assert "Gradient Gang is locked" in response.content.decode()

    def test_it_refuses_after_the_deadline(self, people, client_for):
        request = ask(people.team, people.outsider)
        close_formation(people.course)
        response = client_for(people.member).post(page("request_accept", request.pk))
        assert response.status_code == 400
        assert "deadline passed" in response.content.decode()

    def test_only_members_answer(self, people, client_for, newcomers):
        request = ask(people.team, people.outsider)
        assert client_for(newcomers[0]).post(page("request_accept", request.pk)).status_code == 403
        assert client_for(people.outsider).post(page("request_accept", request.pk)).status_code == 403
        assert client_for(newcomers[0]).post(page("request_decline", request.pk)).status_code == 403
        # Staff see the team but answer no requests: that is for its members.
        response = client_for(people.instructor).post(page("request_accept", request.pk))
        assert response.status_code == 400
        assert "Only members of Gradient Gang can answer its join requests." in response.content.decode()
        request.refresh_from_db()
        assert request.status == RequestStatus.PENDING

    def test_a_request_is_answered_once(self, people, client_for):
        request = ask(people.team, people.outsider)
        client_for(people.member).post(page("request_decline", request.pk))
        response = client_for(people.teammate).post(page("request_accept", request.pk))
        assert response.status_code == 400
        assert "This is no longer pending (it was declined)." in response.content.decode()
        assert "otto@example.com" not in members_of(people.team)

    def test_decline_notifies_the_student(self, people, client_for):
        request = ask(people.team, people.outsider)
        assert client_for(people.member).post(page("request_decline", request.pk)).status_code == 302
        request.refresh_from_db()
        assert request.status == RequestStatus.DECLINED
        assert Notification.objects.filter(user=people.outsider, verb="join_request_declined").exists()

    def test_the_student_withdraws(self, people, client_for):
        request = ask(people.team, people.outsider)
        assert client_for(people.member).post(page("request_withdraw", request.pk)).status_code == 400
        assert client_for(people.outsider).post(page("request_withdraw", request.pk)).status_code == 302
        request.refresh_from_db()
        assert request.status == RequestStatus.WITHDRAWN

    def test_requests_page_lists_both_sides(self, people, client_for):
        ask(people.team, people.outsider, "Let me in")
        assert "Let me in" in client_for(people.member).get(page("requests")).content.decode()
        body = client_for(people.outsider).get(page("requests")).content.decode()
        assert "Gradient Gang" in body and "Pending" in body


class TestRequestsAPI:
    def test_ask_list_accept(self, people, api_for):
        response = api_for(people.outsider).post(api(f"{people.team.pk}/requests/"), {"message": "hi"}, format="json")
        assert response.status_code == 201
        request_id = response.json()["id"]
        listed = api_for(people.member).get(api(f"{people.team.pk}/requests/")).json()
        assert [r["id"] for r in listed] == [request_id]
        assert api_for(people.outsider).get(api(f"{people.team.pk}/requests/")).status_code == 403
        response = api_for(people.member).post(api(f"requests/{request_id}/accept/"))
        assert response.status_code == 200
        assert response.json()["status"] == "accepted"
        assert api_for(people.outsider).get(api("mine/")).json()["team"]["name"] == "Gradient Gang"

    def test_refusals(self, people, api_for, full_team, newcomers):
        response = api_for(newcomers[2]).post(api(f"{full_team.pk}/requests/"), {}, format="json")
        assert response.status_code == 400
        assert response.json()["detail"] == ["Gradient Gang is full: it has 4 of 4 members."]
        request = ask(full_team, newcomers[2])
        response = api_for(people.member).post(api(f"requests/{request.pk}/accept/"))
        assert response.status_code == 400
        assert response.json()["detail"] == ["Gradient Gang is full: it has 4 of 4 members."]

    def test_non_members_get_403_and_strangers_404(self, people, api_for, newcomers):
        request = ask(people.team, people.outsider)
        assert api_for(newcomers[0]).post(api(f"requests/{request.pk}/accept/")).status_code == 403
        assert api_for(people.stranger).post(api(f"requests/{request.pk}/accept/")).status_code == 404
        assert api_for(newcomers[0]).post(api(f"requests/{request.pk}/decline/")).status_code == 403

    def test_withdraw_and_decline(self, people, api_for, newcomers):
        request = ask(people.team, people.outsider)
        assert api_for(people.outsider).post(api(f"requests/{request.pk}/withdraw/")).json()["status"] == "withdrawn"
        request = ask(people.team, newcomers[0])
        assert api_for(people.member).post(api(f"requests/{request.pk}/decline/")).json()["status"] == "declined"
        response = api_for(people.member).post(api(f"requests/{request.pk}/accept/"))
        assert response.status_code == 400
        assert response.json()["detail"] == ["This is no longer pending (it was declined)."]

    def test_the_deadline_and_locks_apply(self, people, api_for):
        people.team.locked = True
        people.team.save()
        response = api_for(people.outsider).post(api(f"{people.team.pk}/requests/"), {}, format="json")
        assert response.json()["detail"] == ["Gradient Gang is locked; only an instructor can change it now."]
        people.team.locked = False
        people.team.save()
        close_formation(people.course)
        response = api_for(people.outsider).post(api(f"{people.team.pk}/requests/"), {}, format="json")
        assert response.status_code == 400
        assert response.json()["detail"][0].startswith("The team formation deadline passed on")
