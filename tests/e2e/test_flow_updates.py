"""Weekly updates in the browser: the team posts this week's update (seeing last week's plan), a
classmate comments, the team is notified, and the instructor's grid shows posted, late and missing."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from proposals import services as proposals
from proposals.weeks import course_week
from teams import services as teams

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def course_in_week_3(people):
    """Week 3 of the course starts today; its update is due in six days, weeks 1 and 2 are past due."""
    course = people.course
    today = timezone.localtime(timezone.now(), course.tz).date()
    course.start_date = today - datetime.timedelta(days=14)
    course.end_date = today + datetime.timedelta(days=30)
    course.update_due_weekday = (today.weekday() + 6) % 7
    course.save()
    course.refresh_from_db()
    week1 = course_week(course, 1)
    fields = {"did": "Collected data.", "next_steps": "Train the **baseline** on the new split."}
    proposals.post_weekly_update(people.team, 1, fields, by=people.member, now=week1.due - datetime.timedelta(days=1))
    other = teams.create_team(course, people.outsider, name="Other Team", idea="Birds.")
    proposals.post_weekly_update(other, 1, {"did": "Late start.", "next_steps": "Catch up."}, by=people.outsider)
    return course


def test_a_weekly_update_is_posted_commented_and_shown_on_the_grid(people, course_in_week_3, open_as, shots):
    course = course_in_week_3
    base = f"/courses/{course.slug}/updates"

    # Mia posts week 3's update; the form shows what the team planned last time.
    mia = open_as(people.member, f"/courses/{course.slug}/")
    mia.get_by_role("navigation", name="Course").get_by_role("link", name="Weekly updates").click()
    this_week = mia.locator("tr", has_text="Week 3 (this week)")
    expect(mia.locator("tr", has_text="Week 2").locator(".badge")).to_have_text("missing")
    shots(mia, "team-weeks")
    this_week.get_by_role("link", name="Post").click()
    expect(mia.locator("aside.last-week")).to_contain_text("Train the baseline on the new split.")
    mia.locator("#id_did").fill("Trained the baseline: **71%** top-1.")
    mia.locator("#id_next_steps").fill("Try a pretrained ResNet.")
    mia.locator("#id_blockers").fill("GPU quota runs out on Friday.")
    shots(mia, "update-form")
    mia.get_by_role("button", name="Post the update").click()
    expect(mia.get_by_role("heading", name="Gradient Gang: week 3")).to_be_visible()
    expect(mia.locator("h1 .badge")).to_have_text("on time")
    shots(mia, "update-posted")
    update_url = mia.url

    # Otto, a classmate in another team, comments from the feed.
    otto = open_as(people.outsider, f"{base}/feed/")
    item = otto.locator("li.feed-item", has_text="Gradient Gang").first
    expect(item).to_contain_text("Trained the baseline: 71% top-1.")
    shots(otto, "feed")
    item.get_by_role("link", name="the update for week 3").click()
    expect(otto.get_by_text("Trained the baseline")).to_be_visible()
    otto.locator("#id_body").fill("Nice! Did you try **mixup**?")
    otto.get_by_role("button", name="Comment").click()
    comment = otto.locator("div.comment", has_text="Otto Outsider")
    expect(comment).to_contain_text("Did you try mixup?")
    expect(comment.locator("strong", has_text="mixup")).to_be_visible()  # Markdown rendered
    shots(otto, "commented")

    # Tess (the team) is notified and replies in the thread.
    tess = open_as(people.teammate, "/notifications/")
    expect(tess.get_by_text("Otto Outsider commented on Gradient Gang's update for week 3")).to_be_visible()
    tess.goto(update_url)
    comment = tess.locator("div.comment", has_text="Otto Outsider").first
    comment.locator("summary", has_text="Reply").click()
    comment.locator("textarea[name=body]").fill("Not yet, next week.")
    comment.get_by_role("button", name="Reply").click()
    expect(tess.locator("div.comment.reply")).to_contain_text("Not yet, next week.")
    shots(tess, "thread")

    # The instructor's grid: posted, late, missing and due, and the "missing this week" filter.
    ines = open_as(people.instructor, f"{base}/grid/")
    gang = ines.locator("tr", has=ines.get_by_role("rowheader", name="Gradient Gang"))
    other = ines.locator("tr", has=ines.get_by_role("rowheader", name="Other Team"))
    expect(gang.locator("td").nth(0)).to_have_text("posted")
    expect(gang.locator("td").nth(1)).to_have_text("missing")
    expect(gang.locator("td").nth(2)).to_have_text("posted")
    expect(other.locator("td").nth(0)).to_have_text("late")
    expect(other.locator("td").nth(1)).to_have_text("missing")
    expect(other.locator("td").nth(2)).to_contain_text("due")
    shots(ines, "grid")
    ines.get_by_role("link", name="missing this week (week 3)").click()
    expect(ines.get_by_role("rowheader", name="Other Team")).to_be_visible()
    expect(ines.get_by_role("rowheader", name="Gradient Gang")).to_have_count(0)
    shots(ines, "grid-missing-this-week")
    ines.goto(f"{base}/grid/")
    gang.locator("td").nth(2).get_by_role("link", name="posted").click()
    expect(ines.get_by_role("heading", name="Gradient Gang: week 3")).to_be_visible()
    expect(ines.locator("div.comment.reply")).to_contain_text("Not yet, next week.")
    shots(ines, "update-from-grid")
