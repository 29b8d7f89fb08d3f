"""The REST API: the same actions and permissions as the pages, through the same services."""

import datetime

import pytest

from proposals import services
from proposals.models import ReminderSent, WeeklyUpdate
from proposals.weeks import course_week
from tests.proposals.conftest import FULL_TEXT

pytestmark = pytest.mark.django_db

API = "/api/courses/dl-fall"


def sections(**changes):
    return {"sections": [{"key": k, "body": v} for k, v in {**FULL_TEXT, **changes}.items()]}


class TestTemplateAPI:
    def test_members_read_and_instructors_replace(self, people, api_for):
        body = api_for(people.member).get(f"{API}/proposal-template/").json()
        assert len(body["sections"]) == 8 and body["sections"][0]["key"] == "project-title"
        new = {"sections": [{"key": "goal", "title": "Goal"}, {"title": "Risks", "required": False}]}
        assert api_for(people.ta).put(f"{API}/proposal-template/", new, format="json").status_code == 403
        response = api_for(people.instructor).put(f"{API}/proposal-template/", new, format="json")
        assert response.status_code == 200
        assert [(s["key"], s["position"]) for s in response.json()["sections"]] == [("goal", 1), ("risks", 2)]

    def test_an_unknown_key_is_a_400_that_says_why(self, people, api_for):
        bad = {"sections": [{"key": "nope", "title": "X"}]}
        response = api_for(people.instructor).put(f"{API}/proposal-template/", bad, format="json")
        assert response.status_code == 400 and "no section with key “nope”" in response.json()["detail"][0]


