"""A proposal in the browser: the team writes and submits it, an instructor comments on a section
and asks for a revision, the team revises, the instructor reads the diff and approves."""

import pytest
from playwright.sync_api import expect

from proposals.models import Proposal, ProposalStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_proposal_is_revised_and_approved(people, open_as, shots):
    course = people.course
    base = f"/courses/{course.slug}/proposals"

    # Mia starts the team's proposal from the Proposals page and writes every section.
    mia = open_as(people.member, f"/courses/{course.slug}/")
    mia.get_by_role("navigation", name="Course").get_by_role("link", name="Proposals").click()
    expect(mia.get_by_text("Gradient Gang has not started its proposal.")).to_be_visible()
    shots(mia, "index-not-started")
    mia.get_by_role("link", name="Start writing").click()
    expect(mia.get_by_text("This is your team's draft.")).to_be_visible()
    mia.get_by_role("link", name="Continue writing").click()
    bodies = mia.locator("textarea[name^='body_']")
    expect(bodies.first).to_be_visible()
    for i in range(bodies.count()):
        bodies.nth(i).fill(f"Section {i + 1}: we will write this **carefully**.")
    dataset = mia.locator("#id_body_dataset")
    dataset.fill("We will use *ImageNet*.\nAbout 1.2M images.")
    mia.locator("#section-dataset").get_by_role("button", name="Preview").click()
    expect(mia.locator("#preview-dataset em")).to_have_text("ImageNet")  # rendered Markdown, via htmx
    shots(mia, "editor")
    mia.get_by_role("button", name="Save draft").click()
    expect(mia.locator(".messages")).to_be_visible()
    shots(mia, "draft-saved")

    # Otto, a classmate, cannot see the draft: not in the list, and not by its address.
    proposal = Proposal.objects.get(team=people.team)
    otto = open_as(people.outsider, f"{base}/")
    expect(otto.get_by_text("No other team has submitted a proposal yet.")).to_be_visible()
    shots(otto, "classmate-index")
    assert otto.goto(f"{base}/{proposal.pk}/").status == 404
    expect(otto.get_by_text("ImageNet")).to_have_count(0)

    mia.goto(f"{base}/{proposal.pk}/edit/")
    mia.get_by_role("button", name="Save and submit revision 1").click()
    expect(mia.get_by_text("Submitted and waiting for review.")).to_be_visible()
    shots(mia, "submitted")

    # The instructor comments on the dataset section and asks for a revision.
    ines = open_as(people.instructor, f"{base}/")
    ines.get_by_role("link", name="Gradient Gang").first.click()
    ines.get_by_role("link", name="Review").first.click()
    expect(ines.get_by_role("heading", name="Review revision 1 of Gradient Gang's proposal")).to_be_visible()
    ines.locator("#id_comment_dataset").fill("How will you **label** the images?")
    ines.locator("#id_comment").fill("Good start; see the dataset section.")
    ines.get_by_label("Needs revision").check()
    shots(ines, "review-form")
    ines.get_by_role("button", name="Send the review").click()
    expect(ines.get_by_text("Revision requested").first).to_be_visible()
    shots(ines, "review-sent")

    # The team sees the comment next to the section and revises.
    mia.goto(f"{base}/{proposal.pk}/")
    expect(mia.get_by_text("The reviewers asked for a revision.")).to_be_visible()
    feedback = mia.get_by_role("complementary", name="Reviewer's comment on Dataset you will use or collect")
    expect(feedback).to_contain_text("How will you label the images?")
    shots(mia, "needs-revision")
    mia.get_by_role("link", name="Revise the proposal").click()
    expect(mia.locator("#section-dataset aside.feedback")).to_contain_text("label")
    mia.locator("#id_body_dataset").fill("We will use *ImageNet*.\nAbout 1.2M images.\nLabels come from its synsets.")
    mia.get_by_role("button", name="Save and submit revision 2").click()
    expect(mia.get_by_text("Submitted and waiting for review.")).to_be_visible()

    # The instructor reads the diff and approves.
    ines.goto(f"{base}/{proposal.pk}/review/")
    ines.get_by_role("link", name="See what changed since revision 1").click()
    heading = ines.get_by_role("heading", name="Dataset you will use or collect")
    changed = ines.locator("section.diff-section", has=heading)
    expect(changed.locator("tr.insert, tr.replace, .ins").first).to_contain_text("Labels come from its synsets.")
    expect(ines.locator("section.diff-section.diff-unchanged").first).to_be_visible()
    shots(ines, "diff")
    ines.goto(f"{base}/{proposal.pk}/review/")
    ines.get_by_label("Approve").check()
    ines.get_by_role("button", name="Send the review").click()
    expect(ines.get_by_text("Approved").first).to_be_visible()
    shots(ines, "approved")
    mia.goto(f"{base}/")
    expect(mia.locator("section.panel").first).to_contain_text("Approved")
    shots(mia, "team-sees-approved")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.revision_count) == (ProposalStatus.APPROVED, 2)
