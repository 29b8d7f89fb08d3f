"""REST API of the labeling challenge: every action and refusal, with token auth."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from labeling.models import Challenge, Hint, HintReveal, Status, Submission
from tests.labeling.factories import STARTER_CODE, make_challenge, make_scored_submission, seed_files

pytestmark = pytest.mark.django_db


def api_url(name, challenge=None, *args, course="dl-fall"):
    if challenge is None:
        return reverse(f"labeling-api:{name}", args=[course, *args])
    return reverse(f"labeling-api:{name}", args=[challenge.course.slug, challenge.slug, *args])


def py(code: bytes = STARTER_CODE, name: str = "solution.py"):
    return SimpleUploadedFile(name, code, content_type="text/x-python")


@pytest.fixture
def challenge(people):
    return make_challenge(people.course)


@pytest.fixture
def closed(people):
    now = timezone.now()
    return make_challenge(people.course, slug="closed-one", opens_at=now - datetime.timedelta(days=3), closes_at=now)


class TestChallenges:
    def test_members_list_the_challenges(self, people, api_for, challenge):
        body = api_for(people.member).get(api_url("challenges")).json()
        (item,) = body["results"]
        assert (item["slug"], item["phase"], item["metric"]) == ("adjectives", "open", "accuracy")
        assert "split_seed" not in item and "gold_sha256" not in item
        assert item["inputs"][0]["name"] == "raw_data.csv"

    def test_the_detail_has_hints_quota_and_runtime(self, people, api_for, challenge):
        Hint.objects.create(challenge=challenge, order=1, text="Slots 11-16 are gold.", reveal_on_click=True)
        make_scored_submission(challenge, people.member, public_score=0.9)
        body = api_for(people.member).get(api_url("challenge", challenge)).json()
        assert body["quota"]["used"] == 1 and body["quota"]["left"] == 4 and body["quota"]["limit"] == 5
        resets = datetime.datetime.fromisoformat(body["quota"]["resets_at"])
        assert resets.astimezone(people.course.tz).time() == datetime.time(0, 0)
        (hint,) = body["hints"]
        assert (hint["visible"], hint["text"], hint["can_reveal"]) == (False, None, True)
        assert "pandas" in body["runtime"]

    def test_an_input_downloads_with_a_token(self, people, api_for, challenge):
        response = api_for(people.member).get(api_url("input", challenge, "raw_data.csv"))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == seed_files()[0]

    def test_staff_create_a_challenge_with_multipart_uploads(self, people, api_for):
        raw, gold = seed_files()
        data = {
            "slug": "crowd",
            "title": "Crowd labels",
            "inputs": [SimpleUploadedFile("raw_data.csv", raw)],
            "gold": SimpleUploadedFile("ground_truth.csv", gold),
            "key_columns": "attr_id,adj",
            "label_column": "label",
            "metric": "balanced_accuracy",
            "public_fraction": "0.3",
            "split_seed": "11",
            "participation": "team",
        }
        response = api_for(people.instructor).post(api_url("challenges"), data, format="multipart")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["gold_rows"], body["split_seed"], body["participation"]) == (440, 11, "team")
        assert Challenge.objects.get(slug="crowd").metric == "balanced_accuracy"

    def test_create_lists_every_problem_and_makes_nothing(self, people, api_for):
        data = {
            "slug": "crowd",
            "title": "Crowd labels",
            "inputs": [SimpleUploadedFile("raw_data.csv", b"a,b\n1,2\n")],
            "gold": SimpleUploadedFile("gold.csv", b"attr_id,adj,label\nx,y,True\nx,y,False\n"),
        }
        response = api_for(people.instructor).post(api_url("challenges"), data, format="multipart")
        assert response.status_code == 400
        assert "repeats the key" in str(response.json()["gold"])
        assert not Challenge.objects.exists()

    def test_create_needs_the_files(self, people, api_for):
        response = api_for(people.ta).post(api_url("challenges"), {"slug": "x", "title": "X"}, format="multipart")
        assert response.status_code == 400
        assert set(response.json()) >= {"inputs", "gold"}

    def test_staff_update_a_challenge(self, people, api_for, challenge):
        response = api_for(people.ta).patch(api_url("challenge", challenge), {"daily_limit": 8}, format="json")
        assert response.status_code == 200
        challenge.refresh_from_db()
        assert challenge.daily_limit == 8

    def test_a_bad_gold_on_update_changes_nothing(self, people, api_for, challenge):
        before = challenge.gold_sha256
        bad = SimpleUploadedFile("gold.csv", b"attr_id,label\nx,True\n")
        response = api_for(people.ta).patch(
            api_url("challenge", challenge), {"gold": bad, "title": "New"}, format="multipart"
        )
        assert response.status_code == 400
        challenge.refresh_from_db()
        assert (challenge.gold_sha256, challenge.title) == (before, "Adjectives and attributes")

    def test_the_slug_cannot_change(self, people, api_for, challenge):
        response = api_for(people.ta).patch(api_url("challenge", challenge), {"slug": "other"}, format="json")
        assert response.status_code == 400


class TestSubmitting:
    def test_a_student_submits_a_file_like_curl_does(self, people, api_for, challenge):
        response = api_for(people.member).post(api_url("submissions", challenge), {"file": py()}, format="multipart")
        assert response.status_code == 201
        body = response.json()
        sub = Submission.objects.get(pk=body["id"])
        assert (body["status"], body["is_terminal"], sub.submitter) == ("queued", False, people.member)
        assert response["Location"] == body["url"]
        assert body["url"].endswith(api_url("submission", challenge, sub.pk))

    @pytest.mark.parametrize(
        "upload, message",
        [
            (lambda: py(name="solution.ipynb"), "ending in .py"),
            (lambda: py(b"x" * 300_000), "larger than"),
            (lambda: py(b"print('\xe9')"), "not UTF-8"),
        ],
    )
    def test_a_bad_file_is_refused_with_the_reason(self, people, api_for, challenge, upload, message):
        response = api_for(people.member).post(
            api_url("submissions", challenge), {"file": upload()}, format="multipart"
        )
        assert response.status_code == 400
        assert message in " ".join(response.json()["detail"])
        assert not Submission.objects.exists()

    def test_the_daily_limit(self, people, api_for):
        limited = make_challenge(people.course, daily_limit=1)
        make_scored_submission(limited, people.member, public_score=0.9)
        response = api_for(people.member).post(api_url("submissions", limited), {"file": py()}, format="multipart")
        assert response.status_code == 400
        assert "You have used all 1 submissions for today" in response.json()["detail"][0]

    def test_a_closed_challenge(self, people, api_for, closed):
        response = api_for(people.member).post(api_url("submissions", closed), {"file": py()}, format="multipart")
        assert response.status_code == 400
        assert "closed" in response.json()["detail"][0]

    def test_no_file(self, people, api_for, challenge):
        response = api_for(people.member).post(api_url("submissions", challenge), {}, format="multipart")
        assert response.status_code == 400
        assert "file" in response.json()

    def test_my_submissions_list_only_mine(self, people, api_for, challenge):
        mine = make_scored_submission(challenge, people.member, public_score=0.9, private_score=0.8)
        make_scored_submission(challenge, people.outsider, public_score=0.9)
        body = api_for(people.member).get(api_url("submissions", challenge)).json()
        assert [s["id"] for s in body["results"]] == [mine.pk]
        assert body["results"][0]["public_score"] == 0.9
        assert body["results"][0]["private_score"] is None and body["results"][0]["score"] is None

    def test_the_status_of_a_submission(self, people, api_for, challenge):
        sub = make_scored_submission(
            challenge, people.member, status=Status.FAILED, message="Exited with status 1.", log_tail="Traceback"
        )
        body = api_for(people.member).get(api_url("submission", challenge, sub.pk)).json()
        assert (body["status"], body["is_terminal"], body["message"], body["log_tail"]) == (
            "failed",
            True,
            "Exited with status 1.",
            "Traceback",
        )
        assert body["runtime_s"] == 1.5

    def test_the_code_of_my_submission(self, people, api_for, challenge):
        sub = make_scored_submission(challenge, people.member, code=b"print(1)\n")
        response = api_for(people.member).get(api_url("submission-code", challenge, sub.pk))
        assert b"".join(response.streaming_content) == b"print(1)\n"

    def test_cancel_a_waiting_submission(self, people, api_for, challenge):
        sub = make_scored_submission(challenge, people.member, status=Status.QUEUED)
        response = api_for(people.member).post(api_url("submission-cancel", challenge, sub.pk))
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        again = api_for(people.member).post(api_url("submission-cancel", challenge, sub.pk))
        assert again.status_code == 400


class TestLeaderboardAndPicks:
    def test_the_public_board(self, people, api_for, challenge):
        make_scored_submission(challenge, public_score=0.9227, benchmark_name="Majority vote")
        make_scored_submission(challenge, people.member, public_score=0.93, private_score=0.8123)
        body = api_for(people.member).get(api_url("leaderboard", challenge)).json()
        assert (body["board"], body["closed"], body["count"]) == ("public", False, 2)
        first, bench = body["rows"]
        assert (first["rank"], first["name"], first["is_own"], first["score"]) == (1, "Mia Member", True, 0.93)
        assert len(first["history"]) == 1
        assert (bench["rank"], bench["is_benchmark"]) == (None, True)
        assert "0.8123" not in str(body) and "private_score" not in first

    def test_the_private_board_after_closing(self, people, api_for, closed):
        make_scored_submission(closed, people.member, public_score=0.93, private_score=0.91)
        body = api_for(people.member).get(api_url("leaderboard", closed)).json()
        assert body["board"] == "private"
        assert (body["rows"][0]["score"], body["rows"][0]["public_rank"]) == (0.91, 1)

    def test_paging(self, people, api_for, challenge):
        for user in (people.member, people.teammate, people.outsider):
            make_scored_submission(challenge, user, public_score=0.9)
        body = api_for(people.member).get(api_url("leaderboard", challenge) + "?page_size=2&page=2").json()
        assert (body["count"], body["page"], body["pages"], len(body["rows"])) == (3, 2, 2, 1)

    def test_a_bad_board_name(self, people, api_for, challenge):
        assert api_for(people.member).get(api_url("leaderboard", challenge) + "?board=x").status_code == 400

    def test_picks(self, people, api_for, challenge):
        a = make_scored_submission(challenge, people.member, public_score=0.95)
        b = make_scored_submission(challenge, people.member, public_score=0.90)
        api = api_for(people.member)
        assert api.get(api_url("picks", challenge)).json() == {
            "submission_ids": sorted([a.pk, b.pk]),
            "picked": False,
            "limit": 2,
        }
        response = api.put(api_url("picks", challenge), {"submission_ids": [b.pk]}, format="json")
        assert response.json() == {"submission_ids": [b.pk], "picked": True, "limit": 2}

    def test_picks_are_refused_with_the_reason(self, people, api_for, challenge):
        other = make_scored_submission(challenge, people.outsider, public_score=0.95)
        body = {"submission_ids": [other.pk]}
        response = api_for(people.member).put(api_url("picks", challenge), body, format="json")
        assert response.status_code == 400
        assert "not one of yours" in response.json()["detail"][0]


class TestHints:
    def test_reveal_a_hint_by_clicking(self, people, api_for, challenge):
        hint = Hint.objects.create(challenge=challenge, order=1, text="Weight by gold accuracy.", reveal_on_click=True)
        response = api_for(people.member).post(api_url("hint-reveal", challenge, hint.pk))
        assert response.status_code == 200
        assert (response.json()["visible"], response.json()["text"]) == (True, "Weight by gold accuracy.")
        assert HintReveal.objects.filter(hint=hint, user=people.member).exists()
        listed = api_for(people.member).get(api_url("hints", challenge)).json()
        assert listed[0]["visible"] and listed[0]["revealed_at"]

    def test_a_hint_that_waits_for_its_time_cannot_be_revealed(self, people, api_for, challenge):
        hint = Hint.objects.create(
            challenge=challenge, order=1, text="Later.", reveal_at=timezone.now() + datetime.timedelta(days=1)
        )
        response = api_for(people.member).post(api_url("hint-reveal", challenge, hint.pk))
        assert response.status_code == 400
        assert "cannot be revealed early" in response.json()["detail"][0]

    def test_staff_manage_hints(self, people, api_for, challenge):
        api = api_for(people.ta)
        created = api.post(api_url("hints", challenge), {"order": 2, "text": "Try EM."}, format="json")
        assert created.status_code == 201
        hint_id = created.json()["id"]
        assert api.patch(api_url("hint", challenge, hint_id), {"text": "Try Dawid-Skene."}).status_code == 200
        assert Hint.objects.get(pk=hint_id).text == "Try Dawid-Skene."
        assert api.delete(api_url("hint", challenge, hint_id)).status_code == 204
        assert not Hint.objects.exists()


class TestStaffActions:
    def test_all_submissions_with_filters(self, people, api_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.9, private_score=0.7)
        make_scored_submission(challenge, people.outsider, status=Status.FAILED)
        api = api_for(people.ta)
        body = api.get(api_url("submissions", challenge)).json()
        assert body["count"] == 2
        assert {r["private_score"] for r in body["results"]} == {0.7, None}
        failed = api.get(api_url("submissions", challenge) + "?status=failed").json()
        assert [r["submitter"] for r in failed["results"]] == ["Otto Outsider"]

    def test_rescore_disqualify_requalify(self, people, api_for, challenge):
        sub = make_scored_submission(challenge, people.member, public_score=0.9)
        api = api_for(people.instructor)
        assert api.post(api_url("submission-disqualify", challenge, sub.pk), {}).status_code == 400
        body = api.post(api_url("submission-disqualify", challenge, sub.pk), {"reason": "Copied"}).json()
        assert (body["disqualified"], body["disqualified_reason"]) == (True, "Copied")
        assert not api.post(api_url("submission-requalify", challenge, sub.pk)).json()["disqualified"]
        assert api.post(api_url("submission-rescore", challenge, sub.pk)).json()["status"] == "queued"
        assert api.post(api_url("submission-rescore", challenge, sub.pk)).status_code == 400

    def test_add_and_list_reference_solutions(self, people, api_for, challenge):
        api = api_for(people.ta)
        response = api.post(api_url("benchmarks", challenge), {"name": "EM", "file": py()}, format="multipart")
        assert response.status_code == 201
        assert (response.json()["is_benchmark"], response.json()["benchmark_name"]) == (True, "EM")
        assert [b["benchmark_name"] for b in api.get(api_url("benchmarks", challenge)).json()["results"]] == ["EM"]

    def test_rescore_all(self, people, api_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.9)
        make_scored_submission(challenge, people.outsider, status=Status.TIMED_OUT)
        assert api_for(people.ta).post(api_url("rescore", challenge)).json() == {"requeued": 2}

    def test_close_and_export(self, people, api_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.9, private_score=0.85)
        api = api_for(people.instructor)
        assert api.post(api_url("close", challenge)).json()["phase"] == "closed"
        assert api.post(api_url("close", challenge)).status_code == 400
        response = api.get(api_url("export", challenge))
        assert response["Content-Type"].startswith("text/csv")
        assert "Mia Member" in response.content.decode() and "0.85" in response.content.decode()


class TestSchema:
    def test_the_labeling_endpoints_are_documented(self, people, api_for):
        body = api_for(people.member).get(reverse("api-schema") + "?format=json").json()
        paths = body["paths"]
        submissions = "/api/courses/{course_slug}/challenges/{slug}/submissions/"
        assert "multipart/form-data" in paths[submissions]["post"]["requestBody"]["content"]
        assert "/api/courses/{course_slug}/challenges/{slug}/leaderboard/" in paths
        assert "LeaderboardRow" in body["components"]["schemas"]
