"""One course with one of everything, made through each app's services, for the authorization matrix
and the bad-input tests: the standard people (tests/conftest.py) plus a pending join request, an
invitation, a board post, a placement plan, a submitted proposal with a review comment, a weekly
update with a comment, a challenge with an input, a hint and a scored submission, an open peer
evaluation the teammate has answered (with comments) and a staff-entered grade item."""

from __future__ import annotations

import datetime

from django.utils import timezone

from courses.models import Role
from grading import services as grading
from grading.models import Dimension
from labeling.models import Hint
from proposals import services as proposals
from teams import bulk
from teams import services as teams
from tests.conftest import enroll, make_user
from tests.labeling.factories import make_challenge, make_scored_submission, seed_files

# Strings only some people may ever see: tests/authz/test_leaks.py looks for them in every response.
SECRET_GOLD_KEY = "zzsecretgoldadjective"
SECRET_HINT = "SECRET-HINT-NOT-YET-REVEALED"
SECRET_CODE = "SECRET-CODE-OF-MIA"
SECRET_DRAFT = "SECRET-DRAFT-OF-OLGA"
SECRET_PRIVATE_SCORE = 0.8765
SECRET_CONFIDENTIAL = "SECRET-CONFIDENTIAL-COMMENT-OF-TESS"
SECRET_TEAM_COMMENT = "SECRET-TEAM-COMMENT-NOT-RELEASED"


class World:
    """The objects every URL's kwargs point at. `people` is tests/conftest.py's cast."""

    def __init__(self, people):
        self.people = people
        course = self.course = people.course
        today = timezone.localdate()
        course.start_date = today - datetime.timedelta(days=14)
        course.end_date = today + datetime.timedelta(days=40)
        course.save()
        # Classmates who are not one of the six personas: Rita is invited; Olga has a team with a draft.
        self.rita = enroll(make_user("rita@example.com", "Rita Requester"), course, Role.STUDENT)
        self.olga = enroll(make_user("olga@example.com", "Olga Other"), course, Role.STUDENT)
        self.other_team = teams.create_team(course, self.olga, name="Other Team", idea="Birds.")
        self.team = people.team
        self.board_post = teams.save_board_post(course, people.outsider, interests="vision", skills="pytorch")
        self.join_request = teams.request_to_join(self.team, people.outsider, "Can I join?")
        self.invitation = teams.invite_student(self.team, people.member, self.rita, "Join us!")
        self.membership = people.outsider.memberships.get(course=course)
        self.plan = bulk.propose_placement(course, people.instructor)

        self.proposal = proposals.start_proposal(self.team, by=people.member)
        keys = [s.key for s in proposals.template_sections(course)]
        proposals.save_draft(self.proposal, {k: f"Text of {k}." for k in keys}, by=people.member)
        self.revision = proposals.submit_proposal(self.proposal, by=people.member)
        self.proposal_comment = proposals.comment_on_proposal(self.proposal, by=people.outsider, body="Nice idea.")
        self.update = proposals.post_weekly_update(
            self.team, 1, {"did": "Data loading.", "next_steps": "A baseline."}, by=people.member
        )
        self.update_comment = proposals.comment_on_update(self.update, by=people.outsider, body="Looks good.")
        self.draft = proposals.start_proposal(self.other_team, by=self.olga)
        proposals.save_draft(self.draft, {keys[0]: SECRET_DRAFT}, by=self.olga)

        _, gold = seed_files()
        gold = gold.rstrip(b"\n") + f"\n1,{SECRET_GOLD_KEY},False\n".encode()
        self.challenge = make_challenge(course, gold=gold)
        self.input_name = self.challenge.inputs.get().name
        self.hint = Hint.objects.create(challenge=self.challenge, order=1, text=SECRET_HINT, reveal_on_click=True)
        self.submission = make_scored_submission(
            self.challenge,
            people.member,
            public_score=0.91,
            private_score=SECRET_PRIVATE_SCORE,
            code=f"# {SECRET_CODE}\nprint('hello')\n".encode(),
        )

        now = timezone.now()
        self.evaluation = grading.create_evaluation(
            course, title="Mid-project", opens_at=now - datetime.timedelta(days=1),
            closes_at=now + datetime.timedelta(days=2), by=people.instructor,
        )  # fmt: skip
        members = grading.team_users(self.team)
        grading.answer_evaluation(
            self.evaluation, people.teammate, self.team,
            {u.pk: dict.fromkeys(Dimension.values, 3 if u == people.member else 4) for u in members},
            team_comment=SECRET_TEAM_COMMENT, confidential_comment=SECRET_CONFIDENTIAL,
        )  # fmt: skip
        self.grade_item = grading.create_grade_item(
            course, name="Final demo", weight=20, max_points=50, team_component=True
        )
        grading.record_grades(self.grade_item, {people.member.pk: 41.5})
