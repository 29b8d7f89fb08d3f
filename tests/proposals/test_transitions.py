"""The proposal's status machine: every allowed transition, and the refused ones with their reasons."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.models import Notification
from proposals import services
from proposals.models import (
    PROPOSAL_TRANSITIONS,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    ReviewDecision,
    TemplateSection,
)
from tests.proposals.conftest import FULL_TEXT, at

pytestmark = pytest.mark.django_db


class TestTheTransitionsMap:
    def test_approved_is_final_and_draft_only_goes_to_submitted(self):
        assert PROPOSAL_TRANSITIONS[ProposalStatus.APPROVED] == set()
        assert PROPOSAL_TRANSITIONS[ProposalStatus.DRAFT] == {ProposalStatus.SUBMITTED}
        assert set(PROPOSAL_TRANSITIONS) == set(ProposalStatus.values)


class TestTheTemplate:
    def test_it_is_made_lazily_with_the_eight_default_sections(self, people):
        assert not TemplateSection.objects.exists()
        sections = services.template_sections(people.course)
        assert [s.title for s in sections][:3] == ["Project title", "Team", "Goal of the project"]
        assert len(sections) == 8
        assert [s.required for s in sections][-1] is False  # the stretch goal
        assert services.template_sections(people.course)[0].pk == sections[0].pk  # made once

    def test_an_instructor_reorders_renames_adds_and_removes(self, people):
        old = {s.key: s for s in services.template_sections(people.course)}
        specs = [
            services.SectionSpec(key="goal", title="Goal", prompt="Why?", required=True),
            services.SectionSpec(key="project-title", title="Title", required=True),
            services.SectionSpec(title="Ethics", prompt="Who could be harmed?", required=False),
        ]
        services.update_proposal_template(people.course, specs, by=people.instructor)
        now = services.template_sections(people.course)
        assert [(s.key, s.title, s.position) for s in now] == [
            ("goal", "Goal", 1),
            ("project-title", "Title", 2),
            ("ethics", "Ethics", 3),
        ]
        assert now[0].pk == old["goal"].pk  # same row: drafts keep matching by key

    def test_a_ta_cannot_edit_the_template(self, people):
        with pytest.raises(PermissionDenied):
            services.update_proposal_template(people.course, [services.SectionSpec(title="X")], by=people.ta)

    def test_an_empty_template_is_refused(self, people):
        with pytest.raises(ValidationError, match="at least one section"):
            services.update_proposal_template(people.course, [], by=people.instructor)


class TestSubmitting:
    def test_a_draft_becomes_revision_1(self, proposal, people):
        revision = services.submit_proposal(proposal, by=people.member)
        proposal.refresh_from_db()
        assert (revision.number, proposal.status, proposal.revision_count) == (1, "submitted", 1)
        assert {s.key: s.body for s in revision.sections.all()}["goal"] == FULL_TEXT["goal"]
        assert revision.sections.count() == 8  # every template section, empty or not

    def test_missing_required_sections_are_named(self, people):
        p = services.start_proposal(people.team, by=people.member)
        services.save_draft(p, {"project-title": "Only a title"}, by=people.member)
        with pytest.raises(ValidationError, match="Team, Goal of the project"):
            services.submit_proposal(p, by=people.member)
        p.refresh_from_db()
        assert p.status == "draft" and p.revision_count == 0

    def test_a_submitted_proposal_cannot_be_submitted_again(self, submitted, people):
        with pytest.raises(ValidationError, match="waiting for review"):
            services.submit_proposal(submitted, by=people.member)

    def test_a_student_of_another_team_cannot_submit(self, proposal, people):
        with pytest.raises(PermissionDenied):
            services.submit_proposal(proposal, by=people.outsider)

    def test_a_stale_copy_does_not_submit_twice(self, proposal, people):
        stale = Proposal.objects.get(pk=proposal.pk)
        services.submit_proposal(proposal, by=people.member)
        with pytest.raises(ValidationError):
            services.submit_proposal(stale, by=people.teammate)
        assert proposal.revisions.count() == 1


class TestReviewing:
    def test_needs_revision_then_a_new_revision_then_approved(self, submitted, people):
        services.review_proposal(
            submitted,
            by=people.ta,
            decision=ReviewDecision.NEEDS_REVISION,
            section_comments={"baseline": "Add macro-F1.", "goal": ""},
        )
        submitted.refresh_from_db()
        assert submitted.status == "needs_revision"
        services.save_draft(submitted, {"baseline": "ResNet-18, accuracy, macro-F1."}, by=people.teammate)
        second = services.submit_proposal(submitted, by=people.teammate)
        assert second.number == 2
        services.review_proposal(submitted, by=people.instructor, decision=ReviewDecision.APPROVED)
        submitted.refresh_from_db()
        assert submitted.status == "approved"
        kinds = list(submitted.events.values_list("kind", "actor__email"))
        assert kinds == [
            ("started", "mia@example.com"),
            ("submitted", "mia@example.com"),
            ("needs_revision", "tom@example.com"),
            ("submitted", "tess@example.com"),
            ("approved", "ines@example.com"),
        ]

    def test_a_section_comment_is_kept_only_when_written(self, submitted, people):
        review = services.review_proposal(
            submitted,
            by=people.ta,
            decision="needs_revision",
            section_comments={"baseline": "Add macro-F1.", "goal": "  "},
        )
        assert {c.key: c.body for c in review.section_comments.all()} == {"baseline": "Add macro-F1."}

    def test_approving_a_draft_is_refused(self, proposal, people):
        with pytest.raises(ValidationError, match="Only a submitted proposal can be reviewed; this one is draft"):
            services.review_proposal(proposal, by=people.instructor, decision="approved")
        proposal.refresh_from_db()
        assert proposal.status == "draft"

    def test_a_student_cannot_approve(self, submitted, people):
        for student in (people.member, people.outsider):
            with pytest.raises(PermissionDenied):
                services.review_proposal(submitted, by=student, decision="approved")
        submitted.refresh_from_db()
        assert submitted.status == "submitted"

    def test_an_approved_proposal_cannot_be_reviewed_or_edited_again(self, submitted, people):
        services.review_proposal(submitted, by=people.instructor, decision="approved")
        with pytest.raises(ValidationError, match="this one is approved"):
            services.review_proposal(submitted, by=people.ta, decision="needs_revision", comment="Wait")
        with pytest.raises(ValidationError, match="approved; it can no longer be changed"):
            services.save_draft(submitted, {"goal": "new"}, by=people.member)

    def test_asking_for_a_revision_needs_a_comment(self, submitted, people):
        with pytest.raises(ValidationError, match="Say what to change"):
            services.review_proposal(submitted, by=people.ta, decision="needs_revision")

    def test_a_comment_on_an_unknown_section_is_refused(self, submitted, people):
        with pytest.raises(ValidationError, match="no section “nope”"):
            services.review_proposal(submitted, by=people.ta, decision="approved", section_comments={"nope": "x"})

    def test_a_review_of_an_older_revision_is_refused(self, submitted, people):
        with pytest.raises(ValidationError, match="Revision 1 is the latest"):
            services.review_proposal(submitted, by=people.ta, decision="approved", revision_number=0)

    def test_two_reviewers_at_once_only_one_decides(self, submitted, people):
        stale = Proposal.objects.get(pk=submitted.pk)
        services.review_proposal(submitted, by=people.ta, decision="approved")
        with pytest.raises(ValidationError):
            services.review_proposal(stale, by=people.instructor, decision="needs_revision", comment="No")
        assert submitted.reviews.count() == 1
        assert ProposalEvent.objects.filter(proposal=submitted, kind="approved").count() == 1

    def test_resubmitting_without_changes_is_refused(self, submitted, people):
        services.review_proposal(submitted, by=people.ta, decision="needs_revision", comment="More detail")
        with pytest.raises(ValidationError, match="Nothing has changed since revision 1"):
            services.submit_proposal(submitted, by=people.member)

    def test_the_team_is_notified_of_the_decision(self, submitted, people):
        services.review_proposal(submitted, by=people.ta, decision="approved")
        notified = set(Notification.objects.filter(verb="proposal_approved").values_list("user__email", flat=True))
        assert notified == {"mia@example.com", "tess@example.com"}


class TestLateness:
    def test_a_first_submission_after_the_deadline_is_accepted_and_marked_late(self, dated, proposal, people):
        revision = services.submit_proposal(proposal, by=people.member, now=at(2026, 9, 19, 0, 5))
        proposal.refresh_from_db()
        assert revision.late and proposal.late and proposal.status == "submitted"

    def test_on_time_is_not_late(self, dated, proposal, people):
        revision = services.submit_proposal(proposal, by=people.member, now=at(2026, 9, 18, 23, 58))
        proposal.refresh_from_db()
        assert not revision.late and not proposal.late

    def test_a_requested_revision_after_the_deadline_is_not_late(self, dated, proposal, people):
        services.submit_proposal(proposal, by=people.member, now=at(2026, 9, 17, 12))
        services.review_proposal(proposal, by=people.ta, decision="needs_revision", comment="More")
        services.save_draft(proposal, {"goal": "Sharper goal."}, by=people.member)
        second = services.submit_proposal(proposal, by=people.member, now=at(2026, 9, 25, 12))
        proposal.refresh_from_db()
        assert not second.late and not proposal.late

    def test_no_deadline_is_never_late(self, proposal, people):
        assert not services.submit_proposal(proposal, by=people.member, now=at(2030, 1, 1, 0, 0)).late


class TestDrafts:
    def test_a_teammates_newer_save_is_not_overwritten(self, proposal, people):
        version = proposal.draft_sections.get(key="goal").version
        services.save_draft(proposal, {"goal": "Tess's goal"}, by=people.teammate, versions={"goal": version})
        with pytest.raises(services.DraftConflict) as caught:
            services.save_draft(proposal, {"goal": "Mia's goal"}, by=people.member, versions={"goal": version})
        assert "Goal of the project" in str(caught.value.messages)
        assert caught.value.current["goal"].body == "Tess's goal"
        assert proposal.draft_sections.get(key="goal").body == "Tess's goal"

    def test_saving_unchanged_text_keeps_the_version(self, proposal, people):
        before = proposal.draft_sections.get(key="goal").version
        services.save_draft(proposal, {"goal": FULL_TEXT["goal"]}, by=people.member, versions={"goal": before})
        assert proposal.draft_sections.get(key="goal").version == before

    def test_an_unknown_section_is_refused(self, proposal, people):
        with pytest.raises(ValidationError, match="no section “secret”"):
            services.save_draft(proposal, {"secret": "x"}, by=people.member)

    def test_only_the_team_saves(self, proposal, people):
        for user in (people.outsider, people.ta, people.instructor):
            with pytest.raises(PermissionDenied):
                services.save_draft(proposal, {"goal": "hijacked"}, by=user)

    def test_a_submitted_proposal_is_not_edited(self, submitted, people):
        with pytest.raises(ValidationError, match="waiting for review"):
            services.save_draft(submitted, {"goal": "x"}, by=people.member)

    def test_too_long_text_is_refused(self, proposal, people):
        with pytest.raises(ValidationError, match="the limit is 20,000"):
            services.save_draft(proposal, {"goal": "x" * 20_001}, by=people.member)

    def test_a_section_a_teammate_saved_first_is_not_overwritten(self, people):
        p = services.start_proposal(people.team, by=people.member)
        services.save_draft(p, {"goal": "Tess was first"}, by=people.teammate, versions={"goal": 0})
        with pytest.raises(services.DraftConflict):
            services.save_draft(p, {"goal": "Mia's"}, by=people.member, versions={"goal": 0})
