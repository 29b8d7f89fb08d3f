import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Notification
from teams import bulk
from teams.models import EventKind, Team, TeamEvent
from tests.teams.conftest import api, make_team, members_of, page

pytestmark = pytest.mark.django_db


def upload(text: str):
    return SimpleUploadedFile("teams.csv", text.encode(), content_type="text/csv")


def placement_state(course):
    return {t.name: members_of(t) for t in Team.objects.filter(course=course)}


class TestExport:
    def test_one_row_per_student_with_the_unplaced_last(self, people, client_for):
        response = client_for(people.ta).get(page("export"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(r["team"], r["email"]) for r in rows] == [
            ("Gradient Gang", "mia@example.com"),
            ("Gradient Gang", "tess@example.com"),
            ("", "otto@example.com"),
        ]

    def test_api(self, people, api_for):
        response = api_for(people.ta).get(api("export/"))
        assert response.status_code == 200
        assert b"Gradient Gang,mia@example.com" in response.content


class TestImport:
    def test_it_places_moves_creates_and_dissolves(self, people, client_for, newcomers):
        make_team(people.course, "Owls", [newcomers[0]])
        data = "team,email,idea\nNew Wave,otto@example.com,Surf forecasting\nNew Wave,nia@example.com,\n"
        data += "gradient gang,leo@example.com,\n,tess@example.com,\n"
        response = client_for(people.instructor).post(page("import"), {"file": upload(data)})
        assert response.status_code == 302
        state = placement_state(people.course)
        assert state == {
            "Gradient Gang": {"mia@example.com", "leo@example.com"},
            "New Wave": {"otto@example.com", "nia@example.com"},
        }
        assert Team.objects.get(name="New Wave").idea == "Surf forecasting"
        assert TeamEvent.objects.filter(team_name="Owls", kind=EventKind.DISSOLVED).exists()
        assert Notification.objects.filter(user=people.outsider, verb="team_moved").exists()

    def test_an_export_imports_back_unchanged(self, people, newcomers):
        make_team(people.course, "Owls", newcomers[:2])
        before = placement_state(people.course)
        result = bulk.import_teams_csv(people.course, people.instructor, bulk.export_teams_csv(people.course).encode())
        assert result.ok and result.moved == 0 and result.unchanged == 6
        assert placement_state(people.course) == before

    @pytest.mark.parametrize(
        ("rows", "error"),
        [
            ("Owls,sam@example.com", "Line 3: sam@example.com is not a student of this course."),
            ("Owls,tom@example.com", "Line 3: tom@example.com is not a student of this course."),
            ("Owls,", "Line 3: the email is missing."),
            (
                "Owls,otto@example.com\nBats,otto@example.com",
                "Line 4: otto@example.com is already on line 3; a student can be in one team only.",
            ),
            ("x" * 81 + ",otto@example.com", "Line 3: the team name has more than 80 characters."),
            (
                "Gradient Gang,otto@example.com\nGradient Gang,nia@example.com\nGradient Gang,leo@example.com",
                "Gradient Gang would have 5 members; the maximum is 4.",
            ),
        ],
    )
    def test_every_row_is_checked_and_nothing_applies_on_error(self, people, client_for, newcomers, rows, error):
        before = placement_state(people.course)
        # The good first row is not applied either.
        data = f"team,email\nFine,ada@example.com\n{rows}\n"
        response = client_for(people.instructor).post(page("import"), {"file": upload(data)})
        assert response.status_code == 400
        body = response.content.decode()
        assert "Nothing was imported." in body
        assert error in body
        assert placement_state(people.course) == before

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            (
                "name,mail\nOwls,otto@example.com\n",
                "Line 1: the header must name a &#x27;team&#x27; and an &#x27;email&#x27; column.",
            ),
            ("team,email\n", "The file has no rows."),
            ("team,email\nOwls,otto@example.com,extra\n", "Line 2: more values than columns."),
        ],
    )
    def test_bad_files(self, people, client_for, data, error):
        response = client_for(people.instructor).post(page("import"), {"file": upload(data)})
        assert response.status_code == 400
        assert error in response.content.decode()

    def test_only_instructors_import(self, people, client_for, api_for):
        data = "team,email\nOwls,otto@example.com\n"
        assert client_for(people.ta).post(page("import"), {"file": upload(data)}).status_code == 403
        assert api_for(people.ta).post(api("import/"), {"file": upload(data)}, format="multipart").status_code == 403
        assert not Team.objects.filter(name="Owls").exists()

    def test_api(self, people, api_for):
        response = api_for(people.instructor).post(
            api("import/"), {"file": upload("team,email\nOwls,otto@example.com\n")}, format="multipart"
        )
        assert response.status_code == 200
        assert response.json() == {"moved": 1, "unchanged": 0, "created": ["Owls"], "dissolved": []}
        response = api_for(people.instructor).post(
            api("import/"), {"file": upload("team,email\nOwls,sam@example.com\n")}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json() == {"file": ["Line 2: sam@example.com is not a student of this course."]}
