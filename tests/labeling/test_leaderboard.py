"""Leaderboard queries, final picks, closing and the standings export."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from courses.models import Notification
from labeling import leaderboard as lb
from labeling.models import Status, SubmissionEvent
from tests.conftest import enroll, make_user
from tests.labeling.factories import make_challenge, make_scored_submission

pytestmark = pytest.mark.django_db

T0 = timezone.now() - datetime.timedelta(days=2)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def challenge(people):
    return make_challenge(people.course)


def students(course, n: int, start: int = 0):
    return [enroll(make_user(f"s{i}@example.com", f"Student {i:03d}"), course) for i in range(start, start + n)]


def board_rows(challenge, kind=lb.PUBLIC, **kwargs):
    return lb.build_board(challenge, kind, per_page=1000, **kwargs).rows


class TestPublicBoard:
    def test_one_row_per_participant_with_the_best_public_score(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.90, created_at=at(1))
        make_scored_submission(challenge, people.member, public_score=0.93, created_at=at(2))
        make_scored_submission(challenge, people.member, public_score=0.91, created_at=at(3))
        make_scored_submission(challenge, people.outsider, public_score=0.92, created_at=at(4))
        rows = board_rows(challenge)
        assert [(r.name, r.rank, r.score) for r in rows] == [("Mia Member", 1, 0.93), ("Otto Outsider", 2, 0.92)]
        assert rows[0].count == 3
        assert rows[0].last_at == at(3)
        assert rows[0].submitted_at == at(2)

    def test_a_tie_goes_to_the_earlier_submission(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.92, created_at=at(5))
        make_scored_submission(challenge, people.outsider, public_score=0.92, created_at=at(3))
        make_scored_submission(challenge, people.teammate, public_score=0.92, created_at=at(4))
        assert [r.name for r in board_rows(challenge)] == ["Otto Outsider", "Tess Teammate", "Mia Member"]
        assert [r.rank for r in board_rows(challenge)] == [1, 2, 3]

    def test_a_participant_who_repeats_the_best_score_later_keeps_the_earlier_time(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.92, created_at=at(1))
        make_scored_submission(challenge, people.member, public_score=0.92, created_at=at(9))
        make_scored_submission(challenge, people.outsider, public_score=0.92, created_at=at(5))
        rows = board_rows(challenge)
        assert [r.name for r in rows] == ["Mia Member", "Otto Outsider"]
        assert rows[0].submitted_at == at(1)

    def test_benchmarks_sit_inline_without_a_rank(self, people, challenge):
        make_scored_submission(challenge, public_score=0.9227, benchmark_name="Majority vote", created_at=at(0))
        make_scored_submission(challenge, public_score=0.9364, benchmark_name="Dawid–Skene EM", created_at=at(0))
        make_scored_submission(challenge, people.member, public_score=0.95, created_at=at(1))
        make_scored_submission(challenge, people.outsider, public_score=0.93, created_at=at(2))
        rows = board_rows(challenge)
        assert [(r.name, r.rank, r.is_benchmark) for r in rows] == [
            ("Mia Member", 1, False),
            ("Dawid–Skene EM", None, True),
            ("Otto Outsider", 2, False),
            ("Majority vote", None, True),
        ]

    def test_never_a_row_without_a_score(self, people, challenge):
        make_scored_submission(challenge, people.member, status=Status.FAILED)
        make_scored_submission(challenge, people.member, status=Status.QUEUED)
        make_scored_submission(challenge, people.teammate, status=Status.TIMED_OUT)
        make_scored_submission(challenge, people.outsider, public_score=0.95, disqualified=True)
        make_scored_submission(challenge, public_score=None, benchmark_name="Broken reference")
        assert board_rows(challenge) == []

    def test_a_disqualified_best_falls_back_to_the_next_best(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.99, disqualified=True, created_at=at(1))
        make_scored_submission(challenge, people.member, public_score=0.91, created_at=at(2))
        rows = board_rows(challenge)
        assert [(r.name, r.score) for r in rows] == [("Mia Member", 0.91)]
        assert rows[0].count == 2

    def test_a_team_challenge_has_one_row_per_team_with_its_members(self, people):
        challenge = make_challenge(people.course, participation="team")
        make_scored_submission(challenge, people.member, public_score=0.91, created_at=at(1))
        make_scored_submission(challenge, people.teammate, public_score=0.94, created_at=at(2))
        rows = board_rows(challenge, own={f"t:{people.team.pk}"})
        assert len(rows) == 1
        assert rows[0].name == "Gradient Gang"
        assert rows[0].score == 0.94
        assert sorted(rows[0].members) == ["Mia Member", "Tess Teammate"]
        assert rows[0].count == 2
        assert rows[0].is_own

    def test_the_viewers_row_is_marked_and_found_on_another_page(self, people, challenge):
        for i, user in enumerate(students(people.course, 12)):
            make_scored_submission(challenge, user, public_score=0.99 - i / 100, created_at=at(i))
        make_scored_submission(challenge, people.member, public_score=0.5, created_at=at(50))
        board = lb.build_board(challenge, own={f"u:{people.member.pk}"}, per_page=5, page_number=1)
        assert board.total == 13
        assert board.page.paginator.num_pages == 3
        assert not any(r.is_own for r in board.rows)
        (mine,) = board.own_rows
        assert (mine.rank, mine.page_number, mine.is_own, mine.name) == (13, 3, True, "Mia Member")

    def test_the_history_chart_is_an_inline_svg_with_a_dot_per_scored_submission(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.90, created_at=at(1))
        make_scored_submission(challenge, people.member, status=Status.FAILED, created_at=at(2))
        make_scored_submission(challenge, people.member, public_score=0.93, created_at=at(3))
        make_scored_submission(challenge, people.outsider, public_score=0.92, created_at=at(4))
        row = board_rows(challenge)[0]
        assert [s for _, s in row.history] == [0.90, 0.93]
        svg = str(row.chart)
        assert svg.startswith("<svg") and svg.count("<circle") == 2
        assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org", "")
        assert "2 scored submissions, best 0.9300" in svg


class TestPrivateBoard:
    def test_without_picks_the_best_public_submissions_count(self, people, challenge):
        # final_picks = 2: the two best public ones count, the private best among them wins.
        make_scored_submission(challenge, people.member, public_score=0.95, private_score=0.90, created_at=at(1))
        make_scored_submission(challenge, people.member, public_score=0.94, private_score=0.92, created_at=at(2))
        make_scored_submission(challenge, people.member, public_score=0.80, private_score=0.99, created_at=at(3))
        (row,) = board_rows(challenge, lb.PRIVATE)
        assert row.score == 0.92
        assert len(row.counted_ids) == 2

    def test_picks_replace_the_default(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.95, private_score=0.90, created_at=at(1))
        low = make_scored_submission(challenge, people.member, public_score=0.80, private_score=0.97, created_at=at(2))
        lb.pick_final(challenge, people.member, [low.pk])
        (row,) = board_rows(challenge, lb.PRIVATE)
        assert (row.score, row.counted_ids) == (0.97, [low.pk])

    def test_a_disqualified_pick_does_not_count(self, people, challenge):
        best = make_scored_submission(challenge, people.member, public_score=0.95, private_score=0.91)
        other = make_scored_submission(challenge, people.member, public_score=0.80, private_score=0.99)
        lb.pick_final(challenge, people.member, [other.pk])
        other.disqualified = True
        other.save(update_fields=["disqualified"])
        (row,) = board_rows(challenge, lb.PRIVATE)
        assert (row.score, row.counted_ids) == (0.91, [best.pk])

    def test_without_a_public_part_the_private_board_still_ranks(self, people, challenge):
        # public_fraction 0: no public scores; the first `final_picks` submissions count by default.
        make_scored_submission(challenge, people.member, public_score=None, private_score=0.90, created_at=at(1))
        make_scored_submission(challenge, people.member, public_score=None, private_score=0.95, created_at=at(2))
        make_scored_submission(challenge, people.member, public_score=None, private_score=0.99, created_at=at(3))
        assert board_rows(challenge) == []
        (row,) = board_rows(challenge, lb.PRIVATE)
        assert row.score == 0.95

    def test_the_public_rank_is_kept_for_comparison(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.95, private_score=0.90, created_at=at(1))
        make_scored_submission(challenge, people.outsider, public_score=0.93, private_score=0.94, created_at=at(2))
        make_scored_submission(challenge, public_score=0.92, private_score=0.92, benchmark_name="Majority vote")
        rows = board_rows(challenge, lb.PRIVATE, with_public_rank=True)
        assert [(r.name, r.rank, r.public_rank) for r in rows] == [
            ("Otto Outsider", 1, 2),
            ("Majority vote", None, None),
            ("Mia Member", 2, 1),
        ]


class TestQueryCount:
    def fill(self, challenge, users, per_user: int):
        for i, user in enumerate(users):
            for j in range(per_user):
                make_scored_submission(
                    challenge, user, public_score=0.8 + ((i * 7 + j) % 19) / 100, created_at=at(i * per_user + j)
                )

    @pytest.mark.parametrize("size", [3, 40])
    def test_the_board_takes_a_constant_number_of_queries(self, people, django_assert_num_queries, size):
        challenge = make_challenge(people.course)
        make_scored_submission(challenge, public_score=0.9, benchmark_name="Majority vote")
        self.fill(challenge, students(people.course, size), per_user=3 if size < 10 else 6)
        # Best row per participant, names, counts, histories.
        with django_assert_num_queries(4):
            board = lb.build_board(challenge, lb.PUBLIC, per_page=25)
            assert board.rows and all(r.chart for r in board.rows)
        # Picks, default picks, the public board for comparison, then the same three.
        with django_assert_num_queries(6):
            assert lb.build_board(challenge, lb.PRIVATE, per_page=25, with_public_rank=True).rows

    @pytest.mark.parametrize("size", [3, 40])
    def test_the_team_board_takes_a_constant_number_of_queries(self, people, django_assert_num_queries, size):
        from teams.models import Team, TeamMembership

        challenge = make_challenge(people.course, participation="team")
        for i, user in enumerate(students(people.course, size)):
            team = Team.objects.create(course=people.course, name=f"Team {i}")
            TeamMembership.objects.create(team=team, user=user, course=people.course)
            make_scored_submission(challenge, user, public_score=0.8 + i / 1000, created_at=at(i))
        # Best rows, teams, their members, counts, histories.
        with django_assert_num_queries(5):
            rows = lb.build_board(challenge, lb.PUBLIC, per_page=25).rows
            assert all(r.members for r in rows)

    @pytest.mark.parametrize("size", [3, 40])
    def test_the_leaderboard_page_takes_a_constant_number_of_queries(
        self, people, client_for, django_assert_max_num_queries, size
    ):
        challenge = make_challenge(people.course)
        self.fill(challenge, [people.member, *students(people.course, size)], per_user=2)
        client = client_for(people.member)
        url = reverse("labeling:leaderboard", args=[people.course.slug, challenge.slug])
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.count(b"<svg") == min(size + 1, lb.ROWS_PER_PAGE)


class TestFinalPicks:
    def test_at_most_the_challenges_number(self, people, challenge):
        subs = [make_scored_submission(challenge, people.member, public_score=0.9) for _ in range(3)]
        with pytest.raises(ValidationError, match="at most 2"):
            lb.pick_final(challenge, people.member, [s.pk for s in subs])

    def test_only_own_scored_not_disqualified_submissions(self, people, challenge):
        others = make_scored_submission(challenge, people.outsider, public_score=0.9)
        failed = make_scored_submission(challenge, people.member, status=Status.FAILED)
        dq = make_scored_submission(challenge, people.member, public_score=0.9, disqualified=True)
        with pytest.raises(ValidationError) as exc:
            lb.pick_final(challenge, people.member, [others.pk, failed.pk])
        assert "not one of yours" in str(exc.value) and "not scored" in str(exc.value)
        with pytest.raises(ValidationError, match="disqualified"):
            lb.pick_final(challenge, people.member, [dq.pk])

    def test_picks_replace_earlier_ones_and_leave_a_history(self, people, challenge):
        a, b, c = (make_scored_submission(challenge, people.member, public_score=0.9) for _ in range(3))
        lb.pick_final(challenge, people.member, [a.pk, b.pk])
        lb.pick_final(challenge, people.member, [c.pk])
        assert lb.final_pick_ids(challenge, f"u:{people.member.pk}") == ([c.pk], True)
        notes = list(SubmissionEvent.objects.filter(submission=a).values_list("note", flat=True))
        assert notes[-2:] == ["picked as final", "final pick removed"]
        lb.pick_final(challenge, people.member, [])
        ids, picked = lb.final_pick_ids(challenge, f"u:{people.member.pk}")
        assert not picked and len(ids) == 2

    def test_teammates_share_the_teams_picks(self, people):
        challenge = make_challenge(people.course, participation="team")
        mine = make_scored_submission(challenge, people.member, public_score=0.9)
        theirs = make_scored_submission(challenge, people.teammate, public_score=0.8)
        lb.pick_final(challenge, people.teammate, [mine.pk, theirs.pk])
        assert lb.final_pick_ids(challenge, f"t:{people.team.pk}") == (sorted([mine.pk, theirs.pk]), True)

    def test_picks_freeze_when_the_challenge_closes(self, people, challenge):
        sub = make_scored_submission(challenge, people.member, public_score=0.9)
        lb.close_challenge(challenge, people.instructor)
        with pytest.raises(ValidationError, match="closed"):
            lb.pick_final(challenge, people.member, [sub.pk])


class TestClose:
    def test_closing_reveals_the_private_board_and_tells_the_students(self, people, challenge):
        assert not lb.private_visible(challenge, is_staff=False)
        lb.close_challenge(challenge, people.instructor)
        challenge.refresh_from_db()
        assert challenge.closes_at <= timezone.now()
        assert lb.private_visible(challenge, is_staff=False)
        notified = set(Notification.objects.filter(verb="challenge closed").values_list("user__email", flat=True))
        assert notified == {"mia@example.com", "tess@example.com", "otto@example.com"}

    def test_closing_twice_is_refused(self, people, challenge):
        lb.close_challenge(challenge, people.instructor)
        with pytest.raises(ValidationError, match="already closed"):
            lb.close_challenge(challenge, people.instructor)


class TestStandingsExport:
    def test_the_csv_lists_the_private_standings_with_the_public_ones(self, people, challenge):
        make_scored_submission(challenge, people.member, public_score=0.95, private_score=0.90, created_at=at(1))
        make_scored_submission(challenge, people.outsider, public_score=0.93, private_score=0.94, created_at=at(2))
        make_scored_submission(challenge, public_score=0.92, private_score=0.92, benchmark_name="Majority vote")
        rows = list(csv.DictReader(io.StringIO(lb.standings_csv(challenge))))
        assert [(r["rank"], r["name"], r["private_score"], r["public_rank"]) for r in rows] == [
            ("1", "Otto Outsider", "0.94", "2"),
            ("", "Majority vote", "0.92", ""),
            ("2", "Mia Member", "0.9", "1"),
        ]
        assert rows[0]["emails"] == "otto@example.com"

    def test_a_name_cannot_smuggle_a_spreadsheet_formula(self, people, challenge):
        people.member.first_name = "=HYPERLINK(1)"
        people.member.save()
        make_scored_submission(challenge, people.member, public_score=0.9)
        (row,) = csv.DictReader(io.StringIO(lb.standings_csv(challenge)))
        assert row["name"].startswith("'=")
