"""The pages and the API of peer evaluation and grades, per role."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grading import services
from grading.models import Dimension, EvaluationResponse
from teams import services as teams
from teams.models import TeamMembership
from tests.conftest import enroll, make_user
from tests.grading.conftest import scores_for

pytestmark = pytest.mark.django_db


def form_scores(users, score_of):
    return {f"score-{u.pk}-{d}": str(score_of(u)) for u in users for d in Dimension.values}


@pytest.fixture
def answered(trio, open_evaluation):
    """Mia and Tara rated Tess low; Tess rated herself 5 and the others 4 (three flags on her)."""
    low = {trio.member.pk: 4, trio.teammate.pk: 2, trio.tara.pk: 4}
    users = services.team_users(trio.team)
    for rater in (trio.member, trio.tara):
        services.answer_evaluation(open_evaluation, rater, trio.team, scores_for(users, lambda u: low[u.pk]),
                                   team_comment=f"Team note from {rater.first_name}.",
                                   confidential_comment=f"PRIVATE note from {rater.first_name}.")  # fmt: skip
    services.answer_evaluation(open_evaluation, trio.teammate, trio.team,
                               scores_for(users, lambda u: 5 if u == trio.teammate else 4))  # fmt: skip
    return trio, open_evaluation


class TestAnswerPage:
    def test_a_student_answers_and_can_change_the_answer(self, trio, open_evaluation, client_for):
        client = client_for(trio.member)
        url = f"/courses/{trio.course.slug}/evaluations/{open_evaluation.pk}/"
        page = client.get(url)
        assert page.status_code == 200
        assert "Tess Teammate" in page.content.decode() and "Does their fair share" in page.content.decode()
        users = services.team_users(trio.team)
        response = client.post(url, {**form_scores(users, lambda u: 4), "team_comment": "Nice."})
        assert response.status_code == 302
        client.post(url, form_scores(users, lambda u: 3))
        saved = EvaluationResponse.objects.get(rater=trio.member)
        assert set(saved.ratings.values_list("score", flat=True)) == {3}
        assert 'value="3" checked' in client.get(url).content.decode()

    def test_a_missing_score_is_refused_with_a_message(self, trio, open_evaluation, client_for):
        users = services.team_users(trio.team)
        data = form_scores(users, lambda u: 4)
        del data[f"score-{trio.tara.pk}-quality"]
        response = client_for(trio.member).post(f"/courses/{trio.course.slug}/evaluations/{open_evaluation.pk}/", data)
        assert response.status_code == 400
        assert "score from 1 to 5" in response.content.decode()
        assert not EvaluationResponse.objects.exists()

    def test_a_closed_evaluation_shows_no_save_button(self, trio, open_evaluation, client_for):
        services.close_evaluation(open_evaluation)
        page = client_for(trio.member).get(f"/courses/{trio.course.slug}/evaluations/{open_evaluation.pk}/")
        assert "Save my answers" not in page.content.decode()
        assert "answers can be given only while it is open" in page.content.decode()


class TestResultsPage:
    def test_the_staff_see_flags_with_their_rules_and_every_comment(self, answered, client_for):
        trio, evaluation = answered
        page = client_for(trio.ta).get(f"/courses/{trio.course.slug}/evaluations/{evaluation.pk}/results/")
        text = page.content.decode()
        assert "Over-confident" in text and "Rated low by all peers" in text and "Same score for everyone" in text
        assert "every teammate&#x27;s mean rating is below 3" in text
        assert "PRIVATE note from Mia." in text
        raw = client_for(trio.ta).get(f"/courses/{trio.course.slug}/evaluations/{evaluation.pk}/results/?raw=1")
        assert "1.200" in raw.content.decode()  # Mia's uncapped factor without self

    def test_a_student_reads_no_result_and_no_confidential_comment(self, answered, client_for):
        trio, evaluation = answered
        client = client_for(trio.teammate)
        base = f"/courses/{trio.course.slug}/evaluations/{evaluation.pk}"
        assert client.get(f"{base}/results/").status_code == 403
        services.close_evaluation(evaluation)
        services.release_evaluation(evaluation)
        feedback = client.get(f"{base}/feedback/").content.decode()
        assert "Team note from Mia." in feedback and "Team note from Tara." in feedback
        assert "PRIVATE" not in feedback
        assert "Mia Member" not in feedback  # anonymous: no rater's name


class TestGradePages:
    def test_the_sheet_exports_and_release(self, answered, client_for):
        trio, evaluation = answered
        staff = client_for(trio.instructor)
        slug = trio.course.slug
        sheet = staff.get(f"/courses/{slug}/grades/")
        assert sheet.status_code == 200 and "Tess" in sheet.content.decode()
        canvas = staff.get(f"/courses/{slug}/grades/export/canvas.csv")
        assert canvas["Content-Type"].startswith("text/csv")
        assert canvas.content.decode().startswith("Student,ID,SIS User ID,SIS Login ID,Section,Proposal,")
        moodle = staff.get(f"/courses/{slug}/grades/export/moodle.csv")
        assert moodle.content.decode().startswith("Email address,ID number,Proposal,")
        student = client_for(trio.member)
        assert student.get(f"/courses/{slug}/grades/").status_code == 403
        assert "not released grades yet" in student.get(f"/courses/{slug}/grades/mine/").content.decode()
        client_for(trio.instructor).post(f"/courses/{slug}/grades/release/")  # one test client: log in again
        mine = client_for(trio.member).get(f"/courses/{slug}/grades/mine/").content.decode()
        assert "Total" in mine and "Tess" not in mine

    def test_staff_items_and_settings(self, trio, client_for):
        staff = client_for(trio.instructor)
        slug = trio.course.slug
        response = staff.post(f"/courses/{slug}/grades/items/", {"name": "Poster", "weight": 10, "max_points": 20})
        item = trio.course.grade_items.get()
        assert response.url.endswith(f"/grades/items/{item.pk}/")
        bad = staff.post(f"/courses/{slug}/grades/items/{item.pk}/", {f"points-{trio.member.pk}": "25"})
        assert bad.status_code == 400 and "between 0 and 20" in bad.content.decode()
        staff.post(f"/courses/{slug}/grades/items/{item.pk}/", {f"points-{trio.member.pk}": "15"})
        assert item.entries.get().points == 15
        settings_page = staff.post(f"/courses/{slug}/grades/settings/", {
            "weight_proposal": 10, "weight_updates": 10, "weight_challenge": 30, "late_update_credit": 0.25,
            "challenge_basis": "rank", "challenge_floor": 50, "apply_peer_factor": "on", "factor_cap": 1.1,
            "factor_round_above": "",
        })  # fmt: skip
        assert settings_page.status_code == 302
        policy = services.grading_policy(trio.course)
        assert policy.factor_cap == 1.1 and policy.factor_round_above is None and policy.weight_challenge == 30


class TestApi:
    def test_a_student_answers_through_the_api(self, trio, open_evaluation, api_for):
        api = api_for(trio.member)
        url = f"/api/courses/{trio.course.slug}/evaluations/{open_evaluation.pk}/answer/"
        before = api.get(url).json()
        assert before["answered"] is False and {m["id"] for m in before["members"]} == {
            trio.member.pk, trio.teammate.pk, trio.tara.pk,
        }  # fmt: skip
        ratings = [{"ratee": m["id"], "dimension": d, "score": 4} for m in before["members"] for d in Dimension.values]
        response = api.put(url, {"ratings": ratings, "confidential_comment": "ok"}, format="json")
        assert response.status_code == 200 and len(response.json()["ratings"]) == 15
        bad = api.put(url, {"ratings": ratings[:-1]}, format="json")
        assert bad.status_code == 400

    def test_results_feedback_and_grades(self, answered, api_for):
        trio, evaluation = answered
        base = f"/api/courses/{trio.course.slug}"
        staff = api_for(trio.ta)
        (team,) = staff.get(f"{base}/evaluations/{evaluation.pk}/results/").json()
        tess = next(m for m in team["members"] if m["user"] == trio.teammate.pk)
        assert tess["factor_without_self"] == 0.6 and tess["raw_factor_without_self"] == pytest.approx(0.6)
        kinds = {f["kind"] for f in team["flags"] if f["member"] == trio.teammate.pk}
        assert kinds == {"overconfident", "low_rated", "same_score"}
        student = api_for(trio.teammate)
        assert student.get(f"{base}/evaluations/{evaluation.pk}/results/").status_code == 403
        assert staff.post(f"{base}/evaluations/{evaluation.pk}/release/").status_code == 400  # still open
        staff.post(f"{base}/evaluations/{evaluation.pk}/close/")
        assert staff.post(f"{base}/evaluations/{evaluation.pk}/release/").json()["released"] is True
        feedback = student.get(f"{base}/evaluations/{evaluation.pk}/feedback/").json()
        assert feedback["peer_means"]["contributing"] == 2 and feedback["raters"] == 2
        assert "PRIVATE" not in str(feedback)
        assert student.get(f"{base}/grades/mine/").json() == {"released": False, "row": None}
        assert student.get(f"{base}/grades/").status_code == 403
        export = staff.get(f"{base}/grades/export/?lms=moodle")
        assert export.content.decode().startswith("Email address,ID number,")
        assert staff.get(f"{base}/grades/export/?lms=xls").status_code == 400
        rows = staff.get(f"{base}/grades/").json()
        assert {r["email"] for r in rows} >= {"mia@example.com", "tess@example.com"}


class TestHomeCard:
    def test_the_course_home_shows_the_open_evaluation(self, trio, open_evaluation, client_for):
        home = f"/courses/{trio.course.slug}/"
        assert "Rate your team" in client_for(trio.member).get(home).content.decode()
        staff = client_for(trio.instructor).get(home).content.decode()
        assert "<strong>3</strong> students yet to answer" in staff  # Otto has no team


class TestQueryCounts:
    def count(self, client, url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def test_the_sheet_and_the_results_do_not_grow_with_the_course(self, answered, client_for):
        trio, evaluation = answered
        services.close_evaluation(evaluation)  # the sheet then applies its factors
        services.grading_policy(trio.course)  # made on first use: not part of what is counted
        client = client_for(trio.instructor)
        slug = trio.course.slug
        urls = [f"/courses/{slug}/grades/", f"/courses/{slug}/evaluations/{evaluation.pk}/results/",
                f"/courses/{slug}/grades/export/canvas.csv"]  # fmt: skip
        before = [self.count(client, u) for u in urls]
        for i in range(4):
            a = enroll(make_user(f"a{i}@example.com", f"A{i} Student"), trio.course)
            b = enroll(make_user(f"b{i}@example.com", f"B{i} Student"), trio.course)
            team = teams.create_team(trio.course, a, name=f"Team {i}", idea="An idea.")
            TeamMembership.objects.create(team=team, user=b, course=trio.course)
            during = evaluation.opens_at + datetime.timedelta(minutes=1)
            services.answer_evaluation(
                evaluation, a, team, scores_for(services.team_users(team), lambda u: 3), now=during
            )
        after = [self.count(client, u) for u in urls]
        assert after == before
