import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Membership
from courses.services import MAX_ROSTER_BYTES, import_roster

pytestmark = pytest.mark.django_db

GOOD = (
    b"email,name,role\nnew.one@example.com,New One,student\nnew.ta@example.com,New TA,TA\nmia@example.com,Mia,student\n"
)
BAD = (
    b"email,name,role\n"
    b"ok@example.com,Okay Person,student\n"
    b",No Email,student\n"
    b"odd@example.com,Odd Role,professor\n"
    b"ok@example.com,Okay Again,student\n"
    b"not-an-email,Broken,student\n"
)


def upload(data: bytes, name="roster.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


class TestImportService:
    def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(self, people):
        before = Membership.objects.count()
        result = import_roster(people.course, BAD)
        assert result.errors == [
            "Line 3: the email is missing.",
            "Line 4: unknown role 'professor' (use instructor, ta or student).",
            "Line 5: ok@example.com duplicates line 2.",
            "Line 6: 'not-an-email' is not a valid e-mail address.",
        ]
        assert Membership.objects.count() == before
        assert not Membership.objects.filter(user__email="ok@example.com").exists()
        assert mail.outbox == []

    def test_a_good_file_adds_people_and_invites_the_new_ones(self, people, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            result = import_roster(people.course, GOOD)
        assert result.ok
        assert len(result.added) == 2 and result.unchanged == ["mia@example.com"]
        assert Membership.objects.get(user__email="new.ta@example.com", course=people.course).role == "ta"
        assert sorted(m.to[0] for m in mail.outbox) == ["new.one@example.com", "new.ta@example.com"]

    def test_the_invitation_link_sets_a_password(self, people, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            import_roster(people.course, GOOD)
        body = next(m.body for m in mail.outbox if m.to == ["new.one@example.com"])
        path = re.search(r"https?://[^/]+(/accounts/reset/\S+)", body).group(1)
        response = client.get(path, follow=True)
        assert response.status_code == 200
        form_url = response.redirect_chain[-1][0]
        client.post(form_url, {"new_password1": "fresh-pass-phrase-9", "new_password2": "fresh-pass-phrase-9"})
        client.logout()
        response = client.post(reverse("login"), {"username": "new.one@example.com", "password": "fresh-pass-phrase-9"})
        assert response.status_code == 302  # logged in with the new password

    def test_re_importing_is_harmless(self, people):
        import_roster(people.course, GOOD)
        again = import_roster(people.course, GOOD)
        assert again.ok and again.added == [] and len(again.unchanged) == 3

    def test_non_utf8_is_refused(self, people):
        result = import_roster(people.course, "email\nzoë@example.com\n".encode("latin-1"))
        assert result.errors and "not UTF-8" in result.errors[0]

    def test_a_missing_email_column_is_refused(self, people):
        result = import_roster(people.course, b"mail,name\nx@example.com,X\n")
        assert result.errors[0].startswith(
            "Line 1: the header must name an 'email' column (columns: email, name, role)"
        )

    def test_an_oversized_file_is_refused(self, people):
        data = b"email,name,role\n" + b"x" * (MAX_ROSTER_BYTES + 1)
        assert "larger than" in import_roster(people.course, data).errors[0]


class TestImportPage:
    def test_errors_are_shown_and_nothing_changes(self, people, client_for):
        url = reverse("courses:roster_import", args=[people.course.slug])
        response = client_for(people.instructor).post(url, {"file": upload(BAD)})
        assert response.status_code == 400
        body = response.content.decode()
        assert "Nothing was imported" in body and "Line 4: unknown role" in body
        assert not Membership.objects.filter(user__email="ok@example.com").exists()

    def test_an_instructor_imports(self, people, client_for):
        url = reverse("courses:roster_import", args=[people.course.slug])
        response = client_for(people.instructor).post(url, {"file": upload(GOOD)})
        assert response.status_code == 302
        assert Membership.objects.filter(course=people.course, user__email="new.one@example.com").exists()

    def test_tas_and_students_cannot_import(self, people, client_for):
        url = reverse("courses:roster_import", args=[people.course.slug])
        for user in (people.ta, people.member):
            assert client_for(user).post(url, {"file": upload(GOOD)}).status_code == 403
        assert not Membership.objects.filter(user__email="new.one@example.com").exists()


class TestImportAPI:
    def test_bad_rows_come_back_as_a_400(self, people, api_for):
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/roster/", {"file": upload(BAD)}, format="multipart"
        )
        assert response.status_code == 400
        assert "Line 3: the email is missing." in response.json()["file"]

    def test_a_good_file_is_imported(self, people, api_for):
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/roster/", {"file": upload(GOOD)}, format="multipart"
        )
        assert response.status_code == 201
        assert response.json() == {"added": 2, "unchanged": 1, "invited": 2}
