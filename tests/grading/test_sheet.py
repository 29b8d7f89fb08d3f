"""The grade sheet (hand-worked numbers) and its Canvas / Moodle CSVs, parsed back."""

import datetime

import pytest
from django.utils import timezone

from grading import services
from grading.lms import (
    CANVAS_HEADER,
    MOODLE_ID_COLUMNS,
    TOTAL,
    canvas_csv,
    moodle_csv,
    parse_canvas_csv,
    parse_moodle_csv,
)
from grading.sheet import CHALLENGE, PROPOSAL, UPDATES, benchmark_scale, build_sheet, scaled_percent
from proposals.models import Proposal, ProposalStatus, WeeklyUpdate
from proposals.weeks import course_weeks
from tests.grading.conftest import scores_for
from tests.labeling.factories import make_challenge, make_scored_submission

pytestmark = pytest.mark.django_db


class TestChallengeScale:
    def test_benchmarks_anchor_the_scale(self):
        anchors = benchmark_scale([("Dawid-Skene", 0.93), ("All false", 0.89), ("Majority", 0.92)], floor=60)
        assert anchors == [("All false", 0.89, 60.0), ("Majority", 0.92, 80.0), ("Dawid-Skene", 0.93, 100.0)]
        assert scaled_percent(0.905, anchors) == pytest.approx(70.0)
        assert scaled_percent(0.925, anchors) == pytest.approx(90.0)
        assert scaled_percent(0.95, anchors) == 100.0
        assert scaled_percent(0.445, anchors) == pytest.approx(30.0)  # between 0 and the lowest benchmark
        assert scaled_percent(0.8, []) == pytest.approx(80.0)  # no benchmark: the metric as a percent


@pytest.fixture
def graded(trio):
    """The trio's course with a proposal, two due weeks, a challenge with benchmarks, an item and an evaluation."""
    course = trio.course
    today = timezone.localdate()
    course.start_date = today - datetime.timedelta(days=20)
    course.end_date = today + datetime.timedelta(days=30)
    course.save()
    now = timezone.now()
    due = [w.number for w in course_weeks(course) if w.is_due(now)]
    assert len(due) >= 2
    Proposal.objects.create(course=course, team=trio.team, team_name=trio.team.name, status=ProposalStatus.APPROVED,
                            decided_at=now - datetime.timedelta(days=9))  # fmt: skip
    WeeklyUpdate.objects.create(course=course, team=trio.team, week=due[0], did="x", next_steps="y", late=False)
    WeeklyUpdate.objects.create(course=course, team=trio.team, week=due[1], did="x", next_steps="y", late=True)
    challenge = make_challenge(course)
    make_scored_submission(challenge, None, benchmark_name="All false", public_score=0.89, private_score=0.89)
    make_scored_submission(challenge, None, benchmark_name="Dawid-Skene", public_score=0.93, private_score=0.93)
    make_scored_submission(challenge, trio.member, public_score=0.9, private_score=0.91)
    make_scored_submission(challenge, trio.teammate, public_score=0.9, private_score=0.89)
    policy = services.grading_policy(course)
    services.save_grading_policy(policy, weight_proposal=20, weight_updates=20, weight_challenge=20)
    item = services.create_grade_item(course, name="Final demo", weight=40, max_points=50, team_component=True)
    services.record_grades(item, {trio.member.pk: 40, trio.teammate.pk: 40, trio.tara.pk: 25})
    evaluation = services.create_evaluation(course, title="Final", opens_at=now - datetime.timedelta(days=2),
                                            closes_at=now + datetime.timedelta(days=1), by=trio.instructor)  # fmt: skip
    peers = {trio.member.pk: 4, trio.teammate.pk: 2, trio.tara.pk: 4}
    for rater in (trio.member, trio.teammate, trio.tara):
        services.answer_evaluation(evaluation, rater, trio.team,
                                   scores_for(services.team_users(trio.team), lambda u: peers[u.pk]))  # fmt: skip
    services.close_evaluation(evaluation)
    trio.teammate.last_name = 'O"Brien, Jr'  # a name with a quote and a comma, for the CSVs
    trio.teammate.save()
    m = trio.course.memberships.get(user=trio.member)
    m.sis_id, m.section = "S-42", "Section A"
    m.save()
    return trio, len(due), item


