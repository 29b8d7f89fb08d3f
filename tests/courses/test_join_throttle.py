"""Join-code guessing is throttled (django-ratelimit's counters in the throttle cache, on): per account
from any address, per address over any accounts, the page, sign-up and the API sharing one count."""

import time

import pytest
from django.urls import reverse

from courses.models import Membership
from courses.throttles import join_code_wait
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.JOIN_CODE_FAILURE_LIMIT = 5
    settings.JOIN_CODE_ADDRESS_FAILURE_LIMIT = 20
    settings.JOIN_CODE_WINDOW_SECONDS = 15 * 60


def join_page(client, code, address="203.0.113.7"):
    return client.post(reverse("join"), {"code": code}, REMOTE_ADDR=address)


def join_api(api, code, address="203.0.113.7"):
    return api.post("/api/courses/join/", {"code": code}, format="json", REMOTE_ADDR=address)


class TestJoinPage:
    def test_the_sixth_wrong_code_of_an_account_gets_429_saying_when_from_any_address(self, people, client_for):
        client = client_for(make_user("nora@example.com"))
        for n in range(5):
            response = join_page(client, f"WRONG{n:03d}", address=f"198.51.100.{n}")
            assert response.status_code == 400, n
            assert "No course has this join code" in response.content.decode()
        response = join_page(client, people.course.join_code, address="192.0.2.99")
        assert response.status_code == 429
        body = response.content.decode()
        assert "Too many wrong join codes. Try again after" in body
        assert 0 < int(response["Retry-After"]) <= 15 * 60
        assert not Membership.objects.filter(course=people.course, user__email="nora@example.com").exists()

    def test_a_right_code_already_used_does_not_count(self, people, client_for):
        client = client_for(people.member)
        for _ in range(6):
            assert "already a member" in join_page(client, people.course.join_code).content.decode()
        assert join_code_wait_for(client, people.member) is None

    def test_another_account_is_not_held_back_by_one_accounts_guesses(self, people, client_for):
        client = client_for(make_user("nora@example.com"))
        for n in range(5):
            join_page(client, f"WRONG{n:03d}", address=f"198.51.100.{n}")
        other = client_for(make_user("olga@example.com"))
        assert join_page(other, people.course.join_code, address="192.0.2.5").status_code == 302

    def test_one_address_guessing_for_many_accounts_is_throttled_at_its_limit(self, people, client_for):
        for n in range(20):
            client = client_for(make_user(f"guesser{n}@example.com"))
            assert join_page(client, f"WRONG{n:03d}").status_code == 400, n
        client = client_for(make_user("innocent@example.com"))
        assert join_page(client, people.course.join_code).status_code == 429
        assert join_page(client, people.course.join_code, address="192.0.2.5").status_code == 302


def join_code_wait_for(client, user):
    from django.test import RequestFactory

    request = RequestFactory().post("/join/", REMOTE_ADDR="203.0.113.7")
    request.user = user
    return join_code_wait(request)


class TestJoinAPI:
    def test_the_sixth_wrong_code_gets_429_with_retry_after(self, people, api_for):
        api = api_for(make_user("nora@example.com"))
        for n in range(5):
            assert join_api(api, f"WRONG{n:03d}", address=f"198.51.100.{n}").status_code == 400, n
        response = join_api(api, people.course.join_code, address="192.0.2.99")
        assert response.status_code == 429
        assert response.json()["detail"].startswith("Too many wrong join codes. Try again after")
        assert 0 < int(response["Retry-After"]) <= 15 * 60

    def test_the_page_and_the_api_share_one_count(self, people, client_for, api_for):
        nora = make_user("nora@example.com")
        client, api = client_for(nora), api_for(nora)
        for n in range(3):
            join_page(client, f"WRONG{n:03d}")
        for n in range(2):
            assert join_api(api, f"WRONGAPI{n}").status_code == 400
        assert join_api(api, people.course.join_code).status_code == 429
        assert join_page(client, people.course.join_code).status_code == 429


class TestSignup:
    def test_guessing_codes_through_sign_up_is_throttled_per_address(self, people, client):
        for n in range(20):
            data = {
                "email": f"new{n}@example.com",
                "first_name": "N",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "join_code": f"WRONG{n:03d}",
            }
            assert client.post(reverse("signup"), data, REMOTE_ADDR="203.0.113.7").status_code == 400, n
        data = {**data, "email": "late@example.com", "join_code": people.course.join_code}
        response = client.post(reverse("signup"), data, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 429
        assert "Too many wrong join codes" in response.content.decode()
        # Without a code, or from elsewhere, signing up still works.
        assert client.post(reverse("signup"), data, REMOTE_ADDR="192.0.2.5").status_code == 302


class TestOnRedis:
    """The same limit with the counters in Redis (THROTTLE_CACHE_URL), as a deployment at scale has them."""

    @pytest.fixture
    def redis_throttle(self, settings):
        from django.core.cache import caches

        from tests.services import redis_server

        with redis_server() as url:
            settings.CACHES = {
                **settings.CACHES,
                "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
            }
            caches["throttle"].clear()
            yield caches["throttle"]
            caches["throttle"].clear()

    def test_the_sixth_wrong_code_gets_429(self, people, client_for, redis_throttle):
        client = client_for(make_user("nora@example.com"))
        for n in range(5):
            assert join_page(client, f"WRONG{n:03d}").status_code == 400, n
        assert join_page(client, people.course.join_code).status_code == 429
        assert "RedisCache" in type(redis_throttle).__name__


class TestWindowEnd:
    def test_a_right_code_works_once_the_window_is_over(self, people, client_for, settings):
        settings.JOIN_CODE_WINDOW_SECONDS = 3
        settings.JOIN_CODE_FAILURE_LIMIT = 2
        nora = make_user("nora@example.com")
        client = client_for(nora)
        # Start at the beginning of a window (they are fixed, per key), so both guesses fall in one.
        join_page(client, "WRONG000")
        first = join_page(client, "WRONG001")
        assert first.status_code == 400
        response = join_page(client, people.course.join_code)
        if response.status_code != 429:  # the window turned between the two guesses: once more
            join_page(client, "WRONG002")
            response = join_page(client, people.course.join_code)
        assert response.status_code == 429
        time.sleep(int(response["Retry-After"]))
        assert join_page(client, people.course.join_code).status_code == 302
        assert Membership.objects.filter(user=nora, course=people.course).exists()
