"""Peer-evaluation services: answering, editing, the window, reminders, release, results."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses.models import Notification
from grading import services
from grading.factors import FlagKind
from grading.models import EvaluationReminder, EvaluationResponse, Rating
from grading.results import evaluation_results, feedback_for
from tests.grading.conftest import every, scores_for

pytestmark = pytest.mark.django_db


def answer(evaluation, people, rater, score_of, **kw):
    team = people.team
    return services.answer_evaluation(evaluation, rater, team, scores_for(services.team_users(team), score_of), **kw)


class TestAnswering:
    def test_a_student_rates_self_and_teammates_on_five_dimensions(self, trio, open_evaluation):
        response = answer(open_evaluation, trio, trio.member, lambda u: 4, team_comment="Good work.")
        assert response.ratings.count() == 3 * 5
        assert response.team_comment == "Good work."

    def test_an_answer_can_change_while_open(self, trio, open_evaluation):
        answer(open_evaluation, trio, trio.member, lambda u: 4)
        answer(open_evaluation, trio, trio.member, lambda u: 2, confidential_comment="Tess did little.")
        response = EvaluationResponse.objects.get(evaluation=open_evaluation, rater=trio.member)
        assert set(response.ratings.values_list("score", flat=True)) == {2}
        assert Rating.objects.filter(response__evaluation=open_evaluation).count() == 15
        assert response.confidential_comment == "Tess did little."

    def test_a_closed_window_refuses_answers(self, trio, open_evaluation):
        services.close_evaluation(open_evaluation)
        with pytest.raises(ValidationError, match="closed"):
            answer(open_evaluation, trio, trio.member, lambda u: 4)

    def test_a_window_not_yet_open_refuses_answers(self, trio, open_evaluation):
        open_evaluation.opens_at = timezone.now() + datetime.timedelta(hours=1)
        open_evaluation.save()
        with pytest.raises(ValidationError, match="not open yet"):
            answer(open_evaluation, trio, trio.member, lambda u: 4)

    def test_every_member_and_dimension_needs_a_score_from_1_to_5(self, trio, open_evaluation):
        scores = scores_for(services.team_users(trio.team), lambda u: 4)
        del scores[trio.tara.pk]["quality"]
        with pytest.raises(ValidationError, match="score from 1 to 5"):
            services.answer_evaluation(open_evaluation, trio.member, trio.team, scores)
        scores[trio.tara.pk]["quality"] = 6
        with pytest.raises(ValidationError, match="from 1 to 5"):
            services.answer_evaluation(open_evaluation, trio.member, trio.team, scores)
        assert not EvaluationResponse.objects.exists()

    def test_nobody_outside_the_team_can_be_rated(self, trio, open_evaluation):
        scores = scores_for(services.team_users(trio.team), lambda u: 4)
        scores[trio.outsider.pk] = every(1)
        with pytest.raises(ValidationError, match="teammates and yourself"):
            services.answer_evaluation(open_evaluation, trio.member, trio.team, scores)

    def test_a_rater_outside_the_team_is_refused(self, trio, open_evaluation):
        with pytest.raises(ValidationError, match="own team"):
            services.answer_evaluation(open_evaluation, trio.outsider, trio.team, {})

    def test_the_window_must_be_sane(self, people):
        now = timezone.now()
        with pytest.raises(ValidationError):
            services.create_evaluation(people.course, title="X", opens_at=now, closes_at=now, by=None)
        with pytest.raises(ValidationError):
            services.create_evaluation(
                people.course, title=" ", opens_at=now, closes_at=now + datetime.timedelta(1), by=None
            )


class TestReminders:
    def test_each_student_who_has_not_answered_is_reminded_once(self, trio, open_evaluation):
        answer(open_evaluation, trio, trio.member, lambda u: 4)
        assert services.remind_evaluation(open_evaluation) == 2  # Tess and Tara; Otto has no team
        assert services.remind_evaluation(open_evaluation) == 0
        assert services.send_evaluation_reminders() == 0
        reminded = set(EvaluationReminder.objects.values_list("user__email", flat=True))
        assert reminded == {"tess@example.com", "tara@example.com"}
        assert Notification.objects.filter(verb="evaluation_reminder").count() == 2

    def test_the_beat_job_reminds_only_shortly_before_closing(self, trio, open_evaluation):
        open_evaluation.closes_at = timezone.now() + datetime.timedelta(days=5)
        open_evaluation.save()
        assert services.send_evaluation_reminders() == 0
        assert services.send_evaluation_reminders(timezone.now() + datetime.timedelta(days=4)) == 3

    def test_a_closed_evaluation_sends_nothing(self, trio, open_evaluation):
        services.close_evaluation(open_evaluation)
        assert services.remind_evaluation(open_evaluation) == 0


class TestResultsAndRelease:
    def rate(self, trio, evaluation):
        low = {trio.member.pk: 4, trio.teammate.pk: 2, trio.tara.pk: 4}
        answer(evaluation, trio, trio.member, lambda u: low[u.pk], team_comment="We shipped it.",
               confidential_comment="CONFIDENTIAL: Tess missed every meeting.")  # fmt: skip
        answer(evaluation, trio, trio.tara, lambda u: low[u.pk], team_comment="Thanks all.")
        answer(evaluation, trio, trio.teammate, lambda u: 5 if u == trio.teammate else 4)

    def test_the_staff_see_factors_and_flags(self, trio, open_evaluation):
        self.rate(trio, open_evaluation)
        policy = services.grading_policy(trio.course)
        (row,) = evaluation_results(open_evaluation, policy)
        tess = next(m for m in row.members if m.user == trio.teammate)
        assert tess.result.peer_mean == 2
        kinds = {f["kind"] for f in tess.flags}
        # Tess rated herself 5 and both teammates 4 on everything: over-confident and the same score for everyone.
        assert kinds == {FlagKind.OVERCONFIDENT, FlagKind.LOW_RATED, FlagKind.SAME_SCORE}
        assert all(f["rule"] for f in tess.flags)
        # (peer means: Mia 4, Tara 4, Tess 2 -> team 10/3; Tess 0.6)
        assert tess.factor_without_self == 0.6
        mia = next(m for m in row.members if m.user == trio.member)
        assert mia.factor_without_self == 1.0  # 1.2 capped at 1.05, shown as 1.0
        assert row.comments and {c.rater for c in row.comments} == {trio.member, trio.tara}

    def test_release_needs_a_closed_window_and_shows_only_anonymous_means(self, trio, open_evaluation):
        self.rate(trio, open_evaluation)
        with pytest.raises(ValidationError, match="Close"):
            services.release_evaluation(open_evaluation)
        services.close_evaluation(open_evaluation)
        services.release_evaluation(open_evaluation)
        with pytest.raises(ValidationError, match="already"):
            services.release_evaluation(open_evaluation)
        feedback = feedback_for(open_evaluation, trio.teammate)
        assert feedback.raters == 2 and feedback.peer_mean == 2
        assert dict(feedback.peer_means)["Contributing to the team's work"] == 2
        assert feedback.team_comments == ["Thanks all.", "We shipped it."]
        assert not any("CONFIDENTIAL" in c for c in feedback.team_comments)
        assert Notification.objects.filter(verb="evaluation_released", user=trio.teammate).exists()


class TestTask:
    def test_the_beat_task_calls_the_service_and_is_safe_to_run_twice(self, trio, open_evaluation):
        from grading.tasks import send_evaluation_reminders

        assert send_evaluation_reminders() == 3
        assert send_evaluation_reminders() == 0
