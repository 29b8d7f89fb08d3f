"""The demo course's peer evaluations: a finished one, released, whose answers raise one of each flag
(a team split in two camps, an over-confident member rated low by everyone who gives everyone the same
score, an under-confident one, a team where one member did not answer); and an open one to answer."""

import datetime

from django.utils import timezone

from courses.notifications import without_email
from grading import services
from grading.models import Dimension

MIXED = {"contributing": 4, "interacting": 4, "on_track": 3, "quality": 4, "knowledge": 3}


def _answer(evaluation, rater, team, score_of, now, **comments):
    members = services.team_users(team)
    scores = {}
    for u in members:
        value = score_of(u)
        scores[u.pk] = dict(value) if isinstance(value, dict) else dict.fromkeys(Dimension.values, value)
    services.answer_evaluation(evaluation, rater, team, scores, now=now, **comments)


def seed(course, people):
    with without_email():
        _seed(course, people)


def _seed(course, people):
    teams = {t.name: t for t in course.teams.all()}
    now = timezone.now()
    final = services.create_evaluation(
        course, title="Mid-project check-in", opens_at=now - datetime.timedelta(days=4),
        closes_at=now - datetime.timedelta(hours=2), by=people["instructor"],
    )  # fmt: skip
    at = now - datetime.timedelta(days=2)

    # Pixel Pushers: two camps (Amara and Ben vs Chen and Dana) rate their own camp 5 and the other 2.
    pixel = teams.get("Pixel Pushers")
    if pixel:
        a, b, c, d = services.team_users(pixel)[:4]
        camp = {a.pk: 0, b.pk: 0, c.pk: 1, d.pk: 1}
        for rater in (a, b, c, d):
            _answer(final, rater, pixel,
                    lambda u, r=rater: 3 if u == r else (5 if camp[u.pk] == camp[r.pk] else 2), at,
                    team_comment="We should split the work more evenly between the app and the model.")  # fmt: skip

    # Gradient Descenders: Grace is rated 2 by both teammates, rates herself 5 and both of them 4.
    gradient = teams.get("Gradient Descenders")
    if gradient:
        members = services.team_users(gradient)
        low = members[-1]
        for rater in members:
            if rater == low:
                _answer(final, rater, gradient, lambda u: 5 if u == low else 4, at)
            else:
                _answer(final, rater, gradient, lambda u, low=low: 2 if u == low else 4, at,
                        team_comment="Good progress on the transcripts pipeline.",
                        confidential_comment=f"{low.first_name} missed the last three meetings.")  # fmt: skip

    # Noisy Labels: Hugo rates himself 2 although his teammate gives him 4.
    noisy = teams.get("Noisy Labels")
    if noisy:
        h, i = services.team_users(noisy)[:2]
        _answer(final, h, noisy, lambda u: 2 if u == h else 4, at, team_comment="Thanks for the EM derivation!")
        _answer(final, i, noisy, lambda u: 4, at)

    # Attention Span: everyone but one answered.
    attention = teams.get("Attention Span")
    if attention:
        for rater in services.team_users(attention)[:-1]:
            _answer(final, rater, attention, lambda u: MIXED, at)

    services.release_evaluation(final)
    services.create_evaluation(
        course, title="Final peer evaluation", opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=6), by=people["instructor"],
    )  # fmt: skip
