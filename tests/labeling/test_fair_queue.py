"""The fair scoring queue (labeling/queue.py, services.claim_next_submission): who is claimed
next, a waiting submission's place and wait, and claims at the same moment on real connections.
The round trip with a real worker is in test_faults.py."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from labeling import queue, services
from labeling.models import Status, Submission
from tests.conftest import enroll, make_user
from tests.labeling.factories import make_challenge, make_scored_submission


def submit_as(challenge, *users):
    return [services.submit(challenge, user, b"x = 1\n", "a.py") for user in users]


def claim_all(worker: str = "w") -> list[int]:
    claimed = []
    while (claim := services.claim_next_submission(worker)) is not None:
        claimed.append(claim.submission_id)
    return claimed


@pytest.fixture
def students(people):
    return [people.member, people.teammate, people.outsider] + [
        enroll(make_user(f"q{i}@example.com"), people.course) for i in range(3)
    ]


@pytest.mark.django_db
class TestFairOrder:
    def test_everyones_first_submission_before_anyones_second(self, people, students):
        challenge = make_challenge(people.course)
        a, b, c = students[:3]
        a1, a2, a3, b1, c1, c2 = submit_as(challenge, a, a, a, b, c, c)
        assert claim_all() == [a1.pk, b1.pk, c1.pk, a2.pk, c2.pk, a3.pk]
        assert services.claim_next_submission("w") is None

    def test_a_claim_made_earlier_in_the_window_counts(self, people, students):
        challenge = make_challenge(people.course)
        a, b = students[:2]
        (a1,) = submit_as(challenge, a)
        assert claim_all() == [a1.pk]  # scored while nobody else was waiting
        a2, b1 = submit_as(challenge, a, b)
        assert claim_all() == [b1.pk, a2.pk]

    def test_claims_before_the_window_do_not_count(self, people, students, settings):
        settings.SCORING_FAIR_WINDOW_SECONDS = 600
        challenge = make_challenge(people.course)
        a, b = students[:2]
        hour_ago = timezone.now() - datetime.timedelta(hours=1)
        make_scored_submission(challenge, a, created_at=hour_ago, started_at=hour_ago)
        a2, b1 = submit_as(challenge, a, b)
        assert claim_all() == [a2.pk, b1.pk]  # first come, first served again
        recent = timezone.now() - datetime.timedelta(minutes=5)
        make_scored_submission(challenge, a, created_at=recent, started_at=recent)
        a3, b2 = submit_as(challenge, a, b)
        assert claim_all() == [b2.pk, a3.pk]

    def test_a_long_burst_keeps_counting_from_its_oldest_waiting_submission(self, people, students, settings):
        settings.SCORING_FAIR_WINDOW_SECONDS = 60
        challenge = make_challenge(people.course)
        a, b = students[:2]
        start = timezone.now() - datetime.timedelta(minutes=10)
        (b1,) = submit_as(challenge, b)
        Submission.objects.filter(pk=b1.pk).update(created_at=start)  # waiting for 10 minutes
        make_scored_submission(challenge, a, created_at=start, started_at=start + datetime.timedelta(minutes=1))
        (a2,) = submit_as(challenge, a)
        assert claim_all() == [b1.pk, a2.pk]

    def test_a_team_is_one_participant(self, people, students):
        from teams.models import Team, TeamMembership

        challenge = make_challenge(people.course, participation="team", slug="teams")
        other = Team.objects.create(course=people.course, name="Other", created_by=people.outsider)
        TeamMembership.objects.create(team=other, user=people.outsider, course=people.course)
        m1, t1, o1 = submit_as(challenge, people.member, people.teammate, people.outsider)
        assert claim_all() == [m1.pk, o1.pk, t1.pk]

    def test_cancelled_and_running_submissions_are_not_claimed(self, people, students):
        challenge = make_challenge(people.course)
        a, b = students[:2]
        a1, b1 = submit_as(challenge, a, b)
        services.cancel_submission(a1, a)
        assert claim_all() == [b1.pk]

    def test_the_sweeper_requeues_a_dead_workers_submission_at_its_turn(self, people, students):
        challenge = make_challenge(people.course)
        a, b = students[:2]
        (a1,) = submit_as(challenge, a)
        claim_all()
        Submission.objects.filter(pk=a1.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
        b1, b2 = submit_as(challenge, b, b)
        assert services.sweep_submissions()["requeued"] == 1
        # a1 ran but never finished: it does not count against A, and it is the oldest.
        assert claim_all() == [a1.pk, b1.pk, b2.pk]
        a1.refresh_from_db()
        assert a1.attempts == 2


@pytest.mark.django_db
class TestPlaces:
    def test_positions_follow_the_claim_order_and_the_wait_grows_with_them(self, people, students):
        challenge = make_challenge(people.course)
        a, b = students[:2]
        earlier = timezone.now() - datetime.timedelta(minutes=3)
        for i in range(3):  # runs of 4 s each
            started = earlier + datetime.timedelta(seconds=10 * i)
            make_scored_submission(challenge, students[5], created_at=started, started_at=started)
            Submission.objects.filter(created_at=started).update(finished_at=started + datetime.timedelta(seconds=4))
        a1, a2, b1 = submit_as(challenge, a, a, b)
        places = queue.places()
        assert {pk: p.position for pk, p in places.items()} == {a1.pk: 1, b1.pk: 2, a2.pk: 3}
        assert [places[pk].estimated_wait_s for pk in (a1.pk, b1.pk, a2.pk)] == [4, 8, 12]
        # Two running submissions: two workers share the queue.
        services.claim_submission(a1.pk, "w1")
        (c1,) = submit_as(challenge, students[2])
        services.claim_submission(c1.pk, "w2")
        places = queue.places()
        assert {pk: (p.position, p.estimated_wait_s) for pk, p in places.items()} == {b1.pk: (1, 2), a2.pk: (2, 4)}

    def test_nothing_waiting_no_places(self, people):
        assert queue.places() == {}


def claim_at_once(count: int) -> list[services.Claim | None]:
    barrier = threading.Barrier(count)
    results, lock = [], threading.Lock()

    def run(n):
        try:
            barrier.wait(timeout=30)
            claim = services.claim_next_submission(f"w{n}")
        finally:
            connection.close()
        with lock:
            results.append(claim)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a claim is stuck"
    return results


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_take_distinct_submissions_in_fair_order(people, students):
    """On PostgreSQL a claim skips the rows others are claiming (SKIP LOCKED) and never waits; on
    SQLite the claims run one after the other. Either way each submission goes to one worker, and
    the first four claims are the four participants' first submissions."""
    challenge = make_challenge(people.course, max_queued=5)
    a, b, c, d = students[:4]
    subs = submit_as(challenge, a, a, a, b, b, c, d, d)
    firsts = {subs[0].pk, subs[3].pk, subs[5].pk, subs[6].pk}
    first_round = claim_at_once(4)
    assert all(first_round) and {claim.submission_id for claim in first_round} == firsts
    second_round = claim_at_once(6)
    taken = [claim.submission_id for claim in second_round if claim is not None]
    assert sorted(taken) == sorted({s.pk for s in subs} - firsts)
    assert Submission.objects.filter(status=Status.RUNNING, attempts=1).count() == len(subs)
    for sub in subs:
        assert sub.events.filter(to_status=Status.RUNNING).count() == 1


