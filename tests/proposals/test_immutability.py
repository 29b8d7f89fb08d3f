"""Submitted revisions (and reviews) are written once: code, the ORM and the database all refuse changes."""

import pytest
from django.db import IntegrityError, transaction

from proposals import services
from proposals.models import (
    ImmutableRowError,
    ProposalRevision,
    Review,
    ReviewSectionComment,
    RevisionSection,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(submitted, people):
    services.review_proposal(submitted, by=people.ta, decision="needs_revision", section_comments={"goal": "Why?"})
    return submitted


class TestRevisionsNeverChange:
    def test_editing_the_draft_and_submitting_again_leaves_revision_1_as_it_was(self, reviewed, people):
        first = {s.key: s.body for s in ProposalRevision.objects.get(proposal=reviewed, number=1).sections.all()}
        services.save_draft(reviewed, {"goal": "A sharper goal."}, by=people.member)
        services.submit_proposal(reviewed, by=people.member)
        again = {s.key: s.body for s in ProposalRevision.objects.get(proposal=reviewed, number=1).sections.all()}
        second = {s.key: s.body for s in ProposalRevision.objects.get(proposal=reviewed, number=2).sections.all()}
        assert again == first
        assert second["goal"] == "A sharper goal." and first["goal"] != second["goal"]

    def test_saving_a_loaded_revision_raises(self, submitted):
        revision = submitted.revisions.get()
        revision.late = True
        with pytest.raises(ImmutableRowError):
            revision.save()
        section = revision.sections.first()
        section.body = "rewritten"
        with pytest.raises(ImmutableRowError):
            section.save()

    def test_the_database_refuses_an_update_of_a_revision(self, submitted):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProposalRevision.objects.filter(proposal=submitted).update(late=True)
        assert not submitted.revisions.get().late

    def test_the_database_refuses_an_update_of_a_section(self, submitted):
        with pytest.raises(IntegrityError), transaction.atomic():
            RevisionSection.objects.filter(revision__proposal=submitted).update(body="rewritten")
        assert not RevisionSection.objects.filter(body="rewritten").exists()

    def test_the_database_refuses_an_update_of_a_review_or_its_comments(self, reviewed):
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.filter(proposal=reviewed).update(decision="approved")
        with pytest.raises(IntegrityError), transaction.atomic():
            ReviewSectionComment.objects.filter(review__proposal=reviewed).update(body="nicer words")
        assert reviewed.reviews.get().decision == "needs_revision"

    def test_a_deleted_author_only_clears_the_author(self, submitted, people):
        people.member.delete()
        revision = submitted.revisions.get()
        assert revision.author is None
        assert revision.sections.count() == 8

    def test_a_dissolved_team_leaves_its_proposal_and_revisions(self, submitted, people):
        people.team.delete()
        submitted.refresh_from_db()
        assert submitted.team is None and submitted.team_name == "Gradient Gang"
        assert submitted.revisions.count() == 1
