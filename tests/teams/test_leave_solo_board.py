import pytest

from courses.models import Notification
from teams.models import BoardPost, EventKind, Invitation, JoinRequest, RequestStatus, Team, TeamEvent
from tests.teams.conftest import api, close_formation, make_team, members_of, page

pytestmark = pytest.mark.django_db


class TestLeave:
    def test_a_member_leaves_and_the_others_are_told(self, people, client_for):
        response = client_for(people.teammate).post(page("leave", people.team.pk))
        assert response.status_code == 302
        assert members_of(people.team) == {"mia@example.com"}
        assert TeamEvent.objects.filter(team=people.team, kind=EventKind.LEFT, subject=people.teammate).exists()
        assert Notification.objects.filter(user=people.member, verb="team_left").exists()

    def test_the_last_member_leaving_dissolves_the_team_but_keeps_its_history(self, people, client_for, newcomers):
        team = make_team(people.course, "Owls", [newcomers[0]])
        JoinRequest.objects.create(course=people.course, team=team, user=people.outsider)
        response = client_for(newcomers[0]).post(page("leave", team.pk))
        assert response.status_code == 302
        assert not Team.objects.filter(name="Owls").exists()
        events = TeamEvent.objects.filter(team_name="Owls").values_list("kind", flat=True)
        assert set(events) == {EventKind.LEFT, EventKind.DISSOLVED}
        assert Notification.objects.filter(user=people.outsider, verb="team_dissolved").exists()

    def test_refusals(self, people, client_for):
        response = client_for(people.outsider).post(page("leave", people.team.pk))
        assert response.status_code == 400
        assert "You are not a member of Gradient Gang." in response.content.decode()
        people.team.locked = True
        people.team.save()
        response = client_for(people.member).post(page("leave", people.team.pk))
        assert response.status_code == 400
        assert "Gradient Gang is locked; only an instructor can change it now." in response.content.decode()
        people.team.locked = False
        people.team.save()
        close_formation(people.course)
        response = client_for(people.member).post(page("leave", people.team.pk))
        assert response.status_code == 400
        assert "deadline passed" in response.content.decode()
        assert members_of(people.team) == {"mia@example.com", "tess@example.com"}

    def test_api(self, people, api_for):
        assert api_for(people.outsider).post(api(f"{people.team.pk}/leave/")).status_code == 400
        response = api_for(people.teammate).post(api(f"{people.team.pk}/leave/"))
        assert response.json() == {"left": "Gradient Gang", "dissolved": False}
        response = api_for(people.member).post(api(f"{people.team.pk}/leave/"))
        assert response.json() == {"left": "Gradient Gang", "dissolved": True}
        assert not Team.objects.filter(pk=people.team.pk).exists()


class TestTeamOfOne:
    @pytest.fixture
    def alone(self, people):
        return make_team(people.course, "Otto Alone", [people.outsider])

    def test_a_reason_makes_it_solo_pending_approval(self, people, client_for, alone):
        response = client_for(people.outsider).post(page("request_solo", alone.pk), {"reason": "I work nights."})
        assert response.status_code == 302
        alone.refresh_from_db()
        assert (alone.solo_reason, alone.solo_approved) == ("I work nights.", False)
        assert "solo, pending approval" in client_for(people.member).get(page("index")).content.decode()
        assert Notification.objects.filter(user=people.instructor, verb="solo_requested").exists()

    def test_refusals(self, people, client_for, alone):
        response = client_for(people.outsider).post(page("request_solo", alone.pk), {"reason": "  "})
        assert response.status_code == 400
        response = client_for(people.member).post(page("request_solo", people.team.pk), {"reason": "x"})
        assert response.status_code == 400
        assert "Gradient Gang has more than one member, so it is not a team of one." in response.content.decode()
        people.course.min_team_size = 1
        people.course.save()
        response = client_for(people.outsider).post(page("request_solo", alone.pk), {"reason": "x"})
        assert "Teams of one need no approval in this course." in response.content.decode()

    def test_an_instructor_approves_and_a_ta_cannot(self, people, client_for, alone):
        alone.solo_reason = "I work nights."
        alone.save()
        assert client_for(people.ta).post(page("solo_approve", alone.pk)).status_code == 403
        assert client_for(people.outsider).post(page("solo_approve", alone.pk)).status_code == 403
        assert client_for(people.instructor).post(page("solo_approve", alone.pk)).status_code == 302
        alone.refresh_from_db()
        assert (alone.solo_approved, alone.solo_approved_by) == (True, people.instructor)
        assert Notification.objects.filter(user=people.outsider, verb="solo_approved").exists()
        assert "solo (approved)" in client_for(people.member).get(page("detail", alone.pk)).content.decode()
        response = client_for(people.instructor).post(page("solo_approve", alone.pk))
        assert response.status_code == 400
        assert "Otto Alone is already approved to work alone." in response.content.decode()

    def test_an_instructor_declines_with_a_note(self, people, client_for, alone):
        alone.solo_reason = "I work nights."
        alone.save()
        response = client_for(people.instructor).post(page("solo_reject", alone.pk), {"note": "Find a partner."})
        assert response.status_code == 302
        alone.refresh_from_db()
        assert alone.solo_reason == ""
        note = Notification.objects.get(user=people.outsider, verb="solo_rejected")
        assert "Find a partner." in note.message

    def test_joining_ends_solo(self, people, client_for, alone, newcomers):
        alone.solo_reason, alone.solo_approved = "x", True
        alone.save()
        invitation = Invitation.objects.create(course=people.course, team=alone, user=newcomers[0])
        client_for(newcomers[0]).post(page("invitation_accept", invitation.pk))
        alone.refresh_from_db()
        assert (alone.solo_reason, alone.solo_approved) == ("", False)

    def test_api(self, people, api_for, alone):
        url = api(f"{alone.pk}/solo/")
        assert api_for(people.member).post(url, {"reason": "x"}, format="json").status_code == 403
        response = api_for(people.outsider).post(url, {"reason": "I work nights."}, format="json")
        assert response.json()["status"] == {"key": "solo_pending", "label": "solo, pending approval"}
        assert api_for(people.ta).post(api(f"{alone.pk}/solo/approve/")).status_code == 403
        response = api_for(people.instructor).post(api(f"{alone.pk}/solo/approve/"))
        assert response.json()["solo_approved"] is True
        response = api_for(people.instructor).post(api(f"{alone.pk}/solo/reject/"), {"note": "no"}, format="json")
        assert response.json()["status"]["key"] == "under"