class TestProposalFlow:
    def test_start_save_submit_review_revise_approve(self, people, api_for):
        team = api_for(people.member)
        created = team.post(f"{API}/proposals/")
        assert created.status_code == 201
        pk = created.json()["id"]
        assert team.post(f"{API}/proposals/").status_code == 200  # already started
        assert team.put(f"{API}/proposals/{pk}/draft/", sections(), format="json").status_code == 200
        submitted = team.post(f"{API}/proposals/{pk}/submit/")
        assert submitted.status_code == 201 and submitted.json()["number"] == 1

        review = {"decision": "needs_revision", "section_comments": {"baseline": "Add macro-F1."}, "revision": 1}
        assert api_for(people.ta).post(f"{API}/proposals/{pk}/reviews/", review, format="json").status_code == 201
        detail = team.get(f"{API}/proposals/mine/").json()
        assert detail["status"] == "needs_revision"
        assert detail["latest_review"]["section_comments"] == {"baseline": "Add macro-F1."}
        assert detail["allowed_transitions"] == ["submitted"]

        team.put(f"{API}/proposals/{pk}/draft/", sections(baseline="Now with macro-F1."), format="json")
        assert team.post(f"{API}/proposals/{pk}/submit/").json()["number"] == 2
        approve = api_for(people.instructor).post(f"{API}/proposals/{pk}/reviews/", {"decision": "approved"})
        assert approve.status_code == 201
        body = team.get(f"{API}/proposals/{pk}/").json()
        assert body["status"] == "approved" and body["revision_count"] == 2
        kinds = [e["kind"] for e in body["events"]]
        assert kinds == ["started", "submitted", "needs_revision", "submitted", "approved"]
        revisions = team.get(f"{API}/proposals/{pk}/revisions/").json()["results"]
        assert [r["number"] for r in revisions] == [1, 2]
        first = team.get(f"{API}/proposals/{pk}/revisions/1/").json()
        assert {s["key"]: s["body"] for s in first["sections"]}["baseline"] == FULL_TEXT["baseline"]

    def test_approving_a_draft_is_a_400_with_the_reason(self, proposal, people, api_for):
        response = api_for(people.instructor).post(f"{API}/proposals/{proposal.pk}/reviews/", {"decision": "approved"})
        assert response.status_code == 400
        assert "Only a submitted proposal can be reviewed" in response.json()["detail"][0]

    def test_a_student_cannot_review(self, submitted, people, api_for):
        response = api_for(people.member).post(f"{API}/proposals/{submitted.pk}/reviews/", {"decision": "approved"})
        assert response.status_code == 403
        response = api_for(people.outsider).post(f"{API}/proposals/{submitted.pk}/reviews/", {"decision": "approved"})
        assert response.status_code == 403

    def test_a_teammates_newer_save_is_a_409(self, proposal, people, api_for):
        version = proposal.draft_sections.get(key="goal").version
        services.save_draft(proposal, {"goal": "Tess's"}, by=people.teammate)
        stale = {"sections": [{"key": "goal", "body": "Mia's", "version": version}]}
        response = api_for(people.member).put(f"{API}/proposals/{proposal.pk}/draft/", stale, format="json")
        assert response.status_code == 409

    def test_another_team_cannot_read_or_write_the_draft(self, proposal, people, api_for):
        outsider = api_for(people.outsider)
        assert outsider.get(f"{API}/proposals/{proposal.pk}/").status_code == 404
        assert outsider.get(f"{API}/proposals/{proposal.pk}/draft/").status_code == 404
        assert outsider.post(f"{API}/proposals/{proposal.pk}/submit/").status_code == 404

    def test_staff_never_read_the_draft(self, proposal, people, api_for):
        assert api_for(people.ta).get(f"{API}/proposals/{proposal.pk}/draft/").status_code == 403
        assert api_for(people.ta).get(f"{API}/proposals/{proposal.pk}/").json()["latest_revision"] is None

    def test_a_classmate_reads_the_submitted_one_but_not_its_reviews(self, submitted, people, api_for):
        services.review_proposal(submitted, by=people.ta, decision="needs_revision", comment="Private")
        outsider = api_for(people.outsider)
        body = outsider.get(f"{API}/proposals/{submitted.pk}/").json()
        assert body["latest_revision"]["number"] == 1 and body["latest_review"] is None and body["events"] == []
        assert outsider.get(f"{API}/proposals/{submitted.pk}/reviews/").status_code == 404
        assert outsider.put(f"{API}/proposals/{submitted.pk}/draft/", sections(), format="json").status_code == 403

    def test_visibility_off_hides_it_from_classmates(self, submitted, people, api_for):
        people.course.proposals_visible_to_classmates = False
        people.course.save()
        assert api_for(people.outsider).get(f"{API}/proposals/{submitted.pk}/").status_code == 404
        assert api_for(people.member).get(f"{API}/proposals/").json()["count"] == 1

    def test_comments(self, submitted, people, api_for):
        response = api_for(people.outsider).post(f"{API}/proposals/{submitted.pk}/comments/", {"body": "Cool!"})
        assert response.status_code == 201 and response.json()["revision"] == 1
        listing = api_for(people.member).get(f"{API}/proposals/{submitted.pk}/comments/").json()["results"]
        assert [c["body"] for c in listing] == ["Cool!"]
        assert "email" not in str(listing[0]["author"])

    def test_the_list_filters_by_status(self, submitted, people, api_for):
        assert api_for(people.ta).get(f"{API}/proposals/?status=approved").json()["count"] == 0
        assert api_for(people.ta).get(f"{API}/proposals/?status=submitted").json()["count"] == 1

    def test_a_student_without_a_team_cannot_start_one(self, people, api_for):
        response = api_for(people.outsider).post(f"{API}/proposals/")
        assert response.status_code == 400 and "not in a team" in response.json()["detail"][0]

    def test_another_course_is_invisible(self, submitted, people, api_for):
        assert api_for(people.stranger).get(f"{API}/proposals/").status_code == 404
        assert api_for(people.stranger).get(f"{API}/proposals/{submitted.pk}/").status_code == 404


