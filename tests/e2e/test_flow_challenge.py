"""The labeling challenge in the browser, scored for real: a student uploads the course's starter
script, watches it go from queued to scored without reloading (a Celery worker runs it in the
bubblewrap sandbox), finds their row on the leaderboard, and sees the message of an invalid
submission; then an instructor closes the challenge and the private leaderboard appears."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labeling.models import Status, Submission
from tests.labeling.factories import STARTER_CODE, make_challenge, make_scored_submission

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SCORING_TIMEOUT_MS = 120_000
WRONG_COLUMNS = b"""import pandas as pd
pd.DataFrame({"attr": ["a"], "adjective": ["b"], "answer": [True]}).to_csv("summarized_data.csv", index=False)
"""


def upload(page, name: str, content: bytes):
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": name, "mimeType": "text/x-python", "buffer": content}
    )
    page.locator("#submit").get_by_role("button", name="Submit").click()


def test_a_submission_is_scored_live_and_ranked(people, open_as, shots, scoring_worker):
    course = people.course
    challenge = make_challenge(course)
    make_scored_submission(challenge, benchmark_name="Majority vote", public_score=0.92)
    base = f"/courses/{course.slug}/challenges/{challenge.slug}"

    mia = open_as(people.member, f"/courses/{course.slug}/")
    mia.get_by_role("navigation", name="Course").get_by_role("link", name="Challenge").click()
    mia.get_by_role("link", name=challenge.title).first.click()
    expect(mia.locator("p.quota")).to_contain_text("5 of 5")
    shots(mia, "challenge")

    # A file that is not Python is refused on the page, with the reason, and nothing is queued.
    upload(mia, "notes.txt", b"just notes")
    expect(mia.locator("#submit .errors")).to_be_visible()
    shots(mia, "refused-upload")
    assert not Submission.objects.filter(submitter=people.member).exists()

    # The starter script: queued, then scored, while the page stays put (htmx polls the status).
    upload(mia, "starter.py", STARTER_CODE)
    status = mia.locator("#submission-status")
    expect(mia.get_by_text("its status below updates by itself")).to_be_visible()
    mia.evaluate("window.__sameDocument = true")
    shots(mia, "queued")
    expect(status).to_have_attribute("data-status", "scored", timeout=SCORING_TIMEOUT_MS)
    assert mia.evaluate("window.__sameDocument === true"), "the page reloaded instead of updating in place"
    expect(status.locator("dd").first).to_contain_text("0.9")
    shots(mia, "scored")
    submission = Submission.objects.get(submitter=people.member)
    assert submission.status == Status.SCORED
    assert abs(submission.score - 0.9227) < 0.0001  # 406/440 on all gold, as the course's own baseline

    # Her row on the leaderboard, highlighted, beside the benchmark row.
    mia.goto(f"{base}/leaderboard/")
    own = mia.locator("tr.own")
    expect(own).to_contain_text("Mia Member")
    expect(own.locator("td.num").first).to_have_text("1")
    expect(mia.locator("tr.benchmark")).to_contain_text("Majority vote")
    shots(mia, "leaderboard")

    # Output with the wrong columns ends as invalid_output, with a message the student can act on.
    mia.goto(f"{base}/")
    upload(mia, "wrong.py", WRONG_COLUMNS)
    expect(status).to_have_attribute("data-status", "invalid_output", timeout=SCORING_TIMEOUT_MS)
    expect(status.locator(".errors")).to_contain_text("attr_id")
    shots(mia, "invalid-output")
    mia.goto(f"{base}/")
    expect(mia.locator("p.quota")).to_contain_text("4 of 5")  # the invalid run does not count


def test_closing_the_challenge_reveals_the_private_leaderboard(people, open_as, shots):
    course = people.course
    challenge = make_challenge(course, closes_at=timezone.now() + datetime.timedelta(days=3))
    earlier = timezone.now() - datetime.timedelta(hours=2)
    make_scored_submission(challenge, people.member, public_score=0.93, private_score=0.90, created_at=earlier)
    make_scored_submission(challenge, people.outsider, public_score=0.91, private_score=0.95, created_at=earlier)
    make_scored_submission(challenge, benchmark_name="Dawid-Skene", public_score=0.92, private_score=0.93)
    base = f"/courses/{course.slug}/challenges/{challenge.slug}"

    # Before the close, students see only the public board; Mia leads it.
    otto = open_as(people.outsider, f"{base}/leaderboard/")
    expect(otto.locator("nav.tabs")).not_to_contain_text("Private")
    expect(otto.locator("table.leaderboard tbody tr").first).to_contain_text("Mia Member")
    shots(otto, "public-before-close")
    assert otto.goto(f"{base}/leaderboard/?board=private").status == 403
    shots(otto, "private-refused-before-close")

    # The instructor closes it from the leaderboard.
    ines = open_as(people.instructor, f"{base}/leaderboard/")
    expect(ines.get_by_text("Staff preview").or_(ines.locator("nav.tabs"))).to_be_visible()
    ines.once("dialog", lambda dialog: dialog.accept())
    ines.get_by_role("button", name="Close now").click()
    expect(ines.get_by_role("button", name="Close now")).to_have_count(0)
    shots(ines, "closed-staff")

    # Students now see the private board: Otto wins on the private half; the public rank is kept.
    otto.goto(f"{base}/leaderboard/")
    expect(otto.locator("nav.tabs")).to_contain_text("Private (final)")
    otto.goto(f"{base}/leaderboard/?board=private")
    first = otto.locator("table.leaderboard tbody tr:not(.benchmark)").first
    expect(first).to_contain_text("Otto Outsider")
    expect(first.locator("td.num").nth(2)).to_have_text("2")  # his public rank
    expect(otto.locator("th", has_text="Private score")).to_be_visible()
    shots(otto, "private-after-close")
    otto.goto(f"{base}/")
    expect(otto.get_by_text("The challenge is closed: no more submissions.")).to_be_visible()
    shots(otto, "challenge-closed")
