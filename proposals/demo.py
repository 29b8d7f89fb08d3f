"""The demo course's proposals and weekly updates, written through the services with past timestamps.

One proposal approved after a revision, one waiting for a revision with comments on its
sections, one still a draft; three weeks of updates with one missing and one late.
"""

import datetime

from proposals import services
from proposals.weeks import course_week

PROPOSALS = [
    {
        "project-title": "LeafDoctor: spotting plant diseases from a phone photo",
        "team": "Four of us: data collection and cleaning, model training, the web app, and evaluation.",
        "goal": "Home gardeners photograph a sick leaf and learn which of 38 diseases it most likely has, "
        "with a confidence and a link to treatment advice.",
        "dataset": "PlantVillage (54,000 labeled leaf images, CC BY-SA) plus ~300 photos we take ourselves "
        "in the university greenhouse to test on real backgrounds.",
        "baseline": "A logistic regression on colour histograms, and a frozen ResNet-18 with a linear head. "
        "We report top-1 accuracy and macro-F1 on our own greenhouse photos, not only on PlantVillage.",
        "model": "Fine-tuned EfficientNet-B0, cross-entropy with label smoothing 0.1; heavy augmentation "
        "(random crops, colour jitter, background replacement) to close the lab-to-garden gap.",
        "end-result": "A small web app: upload a photo, see the top-3 diseases with confidences and a "
        "Grad-CAM heat map of the leaf.",
        "stretch-goal": "Run the model in the browser with ONNX so photos never leave the phone.",
    },
    {
        "project-title": "Lecture TL;DR",
        "team": "Three of us; everyone does a bit of everything.",
        "goal": "Summarise recorded lectures into one page of notes with timestamps.",
        "dataset": "We will find some lecture videos online.",
        "baseline": "We will compare to ChatGPT.",
        "model": "A transformer.",
        "end-result": "A website where you paste a YouTube link and get notes.",
        "stretch-goal": "",
    },
    {
        "project-title": "Cleaning crowd labels with EM",
        "team": "Two of us.",
        "goal": "Compare label aggregation methods on noisy crowd-sourced labels.",
    },
]

REVISION_1_OF_FIRST = {
    "baseline": "A frozen ResNet-18 with a linear head; we report accuracy.",
    "model": "Fine-tuned EfficientNet-B0 with cross-entropy.",
}

NEEDS_REVISION_COMMENTS = {
    "comment": "A good topic, but the plan is too vague to start on. Please make the data and the "
    "evaluation concrete; see the comments on the sections.",
    "sections": {
        "dataset": "Which lectures, how many hours, and under what license? Do they come with transcripts "
        "or slides you can use as reference summaries?",
        "baseline": "“Compare to ChatGPT” is not a baseline you can measure. Start with a lead-N or TextRank "
        "summary and report ROUGE against reference notes you write for 5 lectures.",
        "model": "Which transformer (BART, Pegasus, a small instruction-tuned model)? Lectures are long: "
        "how will you handle inputs beyond the context length?",
    },
}

UPDATES = {
    1: ("Set up the repository, agreed on the data split, and downloaded the dataset.", "Train the first baseline."),
    2: ("Trained the baseline; accuracy is 71% on the validation split.", "Fine-tune a pretrained model."),
    3: ("Fine-tuning is running; first results beat the baseline by 12 points.", "Error analysis and the demo UI."),
}


def _at(day: datetime.date, hour: int, tz) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)


def seed(course, people):
    """Add this app's part of the demo course. `people` maps role names to users (see courses.demo)."""
    with services.without_email():
        _seed(course, people)


