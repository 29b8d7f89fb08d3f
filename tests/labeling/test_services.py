"""The scorer's services without the sandbox: setup checks, quota, queue cap, the claim, the sweeper."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from labeling import services, storage
from labeling.models import Challenge, Participation, Status, Submission, SubmissionEvent
from tests.labeling.factories import STARTER_CODE, make_challenge, make_scored_submission, seed_files

pytestmark = pytest.mark.django_db

GOLD = b"attr_id,adj,label\na,x,TRUE\na,y,FALSE\n"


def create(course, **overrides):
    args = {"slug": "c", "title": "C", "inputs": [("raw_data.csv", b"x\n")], "gold": GOLD}
    args.update(overrides)
    return services.create_challenge(course, **args)


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


class TestCreateChallenge:
    def test_it_stores_inputs_and_gold_under_the_data_directory(self, people, settings):
        raw, gold = seed_files()
        challenge = make_challenge(people.course)
        assert challenge.gold_rows == 440 and challenge.keys == ["attr_id", "adj"]
        assert storage.read_blob(challenge.gold_path, challenge.gold_sha256) == gold
        (item,) = challenge.inputs.all()
        assert (item.name, item.size) == ("raw_data.csv", len(raw))
        assert storage.absolute(item.path).is_relative_to(settings.DATA_DIR.resolve())

    def test_it_lists_every_problem_and_stores_nothing(self, people):
        errors = errors_of(
            lambda: create(
                people.course,
                slug="bad slug",
                gold=b"attr_id,adj,label\na,x,TRUE\na,x,FALSE\nb,y,\n",
                inputs=[("../raw.csv", b"x"), ("submission.py", b"y")],
                output_filename="out/put.csv",
                public_fraction=1.5,
                time_limit_s=0,
                opens_at=timezone.now(),
                closes_at=timezone.now() - datetime.timedelta(days=1),
            )
        )
        assert set(errors) == {
            "slug",
            "gold",
            "inputs",
            "output_filename",
            "public_fraction",
            "time_limit_s",
            "closes_at",
        }
        assert errors["gold"] == ["Line 3 repeats the key (a, x) of line 2.", "Line 4 of the gold has no label."]
        assert Challenge.objects.count() == 0

    def test_the_gold_must_have_the_named_columns(self, people):
        errors = errors_of(lambda: create(people.course, key_columns="attr,adj"))
        assert errors == {"gold": ["The gold lacks the column attr (it has: attr_id, adj, label)."]}

    def test_f1_needs_true_false_labels(self, people):
        errors = errors_of(lambda: create(people.course, metric="f1", gold=b"attr_id,adj,label\na,x,cat\na,y,dog\n"))
        assert "macro-F1" in errors["metric"][0]

    def test_slugs_are_unique_in_a_course(self, people):
        create(people.course)
        assert "already has a challenge" in errors_of(lambda: create(people.course))["slug"][0]
        create(people.other_course)  # another course may reuse it


class TestUpdateChallenge:
    def test_a_bad_gold_changes_nothing(self, people):
        challenge = create(people.course)
        before = (challenge.gold_path, challenge.gold_rows)
        errors = errors_of(lambda: services.update_challenge(challenge, gold=b"attr_id,label\n1,TRUE\n", title="New"))
        assert "gold" in errors
        challenge.refresh_from_db()
        assert (challenge.gold_path, challenge.gold_rows, challenge.title) == (*before, "C")

    def test_it_replaces_gold_and_inputs(self, people):
        challenge = create(people.course)
        services.update_challenge(
            challenge, gold=b"attr_id,adj,label\na,x,TRUE\n", inputs=[("a.csv", b"1"), ("b.csv", b"2")], title="New"
        )
        challenge.refresh_from_db()
        assert challenge.gold_rows == 1 and challenge.title == "New"
        assert list(challenge.inputs.values_list("name", flat=True)) == ["a.csv", "b.csv"]

    def test_new_key_columns_are_checked_against_the_stored_gold(self, people):
        challenge = create(people.course)
        assert "gold" in errors_of(lambda: services.update_challenge(challenge, key_columns="attr_id,word"))


class TestParticipant:
    def test_individual_and_team(self, people):
        challenge = create(people.course)
        assert services.participant_for(challenge, people.member) == f"u:{people.member.pk}"
        challenge.participation = Participation.TEAM
        assert services.participant_for(challenge, people.member) == f"t:{people.team.pk}"
        with pytest.raises(ValidationError, match="team challenge"):
            services.participant_for(challenge, people.outsider)


class TestSubmit:
    def test_it_queues_and_enqueues_only_after_the_commit(self, people, django_capture_on_commit_callbacks):
        challenge = create(people.course)
        with django_capture_on_commit_callbacks() as callbacks:
            sub = services.submit(challenge, people.member, b"print(1)\n", "a.py")
            assert callbacks == []  # nothing is sent while the transaction is open
        assert len(callbacks) == 1
        sub.refresh_from_db()
        assert sub.status == Status.QUEUED and sub.queued_at is not None
        assert storage.read_blob(sub.code_path, sub.code_sha256) == b"print(1)\n"
        assert list(sub.events.values_list("to_status", flat=True)) == [Status.QUEUED]

    @pytest.mark.parametrize(
        ("code", "filename", "message"),
        [
            (b"print(1)", "a.txt", "ending in .py"),
            (b"", "a.py", "empty"),
            (b"\xff\xfe", "a.py", "not UTF-8"),
            (b"x = 1\x00", "a.py", "NUL"),
            (b"#" * 300_000, "a.py", "larger than"),
        ],
    )
    def test_it_refuses_bad_files(self, people, code, filename, message):
        challenge = create(people.course)
        with pytest.raises(ValidationError, match=message):
            services.submit(challenge, people.member, code, filename)
        assert not Submission.objects.exists()

    def test_it_refuses_before_opening_and_after_closing(self, people):
        now = timezone.now()
        challenge = create(people.course, opens_at=now + datetime.timedelta(hours=1))
        with pytest.raises(ValidationError, match="not opened"):
            services.submit(challenge, people.member, b"x=1", "a.py")
        challenge = create(people.course, slug="d", closes_at=now - datetime.timedelta(seconds=1))
        with pytest.raises(ValidationError, match="closed"):
            services.submit(challenge, people.member, b"x=1", "a.py")

    def test_at_most_max_queued_wait_per_participant(self, people):
        challenge = create(people.course, max_queued=2)
        for _ in range(2):
            services.submit(challenge, people.member, b"x=1", "a.py")
        with pytest.raises(ValidationError, match="2 of your submissions are still waiting"):
            services.submit(challenge, people.member, b"x=1", "a.py")
        services.submit(challenge, people.outsider, b"x=1", "a.py")  # others are not held up
        Submission.objects.filter(participant=f"u:{people.member.pk}").update(status=Status.SCORED)
        services.submit(challenge, people.member, b"x=1", "a.py")

    def test_a_team_shares_its_queue_and_its_quota(self, people):
        challenge = create(people.course, participation=Participation.TEAM, daily_limit=2)
        services.submit(challenge, people.member, b"x=1", "a.py")
        services.submit(challenge, people.teammate, b"x=1", "a.py")
        Submission.objects.update(status=Status.SCORED)
        with pytest.raises(ValidationError, match="used all 2 submissions"):
            services.submit(challenge, people.teammate, b"x=1", "a.py")


class TestQuota:
    def test_failed_runs_do_not_count(self, people):
        challenge = create(people.course, daily_limit=3)
        for status in (Status.SCORED, Status.QUEUED, Status.FAILED, Status.TIMED_OUT, Status.MEMORY_EXCEEDED):
            make_scored_submission(challenge, people.member, status=status)
        make_scored_submission(challenge, people.member, status=Status.INVALID_OUTPUT)
        quota = services.submission_quota(challenge, people.member)
        assert (quota.used, quota.limit, quota.left) == (2, 3, 1)
        services.submit(challenge, people.member, b"x=1", "a.py")
        with pytest.raises(ValidationError, match="used all 3 submissions for today; more from 00:00"):
            services.submit(challenge, people.member, b"x=1", "a.py")

    def test_the_day_is_the_course_day(self, people):
        # dl-fall runs on Europe/Berlin: 23:30 UTC on 1 March is already 2 March there.
        challenge = create(people.course, daily_limit=1)
        berlin = ZoneInfo("Europe/Berlin")
        late = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)  # 23:30 in Berlin
        make_scored_submission(challenge, people.member, created_at=late)
        next_morning = datetime.datetime(2026, 3, 2, 0, 30, tzinfo=berlin)
        same_evening = datetime.datetime(2026, 3, 1, 23, 50, tzinfo=berlin)
        assert services.submission_quota(challenge, people.member, now=same_evening).left == 0
        quota = services.submission_quota(challenge, people.member, now=next_morning)
        assert quota.left == 1
        assert quota.resets_at == datetime.datetime(2026, 3, 3, 0, 0, tzinfo=berlin)

    def test_benchmarks_do_not_count(self, people):
        challenge = create(people.course, daily_limit=1)
        services.add_benchmark(challenge, "Baseline", b"x = 1\n")
        assert services.submission_quota(challenge, people.member).used == 0


class TestClaimAndFinish:
    def test_a_job_claims_a_queued_submission_once(self, people):
        challenge = create(people.course)
        sub = services.submit(challenge, people.member, b"x=1", "a.py")
        claim = services.claim_submission(sub.pk, "w1")
        assert claim.attempt == 1
        assert services.claim_submission(sub.pk, "w2") is None  # a duplicate or redelivered job
        assert services.claim_submission(999_999, "w2") is None  # a job for a row that is gone
        sub.refresh_from_db()
        assert (sub.status, sub.worker, sub.attempts) == (Status.RUNNING, "w1", 1)

    def test_only_the_claim_holder_stores_a_result(self, people, settings):
        challenge = create(people.course)
        sub = services.submit(challenge, people.member, b"x=1", "a.py")
        old = services.claim_submission(sub.pk, "slow-worker")
        # The sweeper thinks the slow worker died and requeues; another worker claims it.
        Submission.objects.filter(pk=sub.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
        assert services.sweep_submissions()["requeued"] == 1
        new = services.claim_submission(sub.pk, "fresh-worker")
        scores = services.scoring.Scores(score=0.9, public_score=0.8, private_score=1.0)
        assert not services.heartbeat(old)
        assert not services.finish_submission(old, services.Outcome(status=Status.SCORED, scores=scores))
        assert services.finish_submission(new, services.Outcome(status=Status.SCORED, scores=scores, runtime_s=1.0))
        assert not services.finish_submission(new, services.Outcome(status=Status.FAILED, message="again"))
        sub.refresh_from_db()
        assert (sub.status, sub.score, sub.public_score, sub.private_score) == (Status.SCORED, 0.9, 0.8, 1.0)
        assert sub.events.filter(to_status=Status.SCORED).count() == 1

    def test_a_cancelled_run_stops_beating(self, people):
        challenge = create(people.course)
        sub = services.submit(challenge, people.member, b"x=1", "a.py")
        claim = services.claim_submission(sub.pk, "w")
        assert services.heartbeat(claim)
        services.cancel_submission(sub, people.member)
        assert not services.heartbeat(claim)
        assert not services.finish_submission(claim, services.Outcome(status=Status.FAILED, message="x"))
        sub.refresh_from_db()
        assert sub.status == Status.CANCELLED and sub.message
        with pytest.raises(ValidationError, match="already finished"):
            services.cancel_submission(sub, people.member)

    def test_rescore_clears_the_old_scores_and_queues_again(self, people, django_capture_on_commit_callbacks):
        challenge = create(people.course)
        sub = make_scored_submission(challenge, people.member, public_score=0.7, attempts=2)
        with django_capture_on_commit_callbacks() as callbacks:
            services.rescore_submission(sub, people.instructor)
        assert len(callbacks) == 1
        sub.refresh_from_db()
        assert (sub.status, sub.score, sub.public_score, sub.attempts) == (Status.QUEUED, None, None, 0)
        with pytest.raises(ValidationError, match="only a finished one"):
            services.rescore_submission(sub, people.instructor)

    def test_rescore_all_skips_cancelled_and_waiting_ones(self, people):
        challenge = create(people.course)
        for status in (Status.SCORED, Status.FAILED, Status.CANCELLED, Status.QUEUED, Status.RUNNING):
            make_scored_submission(challenge, people.member, status=status)
        assert services.rescore_challenge(challenge, people.instructor) == 2

    def test_disqualify_keeps_the_row_off_the_board(self, people):
        challenge = create(people.course)
        sub = make_scored_submission(challenge, people.member, is_final_pick=True)
        with pytest.raises(ValidationError, match="Say why"):
            services.disqualify_submission(sub, people.instructor, " ")
        services.disqualify_submission(sub, people.instructor, "Hard-coded the gold")
        assert (sub.disqualified, sub.is_final_pick, sub.status) == (True, False, Status.SCORED)
        services.requalify_submission(sub, people.instructor)
        assert not sub.disqualified and sub.events.filter(note__startswith="disqualified").exists()


class TestSweeper:
    @pytest.fixture
    def timing(self, settings):
        settings.SCORING_STALE_SECONDS = 60
        settings.SCORING_QUEUE_TIMEOUT_SECONDS = 300
        settings.SCORING_MAX_ATTEMPTS = 3

    def running(self, challenge, user, *, attempts: int, beat_age: float) -> Submission:
        sub = services.submit(challenge, user, b"x=1", "a.py")
        Submission.objects.filter(pk=sub.pk).update(
            status=Status.RUNNING,
            attempts=attempts,
            heartbeat_at=timezone.now() - datetime.timedelta(seconds=beat_age),
        )
        return sub

    def test_it_requeues_a_running_submission_whose_worker_died(
        self, people, timing, django_capture_on_commit_callbacks
    ):
        challenge = create(people.course)
        dead = self.running(challenge, people.member, attempts=1, beat_age=61)
        alive = self.running(challenge, people.outsider, attempts=1, beat_age=5)
        with django_capture_on_commit_callbacks() as callbacks:
            assert services.sweep_submissions() == {"requeued": 1, "resent": 0, "failed": 0}
        assert len(callbacks) == 1
        dead.refresh_from_db()
        alive.refresh_from_db()
        assert (dead.status, dead.worker, alive.status) == (Status.QUEUED, "", Status.RUNNING)
        assert dead.events.filter(note__contains="stopped beating").exists()

    def test_it_fails_one_for_good_after_max_attempts(self, people, timing):
        challenge = create(people.course)
        sub = self.running(challenge, people.member, attempts=3, beat_age=61)
        assert services.sweep_submissions()["failed"] == 1
        sub.refresh_from_db()
        assert sub.status == Status.FAILED and "stopped 3 times" in sub.message
        # A failed run does not count against the daily limit.
        assert services.submission_quota(challenge, people.member).used == 0

    def test_it_resends_a_lost_job_and_fails_it_only_when_no_worker_takes_any(
        self, people, timing, django_capture_on_commit_callbacks
    ):
        challenge = create(people.course)
        sub = services.submit(challenge, people.member, b"x=1", "a.py")
        long_ago = timezone.now() - datetime.timedelta(seconds=301)
        Submission.objects.filter(pk=sub.pk).update(queued_at=long_ago)
        # A worker is busy with other work: resend, never fail.
        busy = make_scored_submission(challenge, people.outsider)
        Submission.objects.filter(pk=busy.pk).update(started_at=timezone.now())
        for _ in range(5):
            with django_capture_on_commit_callbacks() as callbacks:
                assert services.sweep_submissions()["resent"] == 1
            assert len(callbacks) == 1
            Submission.objects.filter(pk=sub.pk).update(queued_at=long_ago)
        sub.refresh_from_db()
        assert (sub.status, sub.requeues) == (Status.QUEUED, 0)
        # No worker took anything in the meantime: the scorer is down; fail after the third try.
        Submission.objects.filter(pk=busy.pk).update(started_at=long_ago)
        for expected in ({"requeued": 0, "resent": 1, "failed": 0},) * 2 + ({"requeued": 0, "resent": 0, "failed": 1},):
            assert services.sweep_submissions() == expected
            Submission.objects.filter(pk=sub.pk, status=Status.QUEUED).update(queued_at=long_ago)
        sub.refresh_from_db()
        assert sub.status == Status.FAILED and "No scoring worker picked this submission up" in sub.message

    def test_recent_queued_submissions_are_left_alone(self, people, timing):
        challenge = create(people.course)
        services.submit(challenge, people.member, b"x=1", "a.py")
        assert services.sweep_submissions() == {"requeued": 0, "resent": 0, "failed": 0}


def test_events_record_every_change(people):
    challenge = create(people.course)
    sub = services.submit(challenge, people.member, STARTER_CODE, "starter.py")
    claim = services.claim_submission(sub.pk, "w")
    services.finish_submission(claim, services.Outcome(status=Status.FAILED, message="boom"))
    services.rescore_submission(sub, people.instructor)
    transitions = list(SubmissionEvent.objects.filter(submission=sub).values_list("from_status", "to_status"))
    assert transitions == [
        ("", Status.QUEUED),
        (Status.QUEUED, Status.RUNNING),
        (Status.RUNNING, Status.FAILED),
        (Status.FAILED, Status.QUEUED),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_cannot_both_take_the_last_slot(people):
    import threading

    from django.db import connection

    challenge = create(people.course, daily_limit=1)
    barrier = threading.Barrier(4)
    outcomes = []

    def submit_now(user):
        try:
            barrier.wait()
            services.submit(challenge, user, b"x = 1\n", "a.py")
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_now, args=(people.member,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("ok") == 1, outcomes
    assert Submission.objects.filter(participant=f"u:{people.member.pk}").count() == 1
