"""End to end, as a student with curl would: submit through the API, a real Celery worker on
Redis (db 7) scores it in the sandbox, the status turns terminal and the board shows the row."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from kombu import pools as kombu_pools

from courseproj.celery import app
from labeling.models import Submission
from tests.labeling.factories import STARTER_CODE, make_challenge
from tests.services import celery_worker, redis_server, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def broker(monkeypatch):
    """Redis db 7 for this process's producer and the worker; the producer pool is rebuilt for it."""
    with redis_server() as url:
        import redis

        url = url.rsplit("/", 1)[0] + "/7"
        redis.Redis.from_url(url).flushdb()
        # Celery reads CELERY_BROKER_URL from the environment before its own settings.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        reset_producers()
        try:
            yield url
        finally:
            monkeypatch.undo()
            reset_producers()


def reset_producers():
    """Forget pooled broker connections, as Celery does after a fork, so the next send connects anew."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_a_submission_is_scored_by_a_worker_and_reaches_the_board(people, api_for, client_for, broker, settings):
    challenge = make_challenge(people.course)
    env = {"COURSEPROJ_DATA_DIR": str(settings.DATA_DIR)}
    with celery_worker(broker, env=env, name="labweb-roundtrip"):
        api = api_for(people.member)
        upload = SimpleUploadedFile("starter.py", STARTER_CODE)
        url = reverse("labeling-api:submissions", args=[people.course.slug, challenge.slug])
        created = api.post(url, {"file": upload}, format="multipart")
        assert created.status_code == 201 and created.json()["status"] == "queued"

        def finished():
            body = api.get(created.json()["url"]).json()
            return body if body["is_terminal"] else None

        body = wait_for(finished, 120, interval=0.5, message="the submission to be scored")

    assert body["status"] == "scored", body
    assert body["public_score"] is not None and body["private_score"] is None  # hidden while open
    sub = Submission.objects.get(pk=body["id"])
    # The course's starter script on the seed data: 406 of the 440 gold pairs.
    assert sub.score == pytest.approx(406 / 440)
    assert sub.attempts == 1 and sub.runtime_s > 0

    page = client_for(people.member)
    status = page.get(reverse("labeling:submission_status", args=[people.course.slug, challenge.slug, sub.pk]))
    assert "hx-trigger" not in status.content.decode()
    board = page.get(reverse("labeling:leaderboard", args=[people.course.slug, challenge.slug])).content.decode()
    assert f"{sub.public_score:.4f}" in board and ">you<" in board