class TestUpdatesAPI:
    def test_weeks_post_edit_comment_grid_and_feed(self, live_dates, people, api_for):
        people.course.update_due_weekday, people.course.update_due_time = 6, datetime.time(23, 59, 59)
        people.course.save()
        team = api_for(people.member)
        weeks = team.get(f"{API}/updates/weeks/").json()
        assert [w["status"] for w in weeks][:4] == ["missing", "missing", "pending", "upcoming"]
        created = team.post(f"{API}/updates/", {"week": 3, "did": "Baseline.", "next_steps": "Tune."})
        assert created.status_code == 201 and created.json()["late"] is False
        pk = created.json()["id"]
        assert team.post(f"{API}/updates/", {"week": 3, "did": "x", "next_steps": "y"}).status_code == 400
        assert team.patch(f"{API}/updates/{pk}/", {"did": "Baseline, tuned."}).status_code == 200
        assert WeeklyUpdate.objects.get(pk=pk).did == "Baseline, tuned."
        assert api_for(people.outsider).patch(f"{API}/updates/{pk}/", {"did": "hijack"}).status_code == 403

        top = api_for(people.ta).post(f"{API}/updates/{pk}/comments/", {"body": "Nice."}).json()
        reply = team.post(f"{API}/updates/{pk}/comments/", {"body": "Thanks", "parent": top["id"]})
        assert reply.status_code == 201 and reply.json()["parent"] == top["id"]

        grid = api_for(people.ta).get(f"{API}/updates/grid/").json()
        assert grid["current_week"] == 3 and grid["rows"][0]["cells"][2]["status"] == "posted"
        assert api_for(people.member).get(f"{API}/updates/grid/").status_code == 403
        feed = api_for(people.outsider).get(f"{API}/updates/feed/").json()
        assert [i["kind"] for i in feed] == ["comment", "comment", "update"]

    def test_a_past_week_is_late_and_cannot_be_edited(self, live_dates, people, api_for):
        team = api_for(people.member)
        created = team.post(f"{API}/updates/", {"week": 1, "did": "Late.", "next_steps": "Sorry."}).json()
        assert created["late"] is True
        response = team.patch(f"{API}/updates/{created['id']}/", {"did": "Edit"})
        assert response.status_code == 400 and "can no longer be edited" in response.json()["detail"][0]

    def test_a_bad_feed_cursor_is_a_400_not_a_crash(self, people, api_for):
        api = api_for(people.member)
        assert api.get(f"{API}/updates/feed/?before=yesterday").status_code == 400
        assert api.get(f"{API}/updates/feed/?before=0001-01-01T00:00:00%2B20:22").status_code == 400
        assert api.get(f"{API}/updates/feed/?before=0020-10-31T00:06:23%2B20:22").status_code == 200
        assert api.get(f"{API}/updates/feed/?before=2026-09-11T17:00:00Z").status_code == 200

    def test_the_list_filters_by_week(self, live_dates, people, api_for):
        due = course_week(people.course, 1).due
        services.post_weekly_update(
            people.team, 1, {"did": "a", "next_steps": "b"}, by=people.member, now=due - datetime.timedelta(hours=1)
        )
        assert api_for(people.ta).get(f"{API}/updates/?week=1").json()["count"] == 1
        assert api_for(people.ta).get(f"{API}/updates/?week=2").json()["count"] == 0


class TestSchema:
    def test_the_openapi_schema_documents_the_endpoints(self, people, api_for):
        response = api_for(people.member).get("/api/schema/?format=json")
        assert response.status_code == 200
        paths = response.json()["paths"]
        for path in (
            "/api/courses/{course_slug}/proposals/{id}/submit/",
            "/api/courses/{course_slug}/proposals/{id}/reviews/",
            "/api/courses/{course_slug}/proposals/{id}/diff/",
            "/api/courses/{course_slug}/updates/grid/",
        ):
            assert any(p.replace("{pk}", "{id}") == path for p in paths), path


def test_reminder_rows_are_unique_per_team_week_and_kind(people):
    from django.db import IntegrityError, transaction

    ReminderSent.objects.create(team=people.team, week=1, kind="before_due")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSent.objects.create(team=people.team, week=1, kind="before_due")
