"""Bad input to the account pages: each is refused with a clear error and changes nothing."""

import pytest

pytestmark = pytest.mark.django_db


class TestProfile:
    def test_it_refuses_an_empty_email(self, people, client_for):
        client = client_for(people.member)
        response = client.post("/accounts/profile/", {"first_name": "Mia", "last_name": "Member", "email": ""})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        people.member.refresh_from_db()
        assert people.member.email == "mia@example.com"

    def test_it_refuses_a_form_without_fields(self, people, client_for):
        response = client_for(people.member).post("/accounts/profile/", {"unrelated": "1"})
        assert response.status_code == 400
        people.member.refresh_from_db()
        assert (people.member.email, people.member.first_name) == ("mia@example.com", "Mia")

    def test_it_escapes_markup_in_names(self, people, client_for):
        client = client_for(people.member)
        payload = '<script>alert("name")</script>'
        response = client.post(
            "/accounts/profile/", {"first_name": payload, "last_name": "", "email": "mia@example.com"}
        )
        assert response.status_code == 302
        page = client.get("/accounts/profile/").content.decode()
        assert payload not in page
        assert "&lt;script&gt;" in page

    def test_it_refuses_a_name_over_the_limit(self, people, client_for):
        client = client_for(people.member)
        response = client.post("/accounts/profile/", {"first_name": "x" * 151, "email": "mia@example.com"})
        assert response.status_code == 400
        people.member.refresh_from_db()
        assert people.member.first_name == "Mia"


class TestSignup:
    def test_it_refuses_a_bad_join_code_and_creates_no_account(self, db, client):
        from django.contrib.auth import get_user_model

        data = {
            "email": "new@example.com",
            "first_name": "New",
            "password1": "a-long-enough-pass-2026",
            "password2": "a-long-enough-pass-2026",
            "join_code": "\x00\xff" * 8,
        }
        response = client.post("/accounts/signup/", data)
        assert response.status_code == 400
        assert not get_user_model().objects.filter(email="new@example.com").exists()

    def test_it_refuses_an_absurdly_long_email(self, db, client):
        from django.contrib.auth import get_user_model

        data = {
            "email": "a" * 300 + "@example.com",
            "first_name": "New",
            "password1": "a-long-enough-pass-2026",
            "password2": "a-long-enough-pass-2026",
        }
        response = client.post("/accounts/signup/", data)
        assert response.status_code == 400
        assert get_user_model().objects.count() == 0
