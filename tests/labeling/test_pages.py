"""Pages of the labeling challenge: what students and staff see and do, and every refusal."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from labeling.models import Challenge, Hint, Status, Submission
from tests.labeling.factories import STARTER_CODE, make_challenge, make_scored_submission, seed_files

pytestmark = pytest.mark.django_db


def url(name, challenge, *args):
    return reverse(f"labeling:{name}", args=[challenge.course.slug, challenge.slug, *args])


def py(code: bytes = STARTER_CODE, name: str = "solution.py"):
    return SimpleUploadedFile(name, code, content_type="text/x-python")


@pytest.fixture
def challenge(people):
    return make_challenge(people.course, instructions="# Task\n\nBeat **92.27%**.\n\n<script>alert(1)</script>")


@pytest.fixture
def closed(people):
    now = timezone.now()
    return make_challenge(
        people.course,
        slug="closed-one",
        opens_at=now - datetime.timedelta(days=3),
        closes_at=now - datetime.timedelta(hours=1),
    )


def table(response) -> str:
    """The page's main table (the header holds the viewer's own name)."""
    body = response.content.decode()
    return body[body.index("<table") :]


class TestChallengeList:
    def test_members_see_the_challenges_with_their_state(self, people, client_for, challenge, closed):
        body = client_for(people.member).get(reverse("labeling:index", args=[people.course.slug])).content.decode()
        assert "Adjectives and attributes" in body and "closed" in body and "open" in body
        assert "New challenge" not in body

    def test_a_student_sees_their_rank(self, people, client_for, challenge):
        make_scored_submission(challenge, people.outsider, public_score=0.95)
        make_scored_submission(challenge, people.member, public_score=0.93)
        body = client_for(people.member).get(reverse("labeling:index", args=[people.course.slug])).content.decode()
        assert "#2" in body and "0.9300" in body

    def test_staff_get_the_create_button(self, people, client_for):
        body = client_for(people.ta).get(reverse("labeling:index", args=[people.course.slug])).content.decode()
        assert "New challenge" in body and "No challenge yet" in body


class TestChallengePage:
    def test_instructions_are_sanitized_markdown(self, people, client_for, challenge):
        body = client_for(people.member).get(url("challenge", challenge)).content.decode()
        assert "<h1>Task</h1>" in body and "<strong>92.27%</strong>" in body
        assert "<script>alert(1)</script>" not in body

    def test_it_lists_the_inputs_the_runtime_and_the_output_contract(self, people, client_for, challenge):
        body = client_for(people.member).get(url("challenge", challenge)).content.decode()
        assert url("input", challenge, "raw_data.csv") in body
        assert "ground_truth" not in body
        assert "<code>summarized_data.csv</code>" in body and "attr_id,adj,label" in body
        assert "pandas" in body and "scikit-learn" in body

    def test_it_shows_the_daily_quota_in_the_course_time_zone(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.9)
        make_scored_submission(challenge, people.member, status=Status.FAILED)
        body = client_for(people.member).get(url("challenge", challenge)).content.decode()
        assert "<strong>4 of 5</strong> submissions left today" in body
        assert "resets at midnight, course time zone" in body
        assert "Europe/Berlin" in body

    def test_it_documents_submitting_with_curl(self, people, client_for, challenge):
        body = client_for(people.member).get(url("challenge", challenge)).content.decode()
        api = reverse("labeling-api:submissions", args=[people.course.slug, challenge.slug])
        assert 'curl -H "Authorization: Token $COURSEPROJ_TOKEN"' in body
        assert f"http://testserver{api}" in body

    def test_an_input_is_streamed_as_a_download(self, people, client_for, challenge):
        response = client_for(people.member).get(url("input", challenge, "raw_data.csv"))
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == seed_files()[0]

    def test_the_gold_and_other_files_are_not_downloadable(self, people, client_for, challenge):
        client = client_for(people.member)
        for name in ("ground_truth.csv", "..%2F..%2Fdb.sqlite3", challenge.gold_path.replace("/", "%2F")):
            assert client.get(url("challenge", challenge) + "inputs/" + name).status_code == 404

    def test_before_opening_students_see_only_the_schedule(self, people, client_for):
        soon = make_challenge(people.course, opens_at=timezone.now() + datetime.timedelta(days=1))
        student = client_for(people.member)
        body = student.get(url("challenge", soon)).content.decode()
        assert "This challenge opens on" in body and "Aggregate the crowd" not in body
        assert student.get(url("input", soon, "raw_data.csv")).status_code == 403
        staff_body = client_for(people.ta).get(url("challenge", soon)).content.decode()
        assert "Aggregate the crowd" in staff_body

    def test_a_team_challenge_asks_a_student_without_a_team_to_join_one(self, people, client_for):
        team_challenge = make_challenge(people.course, participation="team")
        body = client_for(people.outsider).get(url("challenge", team_challenge)).content.decode()
        assert "join or form a team first" in body
        body = client_for(people.member).get(url("challenge", team_challenge)).content.decode()
        assert "submissions left today" in body

    def test_my_submissions_are_listed_with_the_default_picks(self, people, client_for, challenge):
        best = make_scored_submission(challenge, people.member, public_score=0.95)
        make_scored_submission(challenge, people.outsider, public_score=0.99)
        body = client_for(people.member).get(url("challenge", challenge)).content.decode()
        assert url("submission", challenge, best.pk) in body
        assert "(default)" in body
        assert "Otto" not in body


class TestSubmit:
    def test_a_python_file_is_queued_and_the_page_follows_it(self, people, client_for, challenge):
        response = client_for(people.member).post(url("submit", challenge), {"file": py()})
        sub = Submission.objects.get(challenge=challenge)
        assert response.status_code == 302
        assert response["Location"] == url("submission", challenge, sub.pk)
        assert (sub.status, sub.submitter, sub.participant) == (Status.QUEUED, people.member, f"u:{people.member.pk}")
        assert sub.original_filename == "solution.py"

    def refused(self, client, challenge, upload, message):
        response = client.post(url("submit", challenge), {"file": upload})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not Submission.objects.filter(challenge=challenge).exclude(status=Status.SCORED).exists()
        return response

    def test_it_refuses_a_file_that_is_not_python(self, people, client_for, challenge):
        self.refused(client_for(people.member), challenge, py(name="solution.txt"), "ending in .py")

    def test_it_refuses_a_file_that_is_too_big(self, people, client_for):
        small = make_challenge(people.course, max_code_bytes=1024)
        self.refused(client_for(people.member), small, py(b"#" * 5000), "larger than 1 kB")

    def test_it_refuses_a_file_that_is_not_utf8(self, people, client_for, challenge):
        self.refused(client_for(people.member), challenge, py("print('é')".encode("latin-1")), "not UTF-8")

    def test_it_refuses_past_the_daily_limit(self, people, client_for):
        limited = make_challenge(people.course, daily_limit=2)
        for _ in range(2):
            make_scored_submission(limited, people.member, public_score=0.9)
        response = self.refused(client_for(people.member), limited, py(), "You have used all 2 submissions for today")
        assert "<strong>0 of 2</strong>" in response.content.decode()

    def test_failed_runs_do_not_count_against_the_limit(self, people, client_for):
        limited = make_challenge(people.course, daily_limit=1)
        make_scored_submission(limited, people.member, status=Status.FAILED)
        make_scored_submission(limited, people.member, status=Status.INVALID_OUTPUT)
        assert client_for(people.member).post(url("submit", limited), {"file": py()}).status_code == 302

    def test_it_refuses_a_closed_challenge(self, people, client_for, closed):
        self.refused(client_for(people.member), closed, py(), "closed")

    def test_it_refuses_too_many_waiting(self, people, client_for):
        busy = make_challenge(people.course, max_queued=1, daily_limit=10)
        make_scored_submission(busy, people.member, status=Status.QUEUED)
        response = client_for(people.member).post(url("submit", busy), {"file": py()})
        assert response.status_code == 400
        assert "still waiting to be scored" in response.content.decode()

    def test_it_refuses_an_empty_form(self, people, client_for, challenge):
        response = client_for(people.member).post(url("submit", challenge), {})
        assert response.status_code == 400
        assert "This field is required" in response.content.decode()


class TestSubmissionPage:
    def test_a_waiting_submission_polls_for_its_status(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, status=Status.QUEUED)
        client = client_for(people.member)
        body = client.get(url("submission", challenge, sub.pk)).content.decode()
        status_url = url("submission_status", challenge, sub.pk)
        assert f'hx-get="{status_url}" hx-trigger="every 2s"' in body
        assert "Waiting for a worker" in body
        Submission.objects.filter(pk=sub.pk).update(status=Status.RUNNING, started_at=timezone.now())
        part = client.get(status_url).content.decode()
        assert "Running since" in part and 'hx-trigger="every 2s"' in part
        assert "<html" not in part

    def test_polling_stops_at_a_terminal_status(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, public_score=0.9318, private_score=0.91)
        part = client_for(people.member).get(url("submission_status", challenge, sub.pk)).content.decode()
        assert "hx-trigger" not in part
        assert "0.9318" in part and "1.5 s" in part
        assert "0.9100" not in part and "revealed when the challenge closes" in part

    def test_after_closing_the_page_gives_the_final_private_rank(self, people, client_for, closed):
        make_scored_submission(closed, people.outsider, public_score=0.95, private_score=0.90)
        make_scored_submission(closed, people.member, public_score=0.93, private_score=0.94)
        body = client_for(people.member).get(url("challenge", closed)).content.decode()
        assert "Final result: You are <strong>#1</strong> on the private board with <strong>0.9400</strong>" in body
        assert "The challenge is closed: no more submissions." in body
        assert "curl" not in body

    def test_after_closing_the_private_score_shows(self, people, client_for, closed):
        sub = make_scored_submission(closed, people.member, public_score=0.9318, private_score=0.91)
        part = client_for(people.member).get(url("submission_status", closed, sub.pk)).content.decode()
        assert "0.9100" in part

    def test_a_failure_shows_its_message_and_log_tail(self, people, client_for, challenge):
        sub = make_scored_submission(
            challenge,
            people.member,
            status=Status.FAILED,
            message="Your code exited with status 1.",
            log_tail="Traceback (most recent call last):\nKeyError: 'Answer.adj_17'",
        )
        body = client_for(people.member).get(url("submission", challenge, sub.pk)).content.decode()
        assert "Your code exited with status 1." in body
        assert "KeyError: &#x27;Answer.adj_17&#x27;" in body

    def test_the_submitter_sees_the_code(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, code=b"print('<b>mine</b>')\n")
        client = client_for(people.member)
        body = client.get(url("submission", challenge, sub.pk)).content.decode()
        assert "print(&#x27;&lt;b&gt;mine&lt;/b&gt;&#x27;)" in body
        response = client.get(url("submission_code", challenge, sub.pk))
        assert b"".join(response.streaming_content) == b"print('<b>mine</b>')\n"

    def test_a_waiting_submission_can_be_cancelled(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, status=Status.QUEUED)
        client = client_for(people.member)
        assert "Cancel" in client.get(url("submission", challenge, sub.pk)).content.decode()
        client.post(url("submission_cancel", challenge, sub.pk))
        sub.refresh_from_db()
        assert sub.status == Status.CANCELLED

    def test_a_finished_submission_cannot_be_cancelled(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, public_score=0.9)
        response = client_for(people.member).post(url("submission_cancel", challenge, sub.pk), follow=True)
        assert "only a waiting one can be cancelled" in response.content.decode()
        sub.refresh_from_db()
        assert sub.status == Status.SCORED


class TestPicksPage:
    def test_a_student_picks_final_submissions(self, people, client_for, challenge):
        a = make_scored_submission(challenge, people.member, public_score=0.9)
        response = client_for(people.member).post(url("picks", challenge), {"submission": [a.pk]}, follow=True)
        assert f"Final picks saved: #{a.pk}" in response.content.decode()
        a.refresh_from_db()
        assert a.is_final_pick

    def test_too_many_picks_are_refused_with_the_reason(self, people, client_for, challenge):
        subs = [make_scored_submission(challenge, people.member, public_score=0.9) for _ in range(3)]
        response = client_for(people.member).post(
            url("picks", challenge), {"submission": [s.pk for s in subs]}, follow=True
        )
        assert "You can pick at most 2 submissions." in response.content.decode()
        assert not Submission.objects.filter(is_final_pick=True).exists()

    def test_staff_do_not_pick(self, people, client_for, challenge):
        assert client_for(people.ta).post(url("picks", challenge), {"submission": []}).status_code == 403


class TestLeaderboardPage:
    def test_own_row_is_highlighted_and_benchmarks_are_inline(self, people, client_for, challenge):
        make_scored_submission(challenge, public_score=0.9227, benchmark_name="Majority vote")
        make_scored_submission(challenge, people.member, public_score=0.93)
        make_scored_submission(challenge, people.outsider, public_score=0.95)
        body = table(client_for(people.member).get(url("leaderboard", challenge)))
        assert body.index("Otto Outsider") < body.index("Mia Member") < body.index("Majority vote")
        own_row = body[body.index('class="highlight own') : body.index("</tr>", body.index('class="highlight own'))]
        assert "Mia Member" in own_row and ">you<" in own_row
        assert 'class=" benchmark"' in body
        assert body.count('class="highlight own') == 1

    def test_an_empty_board_says_so(self, people, client_for, challenge):
        body = client_for(people.member).get(url("leaderboard", challenge)).content.decode()
        assert "No scores yet" in body

    def test_students_cannot_see_the_private_board_before_closing(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.93, private_score=0.8123)
        client = client_for(people.member)
        assert client.get(url("leaderboard", challenge) + "?board=private").status_code == 403
        body = client.get(url("leaderboard", challenge)).content.decode()
        assert "0.8123" not in body and "?board=private" not in body

    def test_after_closing_the_private_board_comes_first_with_the_public_kept(self, people, client_for, closed):
        make_scored_submission(closed, people.member, public_score=0.95, private_score=0.90)
        make_scored_submission(closed, people.outsider, public_score=0.93, private_score=0.94)
        client = client_for(people.member)
        body = table(client.get(url("leaderboard", closed)))
        assert "Private score" in body and "Public rank" in body
        assert body.index("Otto Outsider") < body.index("Mia Member")
        public = table(client.get(url("leaderboard", closed) + "?board=public"))
        assert public.index("Mia Member") < public.index("Otto Outsider")

    def test_staff_preview_the_private_board(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.93, private_score=0.8123)
        body = client_for(people.ta).get(url("leaderboard", challenge) + "?board=private").content.decode()
        assert "Staff preview" in body and "0.8123" in body

    def test_big_classes_are_paginated(self, people, client_for, challenge):
        from tests.conftest import enroll, make_user

        for i in range(55):
            user = enroll(make_user(f"p{i}@example.com", f"Pupil {i:02d}"), people.course)
            make_scored_submission(challenge, user, public_score=0.5 + i / 1000)
        make_scored_submission(challenge, people.member, public_score=0.1)
        client = client_for(people.member)
        body = client.get(url("leaderboard", challenge)).content.decode()
        assert "Page 1 of 2" in body and "Mia Member" in body and "on <a" in body
        assert "Mia Member" in client.get(url("leaderboard", challenge) + "?page=2").content.decode()


def gold_bytes(rows: list[str]) -> bytes:
    return ("attr_id,adj,label\n" + "\n".join(rows) + "\n").encode()


class TestStaffChallengeForm:
    def form_data(self, **overrides):
        raw, gold = seed_files()
        data = {
            "title": "Crowd labels",
            "slug": "crowd",
            "instructions": "Do it.",
            "output_filename": "summarized_data.csv",
            "key_columns": "attr_id,adj",
            "label_column": "label",
            "metric": "accuracy",
            "public_fraction": "0.5",
            "split_seed": "7",
            "opens_at": "",
            "closes_at": "2099-01-31T18:00",
            "daily_limit": "5",
            "max_queued": "3",
            "time_limit_s": "60",
            "memory_limit_mb": "1024",
            "max_code_bytes": "262144",
            "participation": "individual",
            "final_picks": "2",
            "inputs": [SimpleUploadedFile("raw_data.csv", raw)],
            "gold": SimpleUploadedFile("ground_truth.csv", gold),
        }
        data.update(overrides)
        return data

    def test_staff_create_a_challenge_with_its_files(self, people, client_for):
        response = client_for(people.ta).post(reverse("labeling:create", args=[people.course.slug]), self.form_data())
        challenge = Challenge.objects.get(course=people.course, slug="crowd")
        assert response.status_code == 302
        assert (challenge.split_seed, challenge.gold_rows) == (7, 440)
        assert list(challenge.inputs.values_list("name", flat=True)) == ["raw_data.csv"]
        # The closing time was read in the course's time zone (Europe/Berlin is UTC+1 in January).
        assert challenge.closes_at == datetime.datetime(2099, 1, 31, 17, 0, tzinfo=datetime.UTC)

    def test_a_bad_gold_is_refused_with_every_problem_and_nothing_is_made(self, people, client_for):
        bad = gold_bytes(["a,x,True", "a,x,False", "b,y,maybe"])
        data = self.form_data(gold=SimpleUploadedFile("gold.csv", bad))
        response = client_for(people.instructor).post(reverse("labeling:create", args=[people.course.slug]), data)
        body = response.content.decode()
        assert response.status_code == 400
        assert "Nothing was saved" in body
        assert "Line 3 repeats the key (a, x) of line 2." in body
        assert not Challenge.objects.filter(slug="crowd").exists()

    def test_a_taken_slug_is_refused(self, people, client_for, challenge):
        data = self.form_data(slug=challenge.slug)
        response = client_for(people.instructor).post(reverse("labeling:create", args=[people.course.slug]), data)
        assert response.status_code == 400
        assert "already has a challenge" in response.content.decode()

    def test_staff_edit_settings_without_new_files(self, people, client_for, challenge):
        form = self.form_data(title="Renamed", daily_limit="9", inputs=[], gold="")
        form.pop("slug")
        response = client_for(people.ta).post(url("edit", challenge), form)
        assert response.status_code == 302, response.content.decode()[:2000]
        challenge.refresh_from_db()
        assert (challenge.title, challenge.daily_limit) == ("Renamed", 9)

    def test_a_bad_upload_on_edit_changes_nothing(self, people, client_for, challenge):
        before = (challenge.title, challenge.gold_sha256, challenge.gold_rows)
        form = self.form_data(title="Renamed", gold=SimpleUploadedFile("g.csv", b"attr_id,adj\nx,y\n"), inputs=[])
        form.pop("slug")
        response = client_for(people.ta).post(url("edit", challenge), form)
        assert response.status_code == 400
        assert "label" in response.content.decode()
        challenge.refresh_from_db()
        assert (challenge.title, challenge.gold_sha256, challenge.gold_rows) == before

    def test_the_edit_form_shows_times_in_the_course_time_zone(self, people, client_for):
        ch = make_challenge(people.course, closes_at=datetime.datetime(2099, 6, 30, 16, 0, tzinfo=datetime.UTC))
        body = client_for(people.ta).get(url("edit", ch)).content.decode()
        assert 'value="2099-06-30T18:00"' in body

    def test_staff_edit_hints(self, people, client_for, challenge):
        data = {
            "hints-TOTAL_FORMS": "1",
            "hints-INITIAL_FORMS": "0",
            "hints-MIN_NUM_FORMS": "0",
            "hints-MAX_NUM_FORMS": "1000",
            "hints-0-order": "1",
            "hints-0-text": "Look at slots 11–16.",
            "hints-0-reveal_at": "",
            "hints-0-reveal_on_click": "on",
        }
        response = client_for(people.ta).post(url("hints_edit", challenge), data)
        assert response.status_code == 302
        hint = Hint.objects.get(challenge=challenge)
        assert (hint.text, hint.reveal_on_click, hint.reveal_at) == ("Look at slots 11–16.", True, None)


class TestStaffSubmissions:
    def test_staff_see_every_submission_and_filter_them(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.93)
        make_scored_submission(challenge, people.outsider, status=Status.FAILED, message="Exited with status 1.")
        make_scored_submission(challenge, public_score=0.92, benchmark_name="Majority vote")
        client = client_for(people.ta)
        body = client.get(url("staff_submissions", challenge)).content.decode()
        assert "Mia Member" in body and "Otto Outsider" in body and "Majority vote" in body
        body = client.get(url("staff_submissions", challenge) + "?status=failed").content.decode()
        assert "Otto Outsider" in body and "Mia Member" not in body
        body = client.get(url("staff_submissions", challenge) + "?who=mia").content.decode()
        assert "Mia Member" in body and "Otto Outsider" not in body
        body = client.get(url("staff_submissions", challenge) + "?kind=benchmarks").content.decode()
        assert "Majority vote" in body and "Mia Member" not in body

    def test_staff_see_what_confines_the_code(self, people, client_for, challenge):
        body = client_for(people.ta).get(url("staff_submissions", challenge)).content.decode()
        facts = body.split('id="sandbox-facts"')[1].split("</p>")[0]
        assert "system-call filter on (32 calls refused" in facts
        assert "memory: rlimits and the worker&#x27;s count of the whole run (no cgroup)" in facts
        assert "cgroup v2:" in facts

    def test_staff_see_code_logs_and_history(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, code=b"print(42)\n", log_tail="done")
        body = client_for(people.ta).get(url("submission", challenge, sub.pk)).content.decode()
        assert "print(42)" in body and "done" in body and "History" in body

    def test_rescore_one(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, public_score=0.93)
        client_for(people.ta).post(url("submission_rescore", challenge, sub.pk))
        sub.refresh_from_db()
        assert (sub.status, sub.public_score) == (Status.QUEUED, None)

    def test_rescore_all(self, people, client_for, challenge):
        for user in (people.member, people.outsider):
            make_scored_submission(challenge, user, public_score=0.93)
        make_scored_submission(challenge, people.member, status=Status.CANCELLED)
        response = client_for(people.instructor).post(url("rescore_all", challenge), follow=True)
        assert "2 submissions queued to be scored again" in response.content.decode()
        assert Submission.objects.filter(status=Status.QUEUED).count() == 2

    def test_disqualify_needs_a_reason_and_requalify_undoes_it(self, people, client_for, challenge):
        sub = make_scored_submission(challenge, people.member, public_score=0.93)
        client = client_for(people.ta)
        response = client.post(url("submission_disqualify", challenge, sub.pk), {"reason": ""}, follow=True)
        assert "Give a reason" in response.content.decode()
        client.post(url("submission_disqualify", challenge, sub.pk), {"reason": "Hard-coded the gold"})
        sub.refresh_from_db()
        assert sub.disqualified and sub.disqualified_reason == "Hard-coded the gold"
        body = client_for(people.member).get(url("submission", challenge, sub.pk)).content.decode()
        assert "Hard-coded the gold" in body
        assert "No scores yet" in client_for(people.member).get(url("leaderboard", challenge)).content.decode()
        client_for(people.ta).post(url("submission_requalify", challenge, sub.pk))
        sub.refresh_from_db()
        assert not sub.disqualified

    def test_staff_add_a_reference_solution(self, people, client_for, challenge):
        client = client_for(people.instructor)
        data = {"name": "Majority vote", "file": py()}
        response = client.post(url("benchmark_add", challenge), data, follow=True)
        assert "Reference solution “Majority vote” is queued to be scored." in response.content.decode()
        bench = Submission.objects.get(challenge=challenge, is_benchmark=True)
        assert (bench.participant, bench.status) == ("b:Majority vote", Status.QUEUED)

    def test_a_bad_reference_solution_is_refused(self, people, client_for, challenge):
        data = {"name": "Broken", "file": py(name="notes.txt")}
        response = client_for(people.instructor).post(url("benchmark_add", challenge), data)
        assert response.status_code == 400 and "ending in .py" in response.content.decode()
        assert not Submission.objects.exists()

    def test_close_now_reveals_the_private_board(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.93, private_score=0.8123)
        response = client_for(people.instructor).post(url("close", challenge), follow=True)
        assert "private leaderboard is revealed" in response.content.decode()
        body = client_for(people.member).get(url("leaderboard", challenge)).content.decode()
        assert "0.8123" in body

    def test_export_the_standings(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.93)
        response = client_for(people.ta).get(url("export", challenge))
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        lines = response.content.decode().splitlines()
        assert lines[0].startswith("rank,participant,name") and "Mia Member" in lines[1]


class TestHomeCard:
    def test_the_course_home_shows_the_challenge_card(self, people, client_for, challenge):
        make_scored_submission(challenge, people.member, public_score=0.93)
        home = reverse("courses:home", args=[people.course.slug])
        body = client_for(people.member).get(home).content.decode()
        assert "Labeling challenge" in body and "#1" in body and "submissions left today" in body
        body = client_for(people.ta).get(home).content.decode()
        assert "1 scored" in body
