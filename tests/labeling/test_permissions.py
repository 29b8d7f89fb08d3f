"""Who may reach what: students never get the gold, other participants' code or logs, the
private leaderboard before closing, or staff actions; outsiders of the course get 404."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from labeling.models import Challenge, Status, Submission
from tests.labeling.factories import make_challenge, make_scored_submission, seed_files

pytestmark = pytest.mark.django_db

SECRET_LOG = "secret-log-line-of-mia"
SECRET_CODE = b"# mia's secret method\nprint('secret')\n"


@pytest.fixture
def challenge(people):
    return make_challenge(people.course)


@pytest.fixture
def mias(challenge, people):
    """Mia's scored submission, with code and a log nobody else may read."""
    return make_scored_submission(
        challenge, people.member, public_score=0.93, private_score=0.8123, code=SECRET_CODE, log_tail=SECRET_LOG
    )


def page(name, challenge, *args):
    return reverse(f"labeling:{name}", args=[challenge.course.slug, challenge.slug, *args])


def api(name, challenge, *args):
    return reverse(f"labeling-api:{name}", args=[challenge.course.slug, challenge.slug, *args])


def gold_fragments() -> list[bytes]:
    """Lines of the gold that are not in the raw data (its labels as written in the gold)."""
    gold = seed_files()[1].splitlines()
    return [b"\n".join(gold[:3])]


STAFF_PAGES_GET = ["edit", "hints_edit", "staff_submissions", "export"]
STAFF_PAGES_POST = ["rescore_all", "close", "benchmark_add"]
STAFF_SUB_POST = ["submission_rescore", "submission_disqualify", "submission_requalify"]
SUB_PAGES = ["submission", "submission_status", "submission_code"]


class TestOutsidersOfTheCourse:
    def test_a_student_of_another_course_gets_404_everywhere(self, people, client_for, api_for, challenge, mias):
        client = client_for(people.stranger)
        assert client.get(reverse("labeling:index", args=["dl-fall"])).status_code == 404
        for name in ["challenge", "leaderboard", *STAFF_PAGES_GET]:
            assert client.get(page(name, challenge)).status_code == 404, name
        for name in SUB_PAGES:
            assert client.get(page(name, challenge, mias.pk)).status_code == 404, name
        assert client.get(page("input", challenge, "raw_data.csv")).status_code == 404
        rest = api_for(people.stranger)
        for url in (
            reverse("labeling-api:challenges", args=["dl-fall"]),
            api("challenge", challenge),
            api("leaderboard", challenge),
            api("input", challenge, "raw_data.csv"),
            api("submission", challenge, mias.pk),
        ):
            assert rest.get(url).status_code == 404, url

    def test_anonymous_users_are_sent_to_log_in_or_refused(self, people, client_for, api_for, challenge):
        response = client_for(None).get(page("challenge", challenge))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert api_for(None).get(api("challenge", challenge)).status_code in (401, 403)
        assert api_for(None).post(api("submissions", challenge)).status_code in (401, 403)


class TestTheGold:
    def test_no_student_response_contains_the_gold(self, people, client_for, api_for, challenge, mias):
        client = client_for(people.outsider)
        responses = [
            client.get(page("challenge", challenge)),
            client.get(page("leaderboard", challenge)),
            client.get(page("input", challenge, "raw_data.csv")),
            api_for(people.outsider).get(api("challenge", challenge)),
            api_for(people.outsider).get(api("input", challenge, "raw_data.csv")),
        ]
        for response in responses:
            content = b"".join(response.streaming_content) if response.streaming else response.content
            for fragment in gold_fragments():
                assert fragment not in content
            assert challenge.gold_path.encode() not in content
            assert challenge.gold_sha256.encode() not in content

    def test_the_gold_path_is_not_an_input(self, people, client_for, api_for, challenge):
        for name in ("ground_truth.csv", "gold.csv", challenge.gold_path, "../" + challenge.gold_path):
            assert client_for(people.member).get(page("challenge", challenge) + "inputs/" + name).status_code == 404
            assert api_for(people.member).get(api("challenge", challenge) + "inputs/" + name).status_code == 404

    def test_staff_api_shows_the_checksum_but_never_the_path(self, people, api_for, challenge):
        body = api_for(people.instructor).get(api("challenge", challenge)).content
        assert challenge.gold_path.encode() not in body
        for fragment in gold_fragments():
            assert fragment not in body


