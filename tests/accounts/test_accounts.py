import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class TestSignup:
    def test_it_creates_an_account_and_logs_in(self, client):
        data = {
            "email": "Ray@Example.com",
            "first_name": "Ray",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        }
        response = client.post(reverse("signup"), data)
        assert response.status_code == 302
        user = get_user_model().objects.get(email="ray@example.com")
        assert client.session["_auth_user_id"] == str(user.pk)

    def test_it_refuses_a_taken_email_in_any_case(self, client):
        make_user("ray@example.com")
        data = {
            "email": "RAY@example.com",
            "first_name": "R",
            "password1": "x-long-pass-1",
            "password2": "x-long-pass-1",
        }
        response = client.post(reverse("signup"), data)
        assert response.status_code == 400
        assert "already exists" in response.content.decode()

    def test_it_refuses_mismatched_and_weak_passwords(self, client):
        data = {"email": "a@example.com", "first_name": "A", "password1": "a-long-pass-1", "password2": "other-pass-2"}
        assert "The two passwords differ." in client.post(reverse("signup"), data).content.decode()
        data.update(password1="123", password2="123")
        assert "too short" in client.post(reverse("signup"), data).content.decode()
        assert not get_user_model().objects.filter(email="a@example.com").exists()


class TestLogin:
    def test_log_in_with_email_in_any_case(self, client):
        make_user("kim@example.com")
        response = client.post(reverse("login"), {"username": "KIM@example.com", "password": PASSWORD})
        assert response.status_code == 302
        assert client.get(reverse("profile")).status_code == 200

    def test_a_wrong_password_is_refused(self, client):
        make_user("kim@example.com")
        response = client.post(reverse("login"), {"username": "kim@example.com", "password": "nope"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_log_out(self, client):
        client.force_login(make_user("kim@example.com"))
        client.post(reverse("logout"))
        assert "_auth_user_id" not in client.session


class TestPasswordReset:
    def test_the_reset_email_leads_to_a_new_password(self, client):
        make_user("kim@example.com")
        client.post(reverse("password_reset"), {"email": "kim@example.com"})
        assert len(mail.outbox) == 1
        link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
        path = link[link.index("/accounts/reset/") :]
        response = client.get(path, follow=True)
        set_url = response.redirect_chain[-1][0]
        client.post(set_url, {"new_password1": "brand-new-phrase-7", "new_password2": "brand-new-phrase-7"})
        client.logout()
        response = client.post(reverse("login"), {"username": "kim@example.com", "password": "brand-new-phrase-7"})
        assert response.status_code == 302  # logged in with the new password

    def test_change_password_when_logged_in(self, client):
        client.force_login(make_user("kim@example.com"))
        data = {"old_password": PASSWORD, "new_password1": "brand-new-phrase-7", "new_password2": "brand-new-phrase-7"}
        assert client.post(reverse("password_change"), data).status_code == 302
        client.logout()
        response = client.post(reverse("login"), {"username": "kim@example.com", "password": "brand-new-phrase-7"})
        assert response.status_code == 302  # logged in with the new password


class TestProfileAndToken:
    def test_edit_the_profile(self, client):
        user = make_user("kim@example.com")
        client.force_login(user)
        client.post(reverse("profile"), {"first_name": "Kimberly", "last_name": "Ng", "email": "kim@example.com"})
        user.refresh_from_db()
        assert user.first_name == "Kimberly"

    def test_the_email_must_stay_unique(self, client):
        make_user("other@example.com")
        client.force_login(make_user("kim@example.com"))
        data = {"first_name": "K", "last_name": "", "email": "OTHER@example.com"}
        assert client.post(reverse("profile"), data).status_code == 400

    def test_a_token_is_made_and_replaced(self, client):
        user = make_user("kim@example.com")
        client.force_login(user)
        client.post(reverse("api_token"))
        first = Token.objects.get(user=user).key
        client.post(reverse("api_token"))
        assert Token.objects.get(user=user).key != first

    def test_the_api_trades_a_login_for_a_token(self, client):
        make_user("kim@example.com")
        response = client.post(reverse("api-token"), {"username": "kim@example.com", "password": PASSWORD})
        assert response.status_code == 200 and len(response.json()["token"]) == 40


class TestErrorPages:
    def test_the_404_page_is_friendly(self, client, settings):
        settings.DEBUG = False
        response = client.get("/no/such/page/")
        assert response.status_code == 404
        assert "Back to your courses" in response.content.decode()

    def test_the_api_schema_is_served(self, client):
        client.force_login(make_user("kim@example.com"))
        assert client.get("/api/schema/").status_code == 200
        assert client.get("/api/docs/").status_code == 200


class TestSessionUser:
    """The session's user is read with plain SQL (accounts.backends): the same user, or none."""

    def test_it_is_the_same_user_as_the_orm_reads(self):
        from accounts.backends import EmailOrUsernameBackend

        made = make_user("kim@example.com", "Kim Lee")
        get_user_model().objects.filter(pk=made.pk).update(is_staff=True)
        read = EmailOrUsernameBackend().get_user(str(made.pk))
        fields = [f.attname for f in get_user_model()._meta.concrete_fields]
        orm = get_user_model().objects.get(pk=made.pk)
        assert [getattr(read, f) for f in fields] == [getattr(orm, f) for f in fields]
        assert [type(getattr(read, f)) for f in fields] == [type(getattr(orm, f)) for f in fields]
        assert timezone.is_aware(read.date_joined)  # SQLite's driver returns it naive
        assert not read._state.adding and read._state.db == "default"

    def test_an_unknown_or_inactive_user_is_none(self):
        from accounts.backends import EmailOrUsernameBackend

        user = make_user("kim@example.com")
        assert EmailOrUsernameBackend().get_user(user.pk + 1000) is None
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        assert EmailOrUsernameBackend().get_user(user.pk) is None

    def test_a_deactivated_or_repassworded_user_is_logged_out_on_the_next_request(self, client):
        user = make_user("kim@example.com")
        client.post(reverse("login"), {"username": "kim@example.com", "password": PASSWORD})
        assert client.get(reverse("profile")).status_code == 200
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        assert client.get(reverse("profile")).status_code == 302
        get_user_model().objects.filter(pk=user.pk).update(is_active=True)
        client.post(reverse("login"), {"username": "kim@example.com", "password": PASSWORD})
        assert client.get(reverse("profile")).status_code == 200
        user.set_password("another-long-pass-9")
        user.save()
        assert client.get(reverse("profile")).status_code == 302


class TestLoginForm:
    def test_it_asks_for_the_email_and_says_so_when_wrong(self, client):
        make_user("kim@example.com")
        assert "E-mail" in client.get(reverse("login")).content.decode()
        body = client.post(reverse("login"), {"username": "kim@example.com", "password": "nope"}).content.decode()
        assert "That e-mail and password do not match an account." in body
