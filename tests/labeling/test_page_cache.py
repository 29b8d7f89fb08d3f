"""The leaderboard and the challenge page come from the page cache, and show every write on the
next request: scores from the scorer, disqualifications, picks, closing, renames, bulk updates.

These tests commit (transaction=True): the cache is used only outside a transaction, as page
views run, and the version stamps change when a write commits (PostgreSQL) or at once (SQLite).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from labeling import hints as hint_rules
from labeling import leaderboard as lb
from labeling import services, views
from labeling.models import Hint, Status, Submission
from labeling.scoring import Scores
from teams.models import Team, TeamMembership
from tests.labeling.factories import make_challenge, make_scored_submission
from tests.perf.page_cache import cached_visit, track_builds, visit, watched_tables

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def built(monkeypatch) -> list[str]:
    return track_builds(monkeypatch)


T0 = timezone.now() - datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def challenge(people):
    challenge = make_challenge(people.course)
    make_scored_submission(challenge, people.member, public_score=0.90, private_score=0.80, created_at=at(1))
    make_scored_submission(challenge, people.outsider, public_score=0.85, private_score=0.95, created_at=at(2))
    return challenge


def board_url(challenge, **query) -> str:
    url = reverse("labeling:leaderboard", args=[challenge.course.slug, challenge.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def challenge_url(challenge) -> str:
    return reverse("labeling:challenge", args=[challenge.course.slug, challenge.slug])


def score_through_the_scorer(challenge, user, public: float) -> Submission:
    """A queued row, then the scorer's own write path: claim, finish with scores."""
    sub = make_scored_submission(challenge, user, status=Status.QUEUED, created_at=timezone.now())
    claim = services.claim_submission(sub.pk, "test-worker")
    assert claim is not None
    outcome = services.Outcome(Status.SCORED, runtime_s=1.0, scores=Scores(public, public, public))
    assert services.finish_submission(claim, outcome)
    return sub