class TestOtherParticipantsSubmissions:
    def test_another_student_cannot_reach_the_submission(self, people, client_for, api_for, challenge, mias):
        for user in (people.outsider, people.teammate):  # an individual challenge: teammates are others too
            client = client_for(user)
            for name in SUB_PAGES:
                response = client.get(page(name, challenge, mias.pk))
                assert response.status_code == 404, (user, name)
                assert SECRET_LOG.encode() not in response.content
            assert client.post(page("submission_cancel", challenge, mias.pk)).status_code == 404
            rest = api_for(user)
            for name in ("submission", "submission-code"):
                assert rest.get(api(name, challenge, mias.pk)).status_code == 404
            assert rest.post(api("submission-cancel", challenge, mias.pk)).status_code == 404
            listed = rest.get(api("submissions", challenge)).content
            assert SECRET_LOG.encode() not in listed and str(mias.pk).encode() not in listed.split(b'"results"')[1]

    def test_teammates_see_each_others_code_in_a_team_challenge(self, people, client_for, api_for):
        team_challenge = make_challenge(people.course, slug="teams", participation="team")
        sub = make_scored_submission(team_challenge, people.member, public_score=0.9, code=SECRET_CODE)
        assert client_for(people.teammate).get(page("submission", team_challenge, sub.pk)).status_code == 200
        code = api_for(people.teammate).get(api("submission-code", team_challenge, sub.pk))
        assert b"".join(code.streaming_content) == SECRET_CODE
        assert client_for(people.outsider).get(page("submission", team_challenge, sub.pk)).status_code == 404

    def test_the_leaderboard_never_leaks_code_or_logs(self, people, client_for, api_for, challenge, mias):
        for response in (
            client_for(people.outsider).get(page("leaderboard", challenge)),
            api_for(people.outsider).get(api("leaderboard", challenge)),
        ):
            assert b"secret" not in response.content
            assert page("submission", challenge, mias.pk).encode() not in response.content

    def test_benchmark_code_is_for_staff(self, people, client_for, challenge):
        bench = make_scored_submission(challenge, public_score=0.92, benchmark_name="Majority vote")
        assert client_for(people.member).get(page("submission", challenge, bench.pk)).status_code == 404
        assert client_for(people.ta).get(page("submission", challenge, bench.pk)).status_code == 200

    def test_a_submission_of_another_challenge_is_404(self, people, client_for, challenge, mias):
        other = make_challenge(people.course, slug="other")
        assert client_for(people.member).get(page("submission", other, mias.pk)).status_code == 404

    def test_staff_see_every_submissions_code_and_log(self, people, client_for, api_for, challenge, mias):
        for user in (people.ta, people.instructor):
            body = client_for(user).get(page("submission", challenge, mias.pk)).content.decode()
            assert SECRET_LOG in body and "secret method" in body
            assert api_for(user).get(api("submission", challenge, mias.pk)).json()["log_tail"] == SECRET_LOG


