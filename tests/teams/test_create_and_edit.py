import pytest

from teams.models import EventKind, Team, TeamEvent
from tests.teams.conftest import api, close_formation, make_team, members_of, page

pytestmark = pytest.mark.django_db


class TestCreatePage:
    def test_a_student_creates_a_team_and_is_its_member(self, people, client_for):
        response = client_for(people.outsider).post(page("create"), {"name": "Otto's Owls", "idea": "Owl detection."})
        team = Team.objects.get(name="Otto's Owls")
        assert response.status_code == 302
        assert response["Location"] == page("detail", team.pk)
        assert members_of(team) == {"otto@example.com"}
        assert team.created_by == people.outsider
        kinds = set(TeamEvent.objects.filter(team=team).values_list("kind", flat=True))
        assert kinds == {EventKind.CREATED, EventKind.JOINED}

    def test_the_name_is_unique_in_the_course_ignoring_case(self, people, client_for):
        response = client_for(people.outsider).post(page("create"), {"name": "gradient GANG", "idea": "x"})
        assert response.status_code == 400
        assert "A team called gradient GANG already exists in this course." in response.content.decode()
        assert Team.objects.count() == 1

    def test_the_same_name_is_fine_in_another_course(self, people, client_for):
        make_team(people.other_course, "Owls", [])
        response = client_for(people.outsider).post(page("create"), {"name": "Owls", "idea": "x"})
        assert response.status_code == 302

    def test_it_refuses_a_student_already_in_a_team(self, people, client_for):
        response = client_for(people.member).post(page("create"), {"name": "Second", "idea": "x"})
        assert response.status_code == 400
        assert "You are already in a team (Gradient Gang); leave it first." in response.content.decode()
        assert not Team.objects.filter(name="Second").exists()

    def test_it_refuses_after_the_deadline(self, people, client_for):
        close_formation(people.course)
        response = client_for(people.outsider).post(page("create"), {"name": "Late", "idea": "x"})
        assert response.status_code == 400
        assert "The team formation deadline passed on" in response.content.decode()
        assert not Team.objects.filter(name="Late").exists()

    def test_staff_are_not_students(self, people, client_for):
        response = client_for(people.ta).post(page("create"), {"name": "TA team", "idea": "x"})
        assert response.status_code == 400
        assert "Only students of this course can be in a team." in response.content.decode()

    def test_the_idea_is_required(self, people, client_for):
        response = client_for(people.outsider).post(page("create"), {"name": "No idea", "idea": ""})
        assert response.status_code == 400
        assert not Team.objects.filter(name="No idea").exists()

    def test_a_student_of_another_course_gets_404(self, people, client_for):
        assert client_for(people.stranger).post(page("create"), {"name": "X", "idea": "x"}).status_code == 404
        assert client_for(people.stranger).get(page("index")).status_code == 404


