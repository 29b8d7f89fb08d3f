"""Markup in every text field people can fill in, then every page of the site read by every
persona: nothing they wrote may reach the browser as live HTML.

The world is written through the services (the one write path of pages and API), with a payload
in each free-text field: names, course title, team name, idea and wishes, board post, request and
invitation messages, the reason to work alone, proposal template, sections, comments and review,
weekly updates and comments, challenge title and instructions, hints, benchmark names, submission
file names and disqualification reasons, peer-evaluation titles and comments, grade item names.
Escaped text (`&lt;script&gt;`) and Markdown sanitized by nh3 are fine; a `<script>` element, an
event-handler attribute or a `javascript:` link is not.
"""

import logging
import re

import pytest

from courses.models import Role
from grading import services as grading
from grading.models import Dimension
from labeling import services as labeling
from labeling.models import Hint, Submission
from proposals import services as proposals
from teams import services as teams
from tests.authz.matrix import PERSONAS, Caller, project_routes, url_for
from tests.conftest import enroll, make_user
from tests.labeling.factories import make_challenge, make_scored_submission

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)><a href="javascript:alert(2)">j</a>'
MARKDOWN_PAYLOAD = PAYLOAD + "\n\n[click](javascript:alert(3)) <iframe src=//evil></iframe> <svg onload=alert(4)>"

LIVE_MARKUP = [
    re.compile(r"<script[^>]*>\s*alert", re.I),
    re.compile(r"<(?:img|svg|a|iframe|body|div)\b[^>]*\son\w+\s*=", re.I),
    re.compile(r"""<a\b[^>]*href\s*=\s*["']?\s*javascript:""", re.I),
    re.compile(r"<iframe\b", re.I),
]


class MarkupWorld:
    """The standard people, with payloads in every text field (kept short enough for each limit)."""

    def __init__(self, people):
        from tests.authz.world import World

        self.base = World(people)  # one of every object, so every URL resolves
        course = people.course
        p = PAYLOAD
        course.title, course.term = "Course " + p[:150], "Term " + p[:40]
        course.save()
        people.outsider.first_name, people.outsider.last_name = p[:150], p[:150]
        people.outsider.save()
        self.rita = self.base.rita
        solo_user = enroll(make_user("solo@example.com", "Solo Student"), course, Role.STUDENT)
        # Teams: a team named with markup, its idea and wishes, a board post, messages, a solo reason.
        self.team = teams.create_team(course, solo_user, name="T " + p[:70], idea=p, looking_for=p)
        teams.request_solo(self.team, solo_user, reason=p)
        teams.save_board_post(
            course, self.rita, interests=p[:300], skills=p[:300], project_idea=p, text=MARKDOWN_PAYLOAD
        )
        teams.edit_team(self.base.team, people.member, idea=p, looking_for=p)
        teams.request_to_join(self.base.other_team, people.outsider, p)
        # Proposals: the template, a submitted revision, a classmate's comment, a review with section notes.
        sections = proposals.template_sections(course)
        specs = [
            proposals.SectionSpec(title=s.title, prompt=s.prompt, required=s.required, key=s.key) for s in sections
        ]
        specs.append(proposals.SectionSpec(title="Extra " + p[:150], prompt=p))
        proposals.update_proposal_template(course, specs, by=people.instructor)
        # Weekly updates and comments.
        update = self.base.update
        proposals.comment_on_update(update, by=people.teammate, body=MARKDOWN_PAYLOAD)
        fields = {"did": MARKDOWN_PAYLOAD, "next_steps": p, "blockers": p, "links": p}
        proposals.post_weekly_update(self.base.team, 2, fields, by=people.member)
        proposals.comment_on_proposal(self.base.proposal, by=people.teammate, body=MARKDOWN_PAYLOAD)
        keys = [s.key for s in sections]
        proposals.review_proposal(
            self.base.proposal,
            by=people.instructor,
            decision="needs_revision",
            comment=MARKDOWN_PAYLOAD,
            section_comments={keys[0]: MARKDOWN_PAYLOAD},
        )
        proposals.save_draft(self.base.proposal, {k: MARKDOWN_PAYLOAD for k in keys}, by=people.member)
        # Labeling: a challenge with markup in its title and instructions, hints, a benchmark, a submission.
        challenge = make_challenge(course, slug="markup", title="C " + p[:150], instructions=MARKDOWN_PAYLOAD)
        Hint.objects.create(challenge=challenge, order=1, text=MARKDOWN_PAYLOAD)
        make_scored_submission(challenge, benchmark_name="B " + p[:90])
        sub = make_scored_submission(challenge, people.member)
        Submission.objects.filter(pk=sub.pk).update(original_filename=p[:200])  # as an upload could name it
        labeling.disqualify_submission(sub, people.instructor, reason=p[:300])
        self.challenge = challenge
        # Grading: an evaluation's title, a student's team and confidential comments, a grade item's name.
        ev = self.base.evaluation
        grading.update_evaluation(ev, title="E " + p[:90], opens_at=ev.opens_at, closes_at=ev.closes_at)
        scores = {u.pk: dict.fromkeys(Dimension.values, 4) for u in grading.team_users(self.base.team)}
        grading.answer_evaluation(ev, people.member, self.base.team, scores, team_comment=p, confidential_comment=p)
        grading.create_grade_item(course, name="G " + p[:90], weight=5, max_points=10, team_component=False)


def live_markup(html: str) -> list[str]:
    return [m.group(0)[:80] for rx in LIVE_MARKUP for m in rx.finditer(html)]


@pytest.fixture
def quiet_requests():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def test_no_page_renders_markup_anyone_wrote(people, quiet_requests):
    world = MarkupWorld(people)
    caller = Caller(people)
    from tests.authz.matrix import world_kwargs

    kwargs = world_kwargs(world.base)
    pages, findings = 0, []
    urls = {url_for(r, world.base, kwargs) for r in project_routes() if not r.is_admin and not r.is_api}
    # The markup world's own challenge pages, beside the base world's.
    extra = [f"/courses/{people.course.slug}/challenges/markup/{tail}" for tail in ("", "leaderboard/", "submissions/")]
    for url in sorted(urls | set(extra)):
        for persona in PERSONAS:
            response = caller.clients[persona, False].get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            html = response.content.decode()
            findings += [f"GET {url} as {persona}: {m}" for m in live_markup(html)]
    assert pages > 150, f"only {pages} pages were read"
    assert not findings, "Live markup in pages:\n" + "\n".join(sorted(set(findings)))


def test_the_payload_is_shown_as_text(people, client_for):
    """The markup is not dropped silently either: the team's idea is shown, escaped."""
    world = MarkupWorld(people)
    page = client_for(people.instructor).get(f"/courses/{people.course.slug}/teams/{world.team.pk}/").content.decode()
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page


def test_the_detector_finds_live_markup_and_ignores_escaped_text():
    import html

    assert len(live_markup(MARKDOWN_PAYLOAD)) >= 4
    assert live_markup(html.escape(MARKDOWN_PAYLOAD)) == []
