"""Forming a team in the browser: sign up with a join code, post on the board, be invited and
accept, then a third student asks to join and a member accepts."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from teams.models import BoardPost, TeamMembership

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "a-long-enough-pass-2026"


def test_students_form_a_team(people, open_as, shots):
    course = people.course
    teams_url = f"/courses/{course.slug}/teams"

    # Nora signs up with the course's join code and lands in the course.
    nora_page = open_as(None, f"/accounts/signup/?code={course.join_code}")
    expect(nora_page.locator("#id_join_code")).to_have_value(course.join_code)
    nora_page.locator("#id_email").fill("nora@example.com")
    nora_page.locator("#id_first_name").fill("Nora")
    nora_page.locator("#id_last_name").fill("Newcomer")
    nora_page.locator("#id_password1").fill(PASSWORD)
    nora_page.locator("#id_password2").fill("not the same")
    nora_page.get_by_role("button", name="Sign up").click()
    expect(nora_page.get_by_text("The two passwords differ.")).to_be_visible()
    shots(nora_page, "signup-error")
    nora_page.locator("#id_password1").fill(PASSWORD)
    nora_page.locator("#id_password2").fill(PASSWORD)
    nora_page.get_by_role("button", name="Sign up").click()
    expect(nora_page.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    # She logs out and back in with her e-mail (in another case) through the log-in form.
    nora_page.get_by_role("button", name="Log out").click()
    nora_page.get_by_role("link", name="Log in").first.click()
    nora_page.locator("#id_username").fill("Nora@Example.com")
    nora_page.locator("#id_password").fill("wrong password")
    nora_page.get_by_role("button", name="Log in").click()
    expect(nora_page.locator(".errors")).to_be_visible()
    shots(nora_page, "login-error")
    nora_page.locator("#id_password").fill(PASSWORD)
    nora_page.get_by_role("button", name="Log in").click()
    nora_page.get_by_role("link", name=course.title).first.click()
    expect(nora_page.get_by_role("heading", name=course.title)).to_be_visible()
    shots(nora_page, "course-home")
    nora = get_user_model().objects.get(email="nora@example.com")

    # She posts on the looking-for-teammates board.
    nora_page.get_by_role("navigation", name="Course").get_by_role("link", name="Teams").click()
    nora_page.get_by_role("link", name="Looking for teammates").click()
    expect(nora_page.get_by_text("Nobody is looking right now.")).to_be_visible()
    shots(nora_page, "board-empty")
    nora_page.get_by_role("link", name="Post that you are looking for a team").click()
    nora_page.locator("#id_interests").fill("computer vision, health")
    nora_page.locator("#id_skills").fill("PyTorch, SQL")
    nora_page.locator("#id_project_idea").fill("Detect skin lesions from phone photos.")
    nora_page.locator("#id_text").fill("Free on **weekday evenings**.")
    shots(nora_page, "board-post-form")
    nora_page.get_by_role("button", name="Save and show on the board").click()
    expect(nora_page.get_by_text("Your post is on the board.").first).to_be_visible()
    expect(nora_page.locator("article.board-post", has_text="Nora Newcomer")).to_be_visible()
    shots(nora_page, "board-with-post")

    # Mia finds her on the board (filtering by interest) and invites her to Gradient Gang.
    mia_page = open_as(people.member, f"{teams_url}/board/")
    mia_page.get_by_role("link", name="computer vision").click()
    expect(mia_page.locator("article.board-post")).to_have_count(1)
    expect(mia_page.locator("article.board-post")).to_contain_text("Detect skin lesions")
    shots(mia_page, "board-filtered")
    mia_page.goto(f"{teams_url}/{people.team.pk}/")
    mia_page.locator("#id_email").fill("nora@example.com")
    mia_page.locator("#id_message").fill("We do vision too. Join us!")
    mia_page.get_by_role("button", name="Invite").click()
    invitations = mia_page.locator("section.panel", has=mia_page.get_by_role("heading", name="Invitations"))
    expect(invitations).to_contain_text("Nora Newcomer")
    shots(mia_page, "team-invited")

    # Nora sees the notification and accepts on her requests page.
    nora_page.goto("/notifications/")
    expect(nora_page.get_by_text("invites you to join Gradient Gang")).to_be_visible()
    shots(nora_page, "notifications")
    nora_page.goto(f"{teams_url}/requests/")
    invitation = nora_page.locator("div.request", has_text="Gradient Gang")
    expect(invitation).to_contain_text("We do vision too. Join us!")
    shots(nora_page, "invitation")
    invitation.get_by_role("button", name="Accept").click()
    expect(nora_page.get_by_role("heading", name="Requests to join Gradient Gang")).to_be_visible()
    shots(nora_page, "accepted")
    nora_page.goto(f"{teams_url}/{people.team.pk}/")
    expect(nora_page.locator("ul.members")).to_contain_text("Nora Newcomer")
    shots(nora_page, "joined")
    assert TeamMembership.objects.filter(team=people.team, user=nora).exists()
    assert not BoardPost.objects.get(author=nora).is_open  # joining takes the post down

    # Otto asks to join; Tess accepts from her requests page; the team is full.
    otto_page = open_as(people.outsider, f"{teams_url}/{people.team.pk}/")
    otto_page.locator("#id_message").fill("I can do the data pipeline.")
    otto_page.get_by_role("button", name="Ask to join").click()
    expect(otto_page.get_by_text("the members are deciding")).to_be_visible()
    shots(otto_page, "asked-to-join")
    tess_page = open_as(people.teammate, f"{teams_url}/requests/")
    request = tess_page.locator("div.request", has_text="Otto Outsider")
    expect(request).to_contain_text("I can do the data pipeline.")
    shots(tess_page, "requests")
    request.get_by_role("button", name="Accept").click()
    expect(tess_page.get_by_text("No pending requests.").first).to_be_visible()
    otto_page.goto(f"{teams_url}/{people.team.pk}/")
    expect(otto_page.locator("dl.facts")).to_contain_text("4 of 4")
    for name in ("Mia Member", "Tess Teammate", "Nora Newcomer", "Otto Outsider"):
        expect(otto_page.locator("ul.members")).to_contain_text(name)
    expect(otto_page.locator("ol.history")).to_contain_text("Otto")
    shots(otto_page, "team-full")
    assert people.team.memberships.count() == 4
