"""Peer evaluation and grades in the browser: a student answers (and changes an answer), the
instructor reads the flags and their rules, closes and releases, the student reads the anonymous
feedback, and the instructor exports the grade sheet for Canvas and Moodle."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Role
from grading import services
from grading.models import Dimension
from teams.models import TeamMembership
from tests.conftest import enroll, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def evaluation(people):
    """Tess and Tara have answered: Tara rates Tess 2; Tess rates herself 5 and the others 4."""
    tara = enroll(make_user("tara@example.com", "Tara Third"), people.course, Role.STUDENT)
    TeamMembership.objects.create(team=people.team, user=tara, course=people.course)
    people.tara = tara
    now = timezone.now()
    evaluation = services.create_evaluation(
        people.course, title="Final", opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=1), by=people.instructor,
    )  # fmt: skip
    members = services.team_users(people.team)

    def scores(score_of):
        return {u.pk: dict.fromkeys(Dimension.values, score_of(u)) for u in members}

    services.answer_evaluation(evaluation, tara, people.team, scores(lambda u: 2 if u == people.teammate else 4),
                               team_comment="Great teamwork on the demo.",
                               confidential_comment="Tess skipped the last two meetings.")  # fmt: skip
    services.answer_evaluation(evaluation, people.teammate, people.team,
                               scores(lambda u: 5 if u == people.teammate else 4))  # fmt: skip
    return evaluation


def test_a_student_answers_and_the_instructor_sees_flags_and_exports_grades(people, evaluation, open_as, shots):
    course = people.course
    # Mia answers from the navigation: herself 4, Tara 4, Tess 3, then changes Tess to 2.
    mia = open_as(people.member, f"/courses/{course.slug}/")
    mia.get_by_role("navigation", name="Course").get_by_role("link", name="Peer evaluation").click()
    mia.locator("tr", has_text="Final").get_by_role("link", name="Answer").click()
    expect(mia.get_by_role("heading", name="Final: rate your team")).to_be_visible()
    expect(mia.get_by_text("Does their fair share of the work on time")).to_be_visible()

    def rate(page, user, value):
        for dim in Dimension.values:
            page.locator(f'input[name="score-{user.pk}-{dim}"][value="{value}"]').check()

    rate(mia, people.member, 4)
    rate(mia, people.tara, 4)
    rate(mia, people.teammate, 3)
    mia.locator("#id_team_comment").fill("Thanks everyone, the demo went well.")
    mia.locator("#id_confidential_comment").fill("Tess did not push her code until the last day.")
    shots(mia, "answer")
    mia.get_by_role("button", name="Save my answers").click()
    expect(mia.get_by_text("Your answers are saved")).to_be_visible()
    rate(mia, people.teammate, 2)
    mia.get_by_role("button", name="Save my answers").click()
    expect(mia.get_by_text("Your answers are saved")).to_be_visible()
    expect(mia.locator(f'input[name="score-{people.teammate.pk}-quality"][value="2"]')).to_be_checked()
    shots(mia, "answer-changed")

    # The instructor reads the results: Tess is flagged, each flag with the rule that fired.
    ines = open_as(people.instructor, f"/courses/{course.slug}/evaluations/")
    ines.locator("tr", has_text="Final").get_by_role("link", name="Results").click()
    flags = ines.locator("ul.flags")
    expect(flags.locator("li", has_text="Rated low by all peers")).to_contain_text(
        "Tess Teammate: every teammate's mean rating is below 3 (highest 2)"
    )
    expect(flags.locator("li", has_text="Over-confident")).to_contain_text("self-rating 5 is 3 above the peers' 2")
    expect(flags.locator("li", has_text="Same score for everyone")).to_contain_text("gave all 2 teammates 4")
    expect(ines.get_by_text("Tess did not push her code until the last day.")).to_be_visible()
    shots(ines, "results")
    ines.get_by_role("button", name="Close now").click()
    expect(ines.get_by_text("The evaluation is closed")).to_be_visible()
    ines.get_by_role("button", name="Release to students").click()
    expect(ines.get_by_text("Released:")).to_be_visible()
    shots(ines, "released")

    # Tess reads her anonymous feedback: the mean of her peers' ratings and the team comments only.
    tess = open_as(people.teammate, f"/courses/{course.slug}/evaluations/{evaluation.pk}/feedback/")
    expect(tess.locator("tr", has_text="Overall")).to_contain_text("2.00")
    expect(tess.get_by_text("Great teamwork on the demo.")).to_be_visible()
    expect(tess.get_by_text("Thanks everyone, the demo went well.")).to_be_visible()
    expect(tess.get_by_text("skipped the last two meetings")).to_have_count(0)
    expect(tess.get_by_text("Mia Member")).to_have_count(0)
    shots(tess, "feedback")

    # The instructor's grade sheet, exported for Canvas and for Moodle.
    ines.get_by_role("navigation", name="Course").get_by_role("link", name="Grades").click()
    expect(ines.get_by_role("heading", name="Grade sheet")).to_be_visible()
    expect(ines.locator("table.grade-sheet tr", has_text="Tess Teammate")).to_contain_text("0.60")  # her factor
    shots(ines, "grade-sheet")
    with ines.expect_download() as download:
        ines.get_by_role("link", name="Export for Canvas").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0].strip() == "Points Possible"
    assert {r[3] for r in rows[2:]} >= {"mia@example.com", "tess@example.com", "tara@example.com"}
    with ines.expect_download() as download:
        ines.get_by_role("link", name="Export for Moodle").click()
    moodle = Path(download.value.path()).read_text(encoding="utf-8")
    assert moodle.startswith("Email address,ID number,Proposal,Weekly updates,Challenge,Course project total")