def _seed(course, people):
    teams = [t for t in course.teams.prefetch_related("memberships__user").order_by("id") if t.memberships.count() >= 2]
    if not teams or not course.start_date:
        return
    start, tz = course.start_date, course.tz
    instructor, ta = people["instructor"], people["ta"]
    members = {t.pk: [m.user for m in t.memberships.all()] for t in teams}

    # The first team: revision 1, a revision asked for, revision 2, approved.
    if len(teams) >= 1:
        team, (a, b, *_) = teams[0], members[teams[0].pk]
        text = PROPOSALS[0]
        p = services.start_proposal(team, by=a, now=_at(start, 9, tz))
        services.save_draft(p, {**text, **REVISION_1_OF_FIRST}, by=a, now=_at(start + datetime.timedelta(2), 20, tz))
        services.submit_proposal(p, by=a, now=_at(start + datetime.timedelta(3), 10, tz))
        services.review_proposal(
            p,
            by=ta,
            decision="needs_revision",
            comment="Nice scope. Tighten the evaluation before you start.",
            section_comments={
                "baseline": "Accuracy alone hides the rare diseases: add macro-F1, and test on photos "
                "that are not from PlantVillage.",
                "model": "Say which loss and how you will deal with the lab-to-garden domain gap.",
            },
            now=_at(start + datetime.timedelta(4), 11, tz),
        )
        services.save_draft(p, text, by=b, now=_at(start + datetime.timedelta(5), 18, tz))
        services.submit_proposal(p, by=b, now=_at(start + datetime.timedelta(6), 9, tz))
        services.review_proposal(
            p,
            by=instructor,
            decision="approved",
            comment="Approved. The greenhouse test set is a great idea.",
            now=_at(start + datetime.timedelta(8), 14, tz),
        )

    # The second team: submitted once, sent back with comments on three sections.
    if len(teams) >= 2:
        team, (a, *_) = teams[1], members[teams[1].pk]
        p = services.start_proposal(team, by=a, now=_at(start + datetime.timedelta(7), 9, tz))
        services.save_draft(p, PROPOSALS[1], by=a, now=_at(start + datetime.timedelta(8), 22, tz))
        services.submit_proposal(p, by=a, now=_at(start + datetime.timedelta(9), 8, tz))
        services.review_proposal(
            p,
            by=instructor,
            decision="needs_revision",
            comment=NEEDS_REVISION_COMMENTS["comment"],
            section_comments=NEEDS_REVISION_COMMENTS["sections"],
            now=_at(start + datetime.timedelta(10), 16, tz),
        )

    # The third team: a draft in progress, private to the team.
    if len(teams) >= 3:
        team, (a, *_) = teams[2], members[teams[2].pk]
        p = services.start_proposal(team, by=a, now=_at(start + datetime.timedelta(12), 9, tz))
        services.save_draft(p, PROPOSALS[2], by=a, now=_at(start + datetime.timedelta(12), 10, tz))

    everyone = [t for t in course.teams.prefetch_related("memberships__user").order_by("id") if t.memberships.count()]
    members.update({t.pk: [m.user for m in t.memberships.all()] for t in everyone})
    _seed_updates(course, teams, everyone, members, people)


def _seed_updates(course, teams, everyone, members, people):
    """Weeks 1–3 for every team: the second team (`teams[1]`) misses week 2 and posts week 3 late."""
    posted = {}
    slow = teams[1] if len(teams) >= 2 else None
    for i, team in enumerate(everyone):
        for week_number, (did, nxt) in UPDATES.items():
            if team == slow and week_number == 2:
                continue  # the missing one
            week = course_week(course, week_number)
            late = team == slow and week_number == 3
            at = week.due + datetime.timedelta(hours=5) if late else week.due - datetime.timedelta(hours=20 - i)
            author = members[team.pk][week_number % len(members[team.pk])]
            fields = {
                "did": f"{did}\n\n- {team.idea or 'Project work'}",
                "next_steps": nxt,
                "blockers": "GPU quota on the cluster runs out on Fridays." if week_number == 2 else "",
                "links": f"Validation accuracy: **{0.6 + 0.08 * week_number:.2f}**",
            }
            posted[(team.pk, week_number)] = services.post_weekly_update(team, week_number, fields, by=author, now=at)

    first = posted.get((teams[0].pk, 3))
    if first:
        at = first.created_at + datetime.timedelta(hours=3)
        question = services.comment_on_update(
            first, by=people["ta"], body="12 points is a lot: is the split by plant, or could leaves leak?", now=at
        )
        services.comment_on_update(
            first,
            by=members[teams[0].pk][0],
            body="Split by plant ID: we checked, no plant is in both.",
            parent=question,
            now=at + datetime.timedelta(hours=2),
        )
    if len(teams) >= 3:
        third = posted[(teams[2].pk, 2)]
        services.comment_on_update(
            third,
            by=members[teams[0].pk][1],
            body="We had the same GPU problem: the night queue is much emptier.",
            now=third.created_at + datetime.timedelta(hours=6),
        )
