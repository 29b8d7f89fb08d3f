"""Diffs between any two revisions: difflib per section, side by side or unified, always HTML-escaped."""

import pytest
from django.urls import reverse

from proposals import services
from proposals.diff import diff_revisions, side_by_side, unified

pytestmark = pytest.mark.django_db


def revise(proposal, people, changes):
    """Send the proposal back for a revision, apply `changes` to the draft and submit it."""
    services.review_proposal(proposal, by=people.ta, decision="needs_revision", comment="Please revise.")
    services.save_draft(proposal, changes, by=people.member)
    return services.submit_proposal(proposal, by=people.member)


class TestTheDiffFunctions:
    def test_side_by_side_pairs_changed_lines_and_marks_the_changed_words(self):
        rows = side_by_side("same\nold words here\ngone", "same\nnew words here\nadded\n")
        kinds = [r.kind for r in rows]
        assert kinds[0] == "equal"
        assert "replace" in kinds
        replaced = next(r for r in rows if r.kind == "replace")
        assert "<del>" in replaced.left and "<ins>" in replaced.right

    def test_user_text_is_escaped_in_both_views(self):
        for old, new in [("<b>x</b>", "<script>alert(1)</script>"), ("<i>a</i> b", "<i>a</i> <img src=x onerror=y>")]:
            rows = side_by_side(old, new)
            html = "".join(str(r.left) + str(r.right) for r in rows)
            for tag in ("<del>", "</del>", "<ins>", "</ins>"):
                html = html.replace(tag, "")
            assert "<" not in html and ">" not in html
            assert "&lt;" in html

    def test_unified_gives_hunks_and_signed_lines(self):
        lines = unified("a\nb\nc", "a\nB\nc", from_label="r1", to_label="r2")
        assert lines[0][0] == "@"
        assert ("-", "b") in lines and ("+", "B") in lines and (" ", "a") in lines


class TestRevisionDiffs:
    def test_sections_are_marked_changed_unchanged_added_and_removed(self, submitted, people):
        services.update_proposal_template(
            people.course,
            [services.SectionSpec(key=s.key, title=s.title, required=s.required) for s in
             services.template_sections(people.course) if s.key != "end-result"]
            + [services.SectionSpec(title="Ethics", required=False)],
            by=people.instructor,
        )  # fmt: skip
        second = revise(submitted, people, {"goal": "A new goal.", "ethics": "None expected."})
        first = submitted.revisions.get(number=1)
        by_key = {s.key: s for s in diff_revisions(first, second)}
        assert by_key["goal"].status == "changed"
        assert by_key["dataset"].status == "unchanged"
        assert by_key["ethics"].status == "added"
        assert by_key["end-result"].status == "removed"
        assert list(by_key)[-1] == "end-result"  # removed sections come last

    def test_any_two_revisions_can_be_compared_in_either_direction(self, submitted, people):
        revise(submitted, people, {"goal": "Goal two."})
        revise(submitted, people, {"goal": "Goal three."})
        revs = {r.number: r for r in submitted.revisions.all()}
        goal = next(s for s in diff_revisions(revs[3], revs[1]) if s.key == "goal")
        assert ("-", "Goal three.") in goal.unified


class TestTheDiffPage:
    def test_the_team_sees_side_by_side_and_unified(self, submitted, people, client_for):
        revise(submitted, people, {"goal": "Tell <script>alert('x')</script> apart."})
        url = reverse("proposals:diff", args=[people.course.slug, submitted.pk])
        client = client_for(people.member)
        side = client.get(url + "?from=1&to=2").content.decode()
        assert "diff-table" in side and "&lt;script&gt;" in side and "<script>alert" not in side
        uni = client.get(url + "?from=1&to=2&mode=unified").content.decode()
        assert "diff-unified" in uni and "+Tell &lt;script&gt;" in uni

    def test_with_one_revision_it_explains_there_is_nothing_to_compare(self, submitted, people, client_for):
        response = client_for(people.member).get(reverse("proposals:diff", args=[people.course.slug, submitted.pk]))
        assert response.status_code == 302

    def test_out_of_range_numbers_fall_back_to_the_last_two(self, submitted, people, client_for):
        revise(submitted, people, {"goal": "Goal two."})
        url = reverse("proposals:diff", args=[people.course.slug, submitted.pk]) + "?from=0&to=99"
        response = client_for(people.member).get(url)
        assert response.status_code == 200 and "Choose revisions between 1 and 2" in response.content.decode()

    def test_the_api_gives_unified_lines(self, submitted, people, api_for):
        revise(submitted, people, {"goal": "Goal two."})
        url = f"/api/courses/{people.course.slug}/proposals/{submitted.pk}/diff/?from=1&to=2"
        body = api_for(people.ta).get(url).json()
        goal = next(s for s in body["sections"] if s["key"] == "goal")
        assert goal["status"] == "changed" and "+Goal two." in goal["unified"]
        assert api_for(people.ta).get(url.replace("to=2", "to=7")).status_code == 400
