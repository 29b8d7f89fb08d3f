"""Proposal pages: who sees and does what, the editor, reviews with feedback next to sections, lists, CSV."""

import csv
import io

import pytest
from django.urls import reverse

from proposals import services
from proposals.models import Proposal
from tests.proposals.conftest import FULL_TEXT, add_teams

pytestmark = pytest.mark.django_db


def url(name, people, *args):
    return reverse(f"proposals:{name}", args=[people.course.slug, *args])


def editor_data(proposal, **changes):
    data = {f"body_{k}": v for k, v in FULL_TEXT.items()}
    for d in proposal.draft_sections.all():
        data[f"version_{d.key}"] = d.version
    data.update({f"body_{k}": v for k, v in changes.items()})
    return data


class TestWhoSeesAProposal:
    def test_the_team_and_staff_see_a_draft_classmates_do_not(self, proposal, people, client_for, other_team):
        page = url("detail", people, proposal.pk)
        for user in (people.member, people.teammate):
            body = client_for(user).get(page).content.decode()
            assert FULL_TEXT["goal"] in body
        staff_view = client_for(people.instructor).get(page)
        assert staff_view.status_code == 200 and FULL_TEXT["goal"] not in staff_view.content.decode()
        assert client_for(people.outsider).get(page).status_code == 404
        assert client_for(people.stranger).get(page).status_code == 404

    def test_classmates_read_a_submitted_proposal_when_the_course_shares(self, submitted, people, client_for):
        body = client_for(people.outsider).get(url("detail", people, submitted.pk)).content.decode()
        assert FULL_TEXT["goal"] in body

    def test_visibility_off_hides_proposals_from_classmates(self, submitted, people, client_for, api_for):
        people.course.proposals_visible_to_classmates = False
        people.course.save()
        assert client_for(people.outsider).get(url("detail", people, submitted.pk)).status_code == 404
        assert client_for(people.outsider).get(url("revisions", people, submitted.pk)).status_code == 404
        listing = client_for(people.outsider).get(url("index", people)).content.decode()
        assert "Gradient Gang" not in listing and "does not share proposals" in listing
        assert api_for(people.outsider).get("/api/courses/dl-fall/proposals/").json()["count"] == 0
        # the team and staff still see it
        assert client_for(people.teammate).get(url("detail", people, submitted.pk)).status_code == 200
        assert client_for(people.ta).get(url("detail", people, submitted.pk)).status_code == 200

    def test_classmates_do_not_see_reviews(self, submitted, people, client_for):
        services.review_proposal(
            submitted, by=people.ta, decision="needs_revision", section_comments={"goal": "Secret feedback"}
        )
        page = url("detail", people, submitted.pk)
        assert "Secret feedback" not in client_for(people.outsider).get(page).content.decode()
        assert "Secret feedback" in client_for(people.member).get(page).content.decode()