class TestBoard:
    def test_a_student_posts_and_classmates_filter(self, people, client_for, newcomers):
        data = {"interests": "NLP, Health , nlp", "skills": "PyTorch", "time_zone": "Europe/Berlin", "text": "Hi"}
        response = client_for(people.outsider).post(page("board_post"), data)
        assert response.status_code == 302
        post = BoardPost.objects.get(author=people.outsider)
        assert post.interests == "nlp, health"
        client = client_for(people.member)
        assert "Otto Outsider" in client.get(page("board") + "?interest=health").content.decode()
        assert "Otto Outsider" not in client.get(page("board") + "?interest=vision").content.decode()
        assert "Otto Outsider" in client.get(page("board") + "?skill=pytorch").content.decode()
        assert "Otto Outsider" not in client.get(page("board") + "?skill=sql").content.decode()

    def test_teams_with_open_places_show_what_they_look_for(self, people, client_for):
        people.team.looking_for = "Someone who knows CUDA"
        people.team.save()
        assert "Someone who knows CUDA" in client_for(people.outsider).get(page("board")).content.decode()

    def test_joining_a_team_takes_the_post_down(self, people, client_for):
        client_for(people.outsider).post(page("board_post"), {"interests": "nlp"})
        invitation = Invitation.objects.create(course=people.course, team=people.team, user=people.outsider)
        client_for(people.outsider).post(page("invitation_accept", invitation.pk))
        assert BoardPost.objects.get(author=people.outsider).is_open is False
        assert "Otto Outsider" not in client_for(people.ta).get(page("board")).content.decode()

    def test_students_in_a_team_do_not_post(self, people, client_for):
        response = client_for(people.member).post(page("board_post"), {"interests": "nlp"})
        assert response.status_code == 400
        assert "You are already in a team (Gradient Gang); the board is for students looking for one." in (
            response.content.decode()
        )

    def test_a_bad_time_zone_is_refused(self, people, client_for):
        response = client_for(people.outsider).post(page("board_post"), {"time_zone": "Mars/Olympus"})
        assert response.status_code == 400

    def test_take_down(self, people, client_for):
        client_for(people.outsider).post(page("board_post"), {"interests": "nlp"})
        client_for(people.outsider).post(page("board_post_close"))
        assert BoardPost.objects.get(author=people.outsider).is_open is False

    def test_api(self, people, api_for):
        client = api_for(people.outsider)
        assert client.get(api("board/mine/")).status_code == 404
        response = client.put(api("board/mine/"), {"interests": "vision", "time_zone": "Asia/Tokyo"}, format="json")
        assert response.status_code == 200
        listed = api_for(people.member).get(api("board/") + "?interest=vision").json()
        assert [p["author"]["email"] for p in listed["results"]] == ["otto@example.com"]
        response = api_for(people.member).put(api("board/mine/"), {"interests": "x"}, format="json")
        assert response.status_code == 400
        assert client.put(api("board/mine/"), {"time_zone": "Nowhere/Land"}, format="json").status_code == 400
        assert client.delete(api("board/mine/")).status_code == 204
        assert api_for(people.member).get(api("board/")).json()["count"] == 0
        assert api_for(people.stranger).get(api("board/")).status_code == 404


def test_withdrawn_requests_stay_in_the_students_list(people, client_for, newcomers):
    other = make_team(people.course, "Owls", [newcomers[0]])
    JoinRequest.objects.create(course=people.course, team=other, user=people.outsider)
    mine = JoinRequest.objects.create(course=people.course, team=people.team, user=people.outsider)
    client_for(people.member).post(page("request_accept", mine.pk))
    body = client_for(people.outsider).get(page("requests")).content.decode()
    assert "Withdrawn" in body and "Accepted" in body
    assert JoinRequest.objects.filter(status=RequestStatus.WITHDRAWN).count() == 1
