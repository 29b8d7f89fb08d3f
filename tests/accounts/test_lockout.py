"""Brute-force limits on log-in (django-axes, on): the form and the API token share one count per
account, from any address, and one per address; the lockout says when it ends, and ends."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def log_in(client, email, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def ask_token(email, password, address="203.0.113.7"):
    return APIClient().post(reverse("api-token"), {"username": email, "password": password}, REMOTE_ADDR=address)


def age_attempts(minutes: int) -> None:
    """Move the stored failures back in time, as if `minutes` had passed."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


class TestLogInForm:
    def test_the_sixth_wrong_password_from_any_address_gets_a_lockout_page_saying_when(self, client):
        make_user("kim@example.com")
        for n in range(4):
            response = log_in(client, "kim@example.com", "wrong", address=f"198.51.100.{n}")
            assert response.status_code == 200, n  # the form again, with its error
            assert "do not match" in response.content.decode()
        # The 5th failure is the last: its answer already says the account is paused.
        assert log_in(client, "kim@example.com", "wrong", address="198.51.100.4").status_code == 429
        response = log_in(client, "KIM@example.com ", "wrong", address="192.0.2.99")
        assert response.status_code == 429
        body = response.content.decode()
        ends = timezone.localtime(AccessAttempt.objects.latest("attempt_time").attempt_time + timedelta(minutes=15))
        assert "You can try again after" in body and ends.strftime("%H:%M") in body
        assert int(response["Retry-After"]) in range(14 * 60, 15 * 60 + 1)

    def test_the_right_password_is_refused_during_the_lockout_and_does_not_extend_it(self, client):
        make_user("kim@example.com")
        for _ in range(5):
            log_in(client, "kim@example.com", "wrong")
        last = AccessAttempt.objects.get().attempt_time
        response = log_in(client, "kim@example.com", PASSWORD, address="192.0.2.1")
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert AccessAttempt.objects.get().attempt_time == last
        assert AccessAttempt.objects.get().failures_since_start == 5

    def test_a_correct_log_in_after_the_lockout_ends_works(self, client):
        make_user("kim@example.com")
        for _ in range(6):
            log_in(client, "kim@example.com", "wrong")
        assert log_in(client, "kim@example.com", PASSWORD).status_code == 429
        age_attempts(14)
        assert log_in(client, "kim@example.com", PASSWORD).status_code == 429
        age_attempts(2)
        response = log_in(client, "kim@example.com", PASSWORD)
        assert response.status_code == 302
        assert client.get(reverse("profile")).status_code == 200

    def test_other_accounts_are_not_locked_by_one_accounts_failures(self, client):
        make_user("kim@example.com")
        make_user("lee@example.com")
        for _ in range(5):
            log_in(client, "kim@example.com", "wrong")
        assert log_in(client, "lee@example.com", PASSWORD).status_code == 302

    def test_one_address_trying_many_accounts_is_locked_at_its_own_limit(self, client):
        make_user("lee@example.com")
        for n in range(19):
            assert log_in(client, f"victim{n}@example.com", "guess").status_code == 200, n
        assert log_in(client, "victim19@example.com", "guess").status_code == 429
        response = log_in(client, "lee@example.com", PASSWORD)
        assert response.status_code == 429
        assert "You can try again after" in response.content.decode()
        # The same account from another address is fine: only the address is locked.
        assert log_in(client, "lee@example.com", PASSWORD, address="192.0.2.50").status_code == 302


class TestTokenEndpoint:
    def test_the_sixth_wrong_password_gets_429_with_when_to_retry(self):
        make_user("kim@example.com")
        for n in range(4):
            response = ask_token("kim@example.com", "wrong", address=f"198.51.100.{n}")
            assert response.status_code == 400, (n, response.content)
        assert ask_token("kim@example.com", "wrong", address="198.51.100.4").status_code == 429
        response = ask_token("kim@example.com", "wrong", address="192.0.2.99")
        assert response.status_code == 429
        assert response.json()["detail"].startswith("Too many failed log-ins")
        assert int(response["Retry-After"]) > 14 * 60
        assert ask_token("kim@example.com", PASSWORD, address="192.0.2.98").status_code == 429

    def test_the_form_and_the_api_share_one_count(self, client):
        make_user("kim@example.com")
        for _ in range(3):
            log_in(client, "kim@example.com", "wrong")
        assert ask_token("kim@example.com", "wrong").status_code == 400
        assert ask_token("kim@example.com", "wrong").status_code == 429
        assert ask_token("kim@example.com", PASSWORD).status_code == 429
        assert log_in(client, "kim@example.com", PASSWORD).status_code == 429

    def test_a_token_after_the_lockout_ends(self):
        make_user("kim@example.com")
        for _ in range(5):
            ask_token("kim@example.com", "wrong")
        assert ask_token("kim@example.com", PASSWORD).status_code == 429
        age_attempts(16)
        response = ask_token("kim@example.com", PASSWORD)
        assert response.status_code == 200 and response.json()["token"]