class TestLeaderboard:
    def test_a_score_stored_by_the_scorer_shows_on_the_next_request(self, built, people, challenge, client_for):
        client = client_for(people.ta)
        assert "0.9900" not in cached_visit(client, board_url(challenge), built)
        score_through_the_scorer(challenge, people.teammate, 0.99)
        page = visit(client, board_url(challenge))
        assert "0.9900" in page and "Tess Teammate" in page

    def test_a_running_submission_does_not_change_the_board_but_its_result_does(
        self, built, people, challenge, client_for
    ):
        client = client_for(people.ta)
        sub = make_scored_submission(challenge, people.teammate, status=Status.QUEUED)
        claim = services.claim_submission(sub.pk, "test-worker")
        cached_visit(client, board_url(challenge), built)
        assert services.heartbeat(claim)  # the scorer's bookkeeping: the cached board still holds
        visit(client, board_url(challenge))
        assert built == []
        services.finish_submission(claim, services.Outcome(Status.SCORED, scores=Scores(0.97, 0.97, 0.97)))
        assert "0.9700" in visit(client, board_url(challenge))

    def test_a_disqualification_and_a_requalification_show_at_once(self, built, people, challenge, client_for):
        client = client_for(people.ta)
        assert "Mia Member" in cached_visit(client, board_url(challenge), built)
        sub = Submission.objects.get(challenge=challenge, submitter=people.member)
        services.disqualify_submission(sub, people.instructor, "Copied.")
        assert "Mia Member" not in cached_visit(client, board_url(challenge), built)
        services.requalify_submission(Submission.objects.get(pk=sub.pk), people.instructor)
        assert "Mia Member" in visit(client, board_url(challenge))

    def test_a_bulk_update_outside_the_services_shows_too(self, built, people, challenge, client_for):
        client = client_for(people.ta)
        cached_visit(client, board_url(challenge), built)
        Submission.objects.filter(challenge=challenge, submitter=people.outsider).update(public_score=0.9876)
        assert "0.9876" in visit(client, board_url(challenge))

    def test_closing_the_challenge_reveals_the_private_board_to_students(self, built, people, challenge, client_for):
        client = client_for(people.outsider)
        page = cached_visit(client, board_url(challenge), built)
        assert "?board=private" not in page
        lb.close_challenge(challenge, people.instructor)
        page = visit(client, board_url(challenge))
        assert "Private (final)" in page and "0.9500" in page

    def test_a_challenge_closing_by_its_time_shows_without_any_write(self, built, people, challenge, client_for):
        type(challenge).objects.filter(pk=challenge.pk).update(closes_at=timezone.now() + datetime.timedelta(seconds=2))
        client = client_for(people.outsider)
        assert "Private (final)" not in cached_visit(client, board_url(challenge), built)
        type(challenge).objects.filter(pk=challenge.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
        assert "Private (final)" in visit(client, board_url(challenge))

    def test_a_renamed_student_shows_under_the_new_name(self, built, people, challenge, client_for):
        client = client_for(people.ta)
        cached_visit(client, board_url(challenge), built)
        people.member.first_name = "Mira"
        people.member.save(update_fields=["first_name"])
        page = visit(client, board_url(challenge))
        assert "Mira Member" in page and "Mia Member" not in page

    def test_a_team_rename_and_a_new_member_show_on_a_team_board(self, built, people, client_for):
        challenge = make_challenge(people.course, participation="team")
        make_scored_submission(challenge, people.member, public_score=0.9)
        client = client_for(people.ta)
        assert "Gradient Gang" in cached_visit(client, board_url(challenge), built)
        Team.objects.filter(pk=people.team.pk).update(name="Loss Landscapers")
        assert "Loss Landscapers" in cached_visit(client, board_url(challenge), built)
        TeamMembership.objects.create(team=people.team, user=people.outsider, course=people.course)
        assert "Otto Outsider" in visit(client, board_url(challenge))

    def test_each_viewer_sees_their_own_row_highlighted_from_the_same_cache(self, built, people, challenge, client_for):
        staff = cached_visit(client_for(people.ta), board_url(challenge), built)
        assert 'badge warn">you' not in staff
        mine = visit(client_for(people.member), board_url(challenge))
        theirs = visit(client_for(people.outsider), board_url(challenge))
        assert _own_row(mine) == "Mia Member"
        assert _own_row(theirs) == "Otto Outsider"

    def test_a_viewer_whose_row_is_on_another_page_is_told_where(
        self, built, people, challenge, client_for, monkeypatch
    ):
        monkeypatch.setattr(lb, "ROWS_PER_PAGE", 1)
        page = cached_visit(client_for(people.outsider), board_url(challenge), built)
        assert "You are <strong>#2</strong>" in page and "page 2" in page
        page2 = visit(client_for(people.outsider), board_url(challenge, page=2))
        assert _own_row(page2) == "Otto Outsider"


def _own_row(html: str) -> str | None:
    """The name in the row marked as the viewer's own (None if no row is)."""
    import re

    found = re.findall(r'<tr class="highlight own[^"]*">.*?<strong>([^<]+)</strong>', html, re.S)
    assert len(found) <= 1
    return found[0] if found else None


class TestChallengePage:
    def test_the_standing_follows_a_new_score(self, built, people, challenge, client_for):
        client = client_for(people.outsider)
        assert "You are <strong>#2</strong>" in cached_visit(client, challenge_url(challenge), built)
        score_through_the_scorer(challenge, people.outsider, 0.95)
        assert "You are <strong>#1</strong>" in visit(client, challenge_url(challenge))

    def test_the_own_submissions_table_follows_new_submissions_and_picks(self, built, people, challenge, client_for):
        client = client_for(people.member)
        cached_visit(client, challenge_url(challenge), built)
        sub = make_scored_submission(challenge, people.member, public_score=0.70)
        page = cached_visit(client, challenge_url(challenge), built)
        assert f'value="{sub.pk}"' in page
        lb.pick_final(challenge, people.member, [sub.pk])
        page = visit(client, challenge_url(challenge))
        assert f'value="{sub.pk}" form="picks-form" checked' in page

    def test_each_student_sees_only_their_own_submissions(self, built, people, challenge, client_for):
        mine = cached_visit(client_for(people.member), challenge_url(challenge), built)
        theirs = cached_visit(client_for(people.outsider), challenge_url(challenge), built)
        member_sub = Submission.objects.get(challenge=challenge, submitter=people.member)
        outsider_sub = Submission.objects.get(challenge=challenge, submitter=people.outsider)
        assert f'value="{member_sub.pk}"' in mine and f'value="{outsider_sub.pk}"' not in mine
        assert f'value="{outsider_sub.pk}"' in theirs and f'value="{member_sub.pk}"' not in theirs

    def test_the_daily_quota_follows_a_submission_and_starts_again_the_next_day(
        self, built, people, challenge, client_for, monkeypatch
    ):
        client = client_for(people.outsider)
        assert "<strong>5 of 5</strong>" in cached_visit(client, challenge_url(challenge), built)
        make_scored_submission(challenge, people.outsider, public_score=0.5)
        assert "<strong>4 of 5</strong>" in cached_visit(client, challenge_url(challenge), built)
        tomorrow = timezone.now() + datetime.timedelta(days=1)
        monkeypatch.setattr(timezone, "now", lambda: tomorrow)
        assert "<strong>5 of 5</strong>" in visit(client, challenge_url(challenge))

    def test_edited_instructions_and_limits_show(self, built, people, challenge, client_for):
        client = client_for(people.member)
        cached_visit(client, challenge_url(challenge), built)
        type(challenge).objects.filter(pk=challenge.pk).update(instructions="Use **Dawid-Skene**.", daily_limit=9)
        page = visit(client, challenge_url(challenge))
        assert "<strong>Dawid-Skene</strong>" in page and "9 submissions" in page

    def test_a_new_input_file_shows(self, built, people, challenge, client_for):
        client = client_for(people.member)
        cached_visit(client, challenge_url(challenge), built)
        challenge.inputs.create(name="extra.csv", path="inputs/x", sha256="0" * 64, size=3)
        assert "extra.csv" in visit(client, challenge_url(challenge))


class TestStudentBody:
    """A student's page body is cached whole for its state; what no stamp watches is in its key."""

    def test_a_hint_revealed_by_a_click_shows_on_the_next_request(self, built, people, challenge, client_for):
        hint = Hint.objects.create(
            challenge=challenge, order=1, text="Weigh the *workers*.", reveal_at=at(60 * 48), reveal_on_click=True
        )
        client = client_for(people.member)
        assert "Reveal this hint now" in cached_visit(client, challenge_url(challenge), built)
        hint_rules.reveal_hint(hint, people.member)  # a HintReveal row: no stamp changes
        page = cached_visit(client, challenge_url(challenge), built)
        assert "<em>workers</em>" in page and "You revealed this hint" in page
        assert "Reveal this hint now" in visit(client_for(people.outsider), challenge_url(challenge))

    def test_a_hint_shown_by_its_time_shows_without_any_write(self, built, people, challenge, client_for, monkeypatch):
        Hint.objects.create(challenge=challenge, order=1, text="Try **EM**.", reveal_at=timezone.now() + HOUR)
        client = client_for(people.member)
        assert "<strong>EM</strong>" not in cached_visit(client, challenge_url(challenge), built)
        later = timezone.now() + 2 * HOUR
        monkeypatch.setattr(timezone, "now", lambda: later)
        assert "<strong>EM</strong>" in visit(client, challenge_url(challenge))

    def test_each_session_gets_its_own_working_csrf_token_in_a_cached_body(self, built, people, challenge):
        from django.test import Client

        def token_of(page: str) -> str:  # the picks form's, the body's last
            return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[-1]

        pick = reverse("labeling:picks", args=[challenge.course.slug, challenge.slug])
        sessions = []
        for user in (people.member, people.member, people.outsider):  # the member twice: two sessions
            client = Client(enforce_csrf_checks=True)
            client.force_login(user)
            sessions.append((client, visit(client, challenge_url(challenge))))
        built.clear()
        for client, _ in sessions[1:]:
            assert visit(client, challenge_url(challenge))  # the member's second session: a hit
        assert built == []
        for client, _ in sessions:
            page = visit(client, challenge_url(challenge))
            assert views._csrf_placeholder() not in page
            answer = client.post(pick, {"csrfmiddlewaretoken": token_of(page)})
            assert answer.status_code == 302, answer.content[:300]
        # A token of one session is refused in another: the body did not keep the first one's.
        (_, first_page), (second, _) = sessions[0], sessions[1]
        assert second.post(pick, {"csrfmiddlewaretoken": token_of(first_page)}).status_code == 403

    def test_a_body_with_a_submission_waiting_is_built_on_every_request(self, built, people, challenge, client_for):
        make_scored_submission(challenge, people.member, status=Status.QUEUED, created_at=timezone.now())
        client = client_for(people.member)
        visit(client, challenge_url(challenge))
        built.clear()
        page = visit(client, challenge_url(challenge))
        assert built == ["student-body"]  # the queue panel is live; the parts under it still hit
        assert "in the queue" in page


class TestVersionStamps:
    def test_every_watched_table_has_its_triggers(self):
        """A migration that rebuilds a table (SQLite does for many changes) drops its triggers:
        this fails then, instead of pages going stale."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%%_pagecache'")
                per_table = 1  # INSERT OR UPDATE OR DELETE
            else:
                cursor.execute(
                    "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_pagecache_%'"
                )
                per_table = 3  # one each
            found = [row[0] for row in cursor.fetchall()]
        assert sorted(found) == sorted(watched_tables()) * per_table or sorted(found) == sorted(
            t for t in watched_tables() for _ in range(per_table)
        )

    def test_inside_a_transaction_pages_are_built_from_the_database(self, people, challenge, client_for):
        from django.db import transaction

        from courseproj.lib.pagecache import PageCache

        with transaction.atomic():
            cache = PageCache(people.course, "labeling")
            assert not cache.enabled
            assert cache.get("anything", lambda: 1) == 1
            assert cache.get("anything", lambda: 2) == 2