class TestCreateAPI:
    def test_a_student_creates_a_team(self, people, api_for):
        response = api_for(people.outsider).post(api(), {"name": "Owls", "idea": "Owls."}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == "Owls"
        assert body["size"] == 1
        assert [m["email"] for m in body["members"]] == ["otto@example.com"]

    def test_refusals_say_why(self, people, api_for):
        response = api_for(people.member).post(api(), {"name": "Second", "idea": "x"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": ["You are already in a team (Gradient Gang); leave it first."]}

    def test_the_name_is_unique(self, people, api_for):
        response = api_for(people.outsider).post(api(), {"name": "Gradient Gang", "idea": "x"}, format="json")
        assert response.status_code == 400
        assert response.json()["detail"] == ["A team called Gradient Gang already exists in this course."]

    def test_the_deadline_applies(self, people, api_for):
        close_formation(people.course)
        response = api_for(people.outsider).post(api(), {"name": "Late", "idea": "x"}, format="json")
        assert response.status_code == 400
        assert "deadline passed" in response.json()["detail"][0]

    def test_strangers_get_404_and_anonymous_401(self, people, api_for):
        assert api_for(people.stranger).post(api(), {"name": "X", "idea": "x"}, format="json").status_code == 404
        assert api_for(None).get(api()).status_code == 401


class TestRenameAndEdit:
    def test_a_member_renames_and_edits(self, people, client_for):
        data = {"name": "Gradient Gangsters", "idea": "A new idea", "looking_for": "A designer"}
        response = client_for(people.teammate).post(page("edit", people.team.pk), data)
        assert response.status_code == 302
        people.team.refresh_from_db()
        assert (people.team.name, people.team.idea, people.team.looking_for) == (
            "Gradient Gangsters",
            "A new idea",
            "A designer",
        )
        details = list(TeamEvent.objects.filter(team=people.team).values_list("kind", "detail"))
        assert (EventKind.RENAMED, "Tess Teammate renamed Gradient Gang to Gradient Gangsters.") in details
        assert any(kind == EventKind.EDITED for kind, _ in details)

    def test_a_taken_name_is_refused(self, people, client_for, newcomers):
        make_team(people.course, "Owls", [newcomers[0]])
        response = client_for(people.member).post(page("edit", people.team.pk), {"name": "owls", "idea": "x"})
        assert response.status_code == 400
        assert "A team called owls already exists in this course." in response.content.decode()

    def test_non_members_may_not_edit(self, people, client_for):
        assert client_for(people.outsider).get(page("edit", people.team.pk)).status_code == 403
        assert client_for(people.outsider).post(page("edit", people.team.pk), {"name": "X"}).status_code == 403
        people.team.refresh_from_db()
        assert people.team.name == "Gradient Gang"

    def test_a_locked_team_cannot_be_renamed_by_students(self, people, client_for):
        people.team.locked = True
        people.team.save()
        response = client_for(people.member).post(page("edit", people.team.pk), {"name": "New", "idea": "x"})
        assert response.status_code == 400
        assert "Gradient Gang is locked; only an instructor can change it now." in response.content.decode()

    def test_instructors_may_rename_a_locked_team_after_the_deadline(self, people, client_for):
        people.team.locked = True
        people.team.save()
        close_formation(people.course)
        response = client_for(people.instructor).post(page("edit", people.team.pk), {"name": "New", "idea": "x"})
        assert response.status_code == 302
        people.team.refresh_from_db()
        assert people.team.name == "New"

    def test_api_patch(self, people, api_for):
        url = api(f"{people.team.pk}/")
        response = api_for(people.member).patch(url, {"looking_for": "Someone with GPUs"}, format="json")
        assert response.status_code == 200
        assert response.json()["looking_for"] == "Someone with GPUs"
        assert api_for(people.outsider).patch(url, {"name": "Mine"}, format="json").status_code == 403
        close_formation(people.course)
        response = api_for(people.member).patch(url, {"name": "Later"}, format="json")
        assert response.status_code == 400
        assert "deadline passed" in response.json()["detail"][0]

    def test_another_courses_team_is_404(self, people, api_for, client_for):
        other = make_team(people.other_course, "Elsewhere", [people.stranger])
        assert api_for(people.member).get(api(f"{other.pk}/")).status_code == 404
        assert client_for(people.member).get(page("detail", other.pk)).status_code == 404


class TestTeamList:
    def test_everyone_in_the_course_sees_the_teams(self, people, client_for):
        for user in (people.instructor, people.ta, people.member, people.outsider):
            response = client_for(user).get(page("index"))
            assert response.status_code == 200
            assert "Gradient Gang" in response.content.decode()

    def test_filters(self, people, client_for, newcomers, full_team):
        make_team(people.course, "Solo Sam", [newcomers[2]], solo_reason="I work nights.")
        client = client_for(people.outsider)
        assert "Gradient Gang" in client.get(page("index") + "?status=full").content.decode()
        assert "Gradient Gang" not in client.get(page("index") + "?status=open").content.decode()
        body = client.get(page("index") + "?status=solo").content.decode()
        assert "Solo Sam" in body and "solo, pending approval" in body
        assert "Solo Sam" not in client.get(page("index") + "?q=gradient").content.decode()

    def test_pagination_and_a_constant_number_of_queries(
        self, people, client_for, django_assert_max_num_queries, newcomers
    ):
        for i in range(25):
            make_team(people.course, f"Team {i:02}", [])
        client = client_for(people.outsider)
        with django_assert_max_num_queries(14):
            response = client.get(page("index"))
        assert response.status_code == 200
        assert "Page 1 of 2" in response.content.decode()

    def test_api_list_with_status(self, people, api_for, full_team):
        body = api_for(people.outsider).get(api() + "?status=full").json()
        assert [t["name"] for t in body["results"]] == ["Gradient Gang"]
        assert body["results"][0]["status"] == {"key": "full", "label": "full"}
        assert api_for(people.outsider).get(api() + "?status=open").json()["count"] == 0