@pytest.mark.django_db
class TestQueueOnPagesAndApi:
    @pytest.fixture
    def queued(self, people, students):
        challenge = make_challenge(people.course)
        a1, a2, b1 = submit_as(challenge, people.member, people.member, people.outsider)
        return challenge, a1, a2, b1

    def page_url(self, challenge, name="challenge", *args):
        from django.urls import reverse

        return reverse(f"labeling:{name}", args=[challenge.course.slug, challenge.slug, *args])

    def test_the_challenge_page_shows_each_waiting_submission_s_place_live(self, people, client_for, queued):
        challenge, a1, a2, b1 = queued
        html = client_for(people.member).get(self.page_url(challenge)).content.decode()
        assert f"{self.page_url(challenge, 'queue_status')}?ids={a1.pk},{a2.pk}" in html  # polled by htmx
        assert 'hx-trigger="every 3s"' in html
        panel = html[html.index('id="queue-status"') :]
        assert panel.index(f"#{a1.pk}") < panel.index("1st in the queue") < panel.index(f"#{a2.pk}")
        assert "wait about 10 s" in panel and "3rd in the queue" in panel and "wait about 30 s" in panel  # 10 s a run
        assert f"#{b1.pk}" not in panel  # someone else's
        other = client_for(people.outsider).get(self.page_url(challenge)).content.decode()
        assert "2nd in the queue" in other and f"?ids={b1.pk}" in other

    def test_the_panel_follows_the_submissions_until_they_end(self, people, client_for, queued):
        challenge, a1, a2, b1 = queued
        client = client_for(people.member)
        url = f"{self.page_url(challenge, 'queue_status')}?ids={a1.pk},{a2.pk},{b1.pk}"
        claim = services.claim_next_submission("w")  # a1
        html = client.get(url).content.decode()
        assert "running since" in html and "2nd in the queue" in html  # a2 behind b1
        assert f"#{b1.pk}" not in html
        scores = services.scoring.Scores(score=0.9, public_score=0.875, private_score=0.9)
        services.finish_submission(claim, services.Outcome(status=Status.SCORED, scores=scores, runtime_s=1.0))
        services.cancel_submission(a2, people.member)
        html = client.get(url).content.decode()
        assert "Just finished" in html and "public score 0.8750" in html and "hx-get" not in html
        page = client.get(self.page_url(challenge)).content.decode()
        assert 'id="queue-status"' not in page  # nothing waiting: no panel, no polling

    def test_the_submission_page_shows_the_place(self, people, client_for, queued):
        challenge, a1, a2, b1 = queued
        client = client_for(people.member)
        assert "3rd in the queue" in client.get(self.page_url(challenge, "submission", a2.pk)).content.decode()
        status = client.get(self.page_url(challenge, "submission_status", a2.pk)).content.decode()
        assert "3rd in the queue" in status

    def test_the_api_gives_the_place_and_the_wait(self, people, api_for, queued):
        from django.urls import reverse

        challenge, a1, a2, b1 = queued
        api = api_for(people.member)
        base = reverse("labeling-api:submissions", args=[people.course.slug, challenge.slug])
        body = api.get(f"{base}{a2.pk}/").json()
        assert (body["queue_position"], body["estimated_wait_s"]) == (3, 30)
        rows = {row["id"]: row for row in api.get(base).json()["results"]}
        assert {pk: rows[pk]["queue_position"] for pk in rows} == {a1.pk: 1, a2.pk: 3}
        services.claim_next_submission("w")
        body = api.get(f"{base}{a1.pk}/").json()
        assert (body["status"], body["queue_position"], body["estimated_wait_s"]) == ("running", None, None)
        assert api.get(f"{base}{a2.pk}/").json()["queue_position"] == 2


@pytest.mark.django_db
def test_the_openapi_schema_documents_the_place_and_the_wait(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    fields = schema["components"]["schemas"]["Submission"]["properties"]
    for name in ("queue_position", "estimated_wait_s"):
        assert fields[name]["type"] == "integer" and fields[name]["nullable"] is True
        assert fields[name]["readOnly"] is True and "queued" in fields[name]["description"].lower()