class TestThePrivateBoard:
    def test_students_get_no_private_score_before_closing(self, people, client_for, api_for, challenge, mias):
        client = client_for(people.member)
        assert client.get(page("leaderboard", challenge) + "?board=private").status_code == 403
        assert api_for(people.member).get(api("leaderboard", challenge) + "?board=private").status_code == 403
        for response in (
            client.get(page("leaderboard", challenge)),
            client.get(page("submission", challenge, mias.pk)),
            client.get(page("challenge", challenge)),
            api_for(people.member).get(api("submission", challenge, mias.pk)),
            api_for(people.member).get(api("submissions", challenge)),
            api_for(people.member).get(api("leaderboard", challenge)),
        ):
            assert b"0.8123" not in response.content and b"0.812" not in response.content

    def test_the_private_board_opens_at_closing_time(self, people, client_for, api_for, challenge, mias):
        Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
        assert client_for(people.outsider).get(page("leaderboard", challenge) + "?board=private").status_code == 200
        body = api_for(people.outsider).get(api("leaderboard", challenge) + "?board=private").json()
        assert body["rows"][0]["score"] == 0.8123


class TestStaffActions:
    @pytest.mark.parametrize("student", ["member", "outsider"])
    def test_students_cannot_use_staff_pages(self, people, client_for, challenge, mias, student):
        client = client_for(getattr(people, student))
        assert client.get(reverse("labeling:create", args=["dl-fall"])).status_code == 403
        assert client.post(reverse("labeling:create", args=["dl-fall"]), {}).status_code == 403
        for name in STAFF_PAGES_GET:
            assert client.get(page(name, challenge)).status_code == 403, name
        for name in STAFF_PAGES_POST:
            assert client.post(page(name, challenge)).status_code == 403, name
        for name in STAFF_SUB_POST:
            assert client.post(page(name, challenge, mias.pk), {"reason": "x"}).status_code == 403, name
        mias.refresh_from_db()
        challenge.refresh_from_db()
        assert (mias.status, mias.disqualified, challenge.closes_at) == (Status.SCORED, False, None)

    @pytest.mark.parametrize("student", ["member", "outsider"])
    def test_students_cannot_use_staff_endpoints(self, people, api_for, challenge, mias, student):
        rest = api_for(getattr(people, student))
        assert rest.post(reverse("labeling-api:challenges", args=["dl-fall"]), {}).status_code == 403
        assert rest.patch(api("challenge", challenge), {"title": "Pwned"}, format="json").status_code == 403
        assert rest.post(api("hints", challenge), {"text": "x"}, format="json").status_code == 403
        for name in ("rescore", "close"):
            assert rest.post(api(name, challenge)).status_code == 403, name
        assert rest.get(api("export", challenge)).status_code == 403
        assert rest.get(api("benchmarks", challenge)).status_code == 403
        assert rest.post(api("benchmarks", challenge), {"name": "x"}).status_code == 403
        for name in ("submission-rescore", "submission-disqualify", "submission-requalify"):
            assert rest.post(api(name, challenge, mias.pk), {"reason": "x"}).status_code == 403, name
        challenge.refresh_from_db()
        mias.refresh_from_db()
        assert (challenge.title, challenge.closes_at, mias.status, mias.disqualified) == (
            "Adjectives and attributes",
            None,
            Status.SCORED,
            False,
        )

    def test_students_list_only_their_own_even_with_staff_filters(self, people, api_for, challenge, mias):
        make_scored_submission(challenge, people.outsider, public_score=0.5)
        body = api_for(people.outsider).get(api("submissions", challenge) + "?who=mia&kind=students").json()
        assert [r["submitter"] for r in body["results"]] == ["Otto Outsider"]

    def test_staff_of_another_course_are_strangers_here(self, people, client_for, challenge):
        from courses.models import Membership, Role

        Membership.objects.filter(user=people.stranger).update(role=Role.INSTRUCTOR)
        assert client_for(people.stranger).get(page("staff_submissions", challenge)).status_code == 404
        assert client_for(people.stranger).post(page("close", challenge)).status_code == 404

    def test_a_ta_can_run_the_challenge(self, people, client_for, challenge, mias):
        client = client_for(people.ta)
        for name in STAFF_PAGES_GET:
            assert client.get(page(name, challenge)).status_code == 200, name
        assert client.post(page("submission_rescore", challenge, mias.pk)).status_code == 302
        assert Submission.objects.get(pk=mias.pk).status == Status.QUEUED