class TestGradeSheet:
    def test_hand_worked_rows(self, graded):
        trio, weeks, item = graded
        sheet = build_sheet(trio.course)
        mia, tess = sheet.row_for(trio.member), sheet.row_for(trio.teammate)
        # Peer means without self: Mia 4, Tess 2, Tara 4 -> team 10/3 -> Mia 1.2 (capped 1.05), Tess 0.6.
        assert mia.factor == pytest.approx(1.05)
        assert tess.factor == pytest.approx(0.6)
        updates = 100 * (1 + 0.5) / weeks
        assert mia.cells[PROPOSAL].percent == 100 and mia.cells[PROPOSAL].adjusted == 100  # 105 -> at most 100
        assert tess.cells[PROPOSAL].adjusted == pytest.approx(60)
        assert mia.cells[UPDATES].percent == pytest.approx(updates)
        assert mia.cells[UPDATES].detail == f"1 on time, 1 late, {weeks - 2} missing"
        # Challenge (not a team component): 0.91 between All false 0.89 (60 %) and Dawid-Skene 0.93 (100 %).
        assert mia.cells[CHALLENGE].adjusted == pytest.approx(80)
        assert tess.cells[CHALLENGE].adjusted == pytest.approx(60)
        key = f"item-{item.pk}"
        assert mia.cells[key].adjusted == pytest.approx(84)  # 40/50 = 80 % x 1.05
        assert tess.cells[key].adjusted == pytest.approx(48)  # 80 % x 0.6
        expected_mia = (20 * 100 + 20 * min(100, updates * 1.05) + 20 * 80 + 40 * 84) / 100
        assert mia.total == pytest.approx(expected_mia)
        expected_tess = (20 * 60 + 20 * updates * 0.6 + 20 * 60 + 40 * 48) / 100
        assert tess.total == pytest.approx(expected_tess)
        # Otto has no team: nothing for team components, no factor.
        otto = sheet.row_for(trio.outsider)
        assert otto.factor is None and otto.cells[PROPOSAL].adjusted == 0 and otto.total == 0

    def test_rank_basis(self, graded):
        trio, _, _ = graded
        policy = services.grading_policy(trio.course)
        services.save_grading_policy(policy, challenge_basis="rank")
        sheet = build_sheet(trio.course)
        assert sheet.row_for(trio.member).cells[CHALLENGE].adjusted == 100
        assert sheet.row_for(trio.teammate).cells[CHALLENGE].adjusted == 0
        assert sheet.row_for(trio.member).cells[CHALLENGE].detail == "rank 1 of 2"

    def test_without_the_peer_factor(self, graded):
        trio, _, _ = graded
        services.save_grading_policy(services.grading_policy(trio.course), apply_peer_factor=False)
        tess = build_sheet(trio.course).row_for(trio.teammate)
        assert tess.factor is None and tess.cells[PROPOSAL].adjusted == 100


class TestLmsRoundTrip:
    def test_canvas_layout_and_every_value_survives(self, graded):
        trio, _, _ = graded
        sheet = build_sheet(trio.course)
        text = canvas_csv(sheet)
        lines = text.splitlines()
        assert lines[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,")
        assert lines[1].startswith("    Points Possible,,,,,100.00")
        parsed = parse_canvas_csv(text)
        names = [c.name for c in sheet.components] + [TOTAL]
        assert parsed.points_possible == dict.fromkeys(names, 100.0)
        assert len(parsed.grades) == len(sheet.rows)
        for row, ident, grades in zip(sheet.rows, parsed.identities, parsed.grades, strict=True):
            assert ident["SIS Login ID"] == row.user.email
            assert ident["SIS User ID"] == row.membership.sis_id
            assert ident["Section"] == row.membership.section
            assert ident["Student"] == f"{row.user.last_name}, {row.user.first_name}"
            for c in sheet.components:
                cell = row.cells[c.key]
                assert grades[c.name] == (None if cell.adjusted is None else round(cell.adjusted, 2))
            assert grades[TOTAL] == round(row.total, 2)
        assert list(parsed.identities[0]) == CANVAS_HEADER

    def test_moodle_layout_and_every_value_survives(self, graded):
        trio, _, _ = graded
        sheet = build_sheet(trio.course)
        parsed = parse_moodle_csv(moodle_csv(sheet))
        for row, ident, grades in zip(sheet.rows, parsed.identities, parsed.grades, strict=True):
            assert ident == {"Email address": row.user.email, "ID number": row.membership.sis_id}
            for c in sheet.components:
                cell = row.cells[c.key]
                assert grades[c.name] == (None if cell.adjusted is None else round(cell.adjusted, 2))
            assert grades[TOTAL] == round(row.total, 2)
        assert moodle_csv(sheet).splitlines()[0].split(",")[:2] == MOODLE_ID_COLUMNS