class TestTheEditor:
    def test_a_student_of_another_team_cannot_edit(self, submitted, proposal, people, client_for):
        assert client_for(people.outsider).get(url("edit", people, proposal.pk)).status_code == 403
        assert client_for(people.outsider).post(url("edit", people, proposal.pk), {}).status_code == 403

    def test_staff_cannot_edit_a_teams_draft(self, proposal, people, client_for):
        assert client_for(people.instructor).get(url("edit", people, proposal.pk)).status_code == 403

    def test_mine_starts_the_proposal_once(self, people, client_for):
        client = client_for(people.member)
        first = client.get(url("mine", people))
        second = client.get(url("mine", people))
        assert first["Location"] == second["Location"]
        assert Proposal.objects.filter(team=people.team).count() == 1

    def test_a_student_without_a_team_is_sent_to_the_teams_page(self, people, client_for):
        response = client_for(people.outsider).get(url("mine", people))
        assert response["Location"] == reverse("teams:index", args=[people.course.slug])

    def test_save_a_draft_then_submit(self, proposal, people, client_for):
        client = client_for(people.member)
        data = {**editor_data(proposal, goal="New goal"), "action": "save"}
        response = client.post(url("edit", people, proposal.pk), data)
        assert response.status_code == 302
        assert proposal.draft_sections.get(key="goal").body == "New goal"
        response = client.post(url("edit", people, proposal.pk), {**editor_data(proposal), "action": "submit"})
        assert response.status_code == 302
        proposal.refresh_from_db()
        assert proposal.status == "submitted" and proposal.revision_count == 1

    def test_a_refused_submit_says_why_and_keeps_the_text(self, people, client_for):
        p = services.start_proposal(people.team, by=people.member)
        data = {"body_project-title": "Only this", "action": "submit"}
        response = client_for(people.member).post(url("edit", people, p.pk), data)
        assert response.status_code == 400
        body = response.content.decode()
        assert "Fill in the required sections before submitting" in body and "Only this" in body

    def test_a_conflicting_save_shows_both_texts(self, proposal, people, client_for):
        stale = editor_data(proposal, goal="Mia's goal")
        services.save_draft(proposal, {"goal": "Tess's goal"}, by=people.teammate)
        response = client_for(people.member).post(url("edit", people, proposal.pk), {**stale, "action": "save"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "A teammate saved" in body and "Mia&#x27;s goal" in body and "Tess&#x27;s goal" in body
        # saving again on purpose replaces the teammate's text
        again = {k: v for k, v in response.context["form"].data.items()}
        client_for(people.member).post(url("edit", people, proposal.pk), again)
        assert proposal.draft_sections.get(key="goal").body == "Mia's goal"

    def test_a_submitted_proposal_sends_the_editor_back_to_the_page(self, submitted, people, client_for):
        response = client_for(people.member).get(url("edit", people, submitted.pk))
        assert response["Location"] == url("detail", people, submitted.pk)

    def test_the_preview_is_sanitized(self, people, client_for):
        response = client_for(people.member).post(
            url("preview", people) + "?field=body_goal", {"body_goal": "**bold** <script>alert(1)</script>"}
        )
        assert "<strong>bold</strong>" in response.content.decode()
        assert "<script>" not in response.content.decode()

    def test_markdown_in_a_section_is_sanitized_on_the_page(self, people, client_for):
        p = services.start_proposal(people.team, by=people.member)
        services.save_draft(p, {"goal": "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"}, by=people.member)
        body = client_for(people.member).get(url("detail", people, p.pk)).content.decode()
        # Shown as inert text at most: no javascript: link and no live <img> with a handler.
        assert 'href="javascript:' not in body and "<img src" not in body


class TestReviewPage:
    def test_staff_review_with_section_comments_and_the_team_sees_them_next_to_the_sections(
        self, submitted, people, client_for
    ):
        data = {"decision": "needs_revision", "comment": "Overall fine.", "comment_baseline": "Add **macro-F1**."}
        response = client_for(people.ta).post(url("review", people, submitted.pk), data)
        assert response.status_code == 302
        submitted.refresh_from_db()
        assert submitted.status == "needs_revision"
        editor = client_for(people.member).get(url("edit", people, submitted.pk)).content.decode()
        baseline_at = editor.index('id="section-baseline"')
        next_section = editor.index('id="section-model"')
        assert baseline_at < editor.index("Add <strong>macro-F1</strong>.") < next_section
        assert "Overall fine." in editor

    def test_a_student_cannot_open_or_post_the_review(self, submitted, people, client_for):
        for user in (people.member, people.outsider):
            assert client_for(user).get(url("review", people, submitted.pk)).status_code == 403
            response = client_for(user).post(url("review", people, submitted.pk), {"decision": "approved"})
            assert response.status_code == 403
        submitted.refresh_from_db()
        assert submitted.status == "submitted"

    def test_a_refused_review_says_why(self, submitted, people, client_for):
        response = client_for(people.ta).post(url("review", people, submitted.pk), {"decision": "needs_revision"})
        assert response.status_code == 400 and "Say what to change" in response.content.decode()

    def test_a_draft_has_no_review_page(self, proposal, people, client_for):
        assert client_for(people.ta).get(url("review", people, proposal.pk)).status_code == 302


class TestComments:
    def test_a_classmate_comments_and_the_team_is_notified(self, submitted, people, client_for):
        client_for(people.outsider).post(url("comment", people, submitted.pk), {"body": "Cool idea!"})
        assert submitted.comments.get().body == "Cool idea!"
        assert people.member.notifications.filter(verb="proposal_comment").exists()

    def test_nobody_comments_on_a_draft(self, proposal, people, client_for):
        client_for(people.member).post(url("comment", people, proposal.pk), {"body": "x"})
        assert not proposal.comments.exists()


class TestStaffList:
    def test_it_lists_every_team_with_status_revisions_and_lateness(self, submitted, people, client_for):
        add_teams(people.course, 2)
        body = client_for(people.ta).get(url("index", people)).content.decode()
        assert "Gradient Gang" in body and "Team 000" in body and "Not started" in body
        filtered = client_for(people.ta).get(url("index", people) + "?status=submitted").content.decode()
        assert "Gradient Gang" in filtered and "Team 000" not in filtered

    def test_the_csv_export(self, submitted, people, client_for):
        add_teams(people.course, 1)
        response = client_for(people.instructor).get(url("export", people))
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(r["team"], r["status"], r["revisions"], r["late"]) for r in rows] == [
            ("Gradient Gang", "submitted", "1", "no"),
            ("Team 000", "not_started", "0", "no"),
        ]

    def test_students_cannot_export(self, people, client_for):
        assert client_for(people.member).get(url("export", people)).status_code == 403

    @pytest.mark.parametrize("teams", [3, 30])
    def test_the_list_takes_a_fixed_number_of_queries(self, people, client_for, django_assert_max_num_queries, teams):
        for team in add_teams(people.course, teams):
            member = team.memberships.first().user
            p = services.start_proposal(team, by=member)
            services.save_draft(p, FULL_TEXT, by=member)
            services.submit_proposal(p, by=member)
        client = client_for(people.ta)
        with django_assert_max_num_queries(8):
            response = client.get(url("index", people))
        assert response.content.decode().count("badge info") == teams


class TestClassmatesList:
    @pytest.mark.parametrize("teams", [3, 30])
    def test_it_takes_a_fixed_number_of_queries(self, people, client_for, django_assert_max_num_queries, teams):
        for team in add_teams(people.course, teams):
            member = team.memberships.first().user
            p = services.start_proposal(team, by=member)
            services.save_draft(p, FULL_TEXT, by=member)
            services.submit_proposal(p, by=member)
        client = client_for(people.member)
        with django_assert_max_num_queries(9):
            response = client.get(url("index", people))
        assert len(response.context["page"].object_list) == teams


class TestTemplateEditor:
    def test_an_instructor_edits_the_template(self, people, client_for):
        client = client_for(people.instructor)
        page = client.get(url("template", people))
        formset = page.context["formset"]
        data = {"sections-TOTAL_FORMS": len(formset.forms), "sections-INITIAL_FORMS": 8,
                "sections-MIN_NUM_FORMS": 0, "sections-MAX_NUM_FORMS": 30}  # fmt: skip
        for i, form in enumerate(formset.forms):
            initial = form.initial
            if not initial:
                continue
            data.update({f"sections-{i}-key": initial["key"], f"sections-{i}-title": initial["title"],
                         f"sections-{i}-prompt": initial["prompt"], f"sections-{i}-ORDER": i + 1})  # fmt: skip
            if initial["required"]:
                data[f"sections-{i}-required"] = "on"
        data["sections-7-DELETE"] = "on"  # drop the stretch goal
        data.update({"sections-8-title": "Ethics", "sections-8-ORDER": "0", "sections-8-required": "on"})
        response = client.post(url("template", people), data)
        assert response.status_code == 302, response.content.decode()
        titles = [s.title for s in services.template_sections(people.course)]
        assert titles[0] == "Ethics" and "Stretch goal" not in titles and len(titles) == 8

    def test_a_ta_cannot_edit_the_template(self, people, client_for):
        assert client_for(people.ta).get(url("template", people)).status_code == 403
