import datetime

import pytest
from django.utils import timezone

from courses.models import Notification
from teams import services
from teams.models import DeadlineLock, EventKind, Invitation, JoinRequest, RequestStatus, Team, TeamEvent
from teams.tasks import lock_teams_past_deadline
from tests.teams.conftest import api, close_formation, make_team, members_of, page

pytestmark = pytest.mark.django_db


class TestOverview:
    def test_staff_see_unplaced_solo_small_teams_and_requests(self, people, client_for, newcomers):
        make_team(people.course, "Lonely Leo", [newcomers[1]], solo_reason="Night shifts.")
        make_team(people.course, "Tiny", [newcomers[2]])
        JoinRequest.objects.create(course=people.course, team=people.team, user=newcomers[0], message="hi")
        for user in (people.instructor, people.ta):
            body = client_for(user).get(page("manage")).content.decode()
            assert "Otto Outsider" in body and "Nia Newcomer" in body  # unplaced
            assert "Lonely Leo" in body and "Night shifts." in body  # solo
            assert "Tiny" in body  # under the minimum
            assert "asks to join" in body

    def test_students_get_403_and_strangers_404(self, people, client_for, api_for):
        for name in ("manage", "history", "place", "export"):
            assert client_for(people.member).get(page(name)).status_code == 403
            assert client_for(people.stranger).get(page(name)).status_code == 404
        for path in ("overview/", "history/", "auto-place/", "export/"):
            assert api_for(people.member).get(api(path)).status_code == 403
            assert api_for(people.stranger).get(api(path)).status_code == 404

    def test_api(self, people, api_for, newcomers):
        make_team(people.course, "Lonely Leo", [newcomers[1]], solo_reason="Night shifts.")
        body = api_for(people.ta).get(api("overview/")).json()
        assert {u["email"] for u in body["unplaced"]} == {"otto@example.com", "nia@example.com", "ada@example.com"}
        assert [t["name"] for t in body["solo"]] == ["Lonely Leo"]
        assert body["placed_count"] == 3


class TestMove:
    def test_staff_move_a_student_whatever_the_deadline_and_locks(self, people, client_for, newcomers):
        owls = make_team(people.course, "Owls", [newcomers[0]], locked=True)
        close_formation(people.course)
        response = client_for(people.ta).post(page("move"), {"student": people.teammate.pk, "team": owls.pk})
        assert response.status_code == 302
        assert members_of(owls) == {"nia@example.com", "tess@example.com"}
        assert members_of(people.team) == {"mia@example.com"}
        kinds = set(TeamEvent.objects.values_list("team_name", "kind"))
        assert {("Owls", EventKind.MOVED_IN), ("Gradient Gang", EventKind.MOVED_OUT)} <= kinds
        assert Notification.objects.filter(user=people.teammate, verb="team_moved").exists()
        assert Notification.objects.filter(user=people.member, verb="team_moved").exists()

    def test_never_over_the_maximum(self, people, client_for, full_team, newcomers):
        response = client_for(people.instructor).post(page("move"), {"student": newcomers[2].pk, "team": full_team.pk})
        assert response.status_code == 400
        assert "Gradient Gang is full: it has 4 of 4 members." in response.content.decode()

    def test_moving_the_last_member_out_dissolves_the_team(self, people, client_for, newcomers):
        owls = make_team(people.course, "Owls", [newcomers[0]])
        client_for(people.instructor).post(page("move"), {"student": newcomers[0].pk, "team": people.team.pk})
        assert not Team.objects.filter(pk=owls.pk).exists()
        assert TeamEvent.objects.filter(team_name="Owls", kind=EventKind.DISSOLVED).exists()

    def test_out_of_any_team_and_pending_withdrawn_on_move_in(self, people, client_for, newcomers):
        client_for(people.instructor).post(page("move"), {"student": people.teammate.pk, "team": ""})
        assert members_of(people.team) == {"mia@example.com"}
        request = JoinRequest.objects.create(course=people.course, team=people.team, user=people.outsider)
        client_for(people.instructor).post(page("move"), {"student": people.outsider.pk, "team": people.team.pk})
        request.refresh_from_db()
        assert request.status == RequestStatus.WITHDRAWN

    def test_refusals(self, people, client_for):
        response = client_for(people.instructor).post(
            page("move"), {"student": people.member.pk, "team": people.team.pk}
        )
        assert "Mia Member is already in Gradient Gang." in response.content.decode()
        response = client_for(people.instructor).post(page("move"), {"student": people.outsider.pk, "team": ""})
        assert "Otto Outsider is not in a team." in response.content.decode()
        # Not a student of this course: not even a choice.
        response = client_for(people.instructor).post(page("move"), {"student": people.ta.pk, "team": people.team.pk})
        assert response.status_code == 400
        assert client_for(people.member).post(page("move"), {"student": people.outsider.pk}).status_code == 403

    def test_api(self, people, api_for, full_team, newcomers):
        response = api_for(people.ta).post(
            api("move/"), {"student": newcomers[2].pk, "team": full_team.pk}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["detail"] == ["Gradient Gang is full: it has 4 of 4 members."]
        response = api_for(people.ta).post(api("move/"), {"student": people.member.pk, "team": None}, format="json")
        assert response.json() == {"student": people.member.pk, "team": None}
        response = api_for(people.ta).post(api("move/"), {"student": people.stranger.pk, "team": None}, format="json")
        assert response.status_code == 404
        assert api_for(people.member).post(api("move/"), {"student": 1, "team": None}, format="json").status_code == 403


class TestMerge:
    def test_staff_merge_two_teams(self, people, client_for, newcomers):
        owls = make_team(people.course, "Owls", [newcomers[0]])
        JoinRequest.objects.create(course=people.course, team=owls, user=people.outsider)
        response = client_for(people.ta).post(page("merge"), {"keep": people.team.pk, "absorb": owls.pk})
        assert response.status_code == 302
        assert members_of(people.team) == {"mia@example.com", "tess@example.com", "nia@example.com"}
        assert not Team.objects.filter(pk=owls.pk).exists()
        assert TeamEvent.objects.filter(team=people.team, kind=EventKind.MERGED).exists()
        assert TeamEvent.objects.filter(team_name="Owls", kind=EventKind.MERGED).exists()
        assert Notification.objects.filter(user=newcomers[0], verb="teams_merged").exists()

    def test_never_over_the_maximum(self, people, client_for, newcomers):
        owls = make_team(people.course, "Owls", newcomers)
        response = client_for(people.ta).post(page("merge"), {"keep": people.team.pk, "absorb": owls.pk})
        assert response.status_code == 400
        assert "Merging would make a team of 5; the maximum is 4." in response.content.decode()
        assert Team.objects.filter(pk=owls.pk).exists()

    def test_not_with_itself(self, people, client_for, api_for):
        response = client_for(people.ta).post(page("merge"), {"keep": people.team.pk, "absorb": people.team.pk})
        assert "Choose two different teams to merge." in response.content.decode()
        response = api_for(people.ta).post(api("merge/"), {"keep": people.team.pk, "absorb": people.team.pk})
        assert response.json()["detail"] == ["Choose two different teams to merge."]

    def test_api(self, people, api_for, newcomers):
        owls = make_team(people.course, "Owls", [newcomers[0]])
        response = api_for(people.instructor).post(api("merge/"), {"keep": owls.pk, "absorb": people.team.pk})
        assert response.json()["size"] == 3
        assert api_for(people.member).post(api("merge/"), {"keep": owls.pk, "absorb": owls.pk}).status_code == 403


class TestDissolveAndLock:
    def test_dissolve(self, people, client_for):
        response = client_for(people.ta).post(page("dissolve", people.team.pk))
        assert response.status_code == 302
        assert not Team.objects.filter(pk=people.team.pk).exists()
        assert Notification.objects.filter(user=people.member, verb="team_dissolved").exists()
        assert TeamEvent.objects.filter(team_name="Gradient Gang", kind=EventKind.DISSOLVED).exists()
        assert services.team_of(people.member, people.course) is None

    def test_students_may_not_dissolve_or_lock(self, people, client_for, api_for):
        for name in ("dissolve", "lock", "unlock"):
            assert client_for(people.member).post(page(name, people.team.pk)).status_code == 403
            assert api_for(people.member).post(api(f"{people.team.pk}/{name}/")).status_code == 403

    def test_lock_and_unlock(self, people, client_for):
        assert client_for(people.ta).post(page("lock", people.team.pk)).status_code == 302
        people.team.refresh_from_db()
        assert people.team.locked
        response = client_for(people.ta).post(page("lock", people.team.pk))
        assert response.status_code == 400
        assert "Gradient Gang is already locked." in response.content.decode()
        client_for(people.ta).post(page("unlock", people.team.pk))
        people.team.refresh_from_db()
        assert not people.team.locked
        kinds = list(TeamEvent.objects.filter(team=people.team).values_list("kind", flat=True))
        assert kinds == [EventKind.UNLOCKED, EventKind.LOCKED]

    def test_api(self, people, api_for):
        assert api_for(people.ta).post(api(f"{people.team.pk}/lock/")).json()["locked"] is True
        assert api_for(people.ta).post(api(f"{people.team.pk}/lock/")).status_code == 400
        assert api_for(people.ta).post(api(f"{people.team.pk}/unlock/")).json()["locked"] is False
        assert api_for(people.ta).post(api(f"{people.team.pk}/dissolve/")).status_code == 204


class TestHistory:
    def test_every_change_is_on_the_team_page_and_the_staff_history(self, people, client_for, api_for):
        services.rename_team(people.team, people.member, "Gradient Gang 2")
        services.lock_team(people.team, people.instructor)
        body = client_for(people.outsider).get(page("detail", people.team.pk)).content.decode()
        assert "Mia Member renamed Gradient Gang to Gradient Gang 2." in body
        assert "Ines Instructor locked the team." in body
        body = client_for(people.ta).get(page("history") + "?kind=renamed").content.decode()
        assert "renamed Gradient Gang" in body and "locked the team" not in body
        events = api_for(people.outsider).get(api(f"{people.team.pk}/history/")).json()["results"]
        assert [(e["kind"], e["actor"]["email"]) for e in events] == [
            ("locked", "ines@example.com"),
            ("renamed", "mia@example.com"),
        ]
        assert api_for(people.ta).get(api("history/") + "?kind=locked").json()["count"] == 1


class TestDeadlineLocking:
    def test_teams_lock_once_at_the_deadline(self, people, newcomers):
        owls = make_team(people.course, "Owls", [newcomers[0]])
        make_team(people.other_course, "Elsewhere", [people.stranger])
        people.course.team_formation_deadline = timezone.now() + datetime.timedelta(hours=1)
        people.course.save()
        assert lock_teams_past_deadline() == 0
        close_formation(people.course)
        assert lock_teams_past_deadline() == 2
        assert set(Team.objects.filter(locked=True).values_list("name", flat=True)) == {"Gradient Gang", "Owls"}
        # Idempotent, and an instructor's unlock after the deadline stays.
        services.unlock_team(owls, people.instructor)
        assert lock_teams_past_deadline() == 0
        owls.refresh_from_db()
        assert not owls.locked
        assert TeamEvent.objects.filter(kind=EventKind.LOCKED, actor=None).count() == 2
        assert DeadlineLock.objects.get(course=people.course).teams_locked == 2

    def test_a_new_deadline_locks_again(self, people):
        close_formation(people.course)
        lock_teams_past_deadline()
        services.unlock_team(people.team, people.instructor)
        people.course.team_formation_deadline = timezone.now() - datetime.timedelta(minutes=1)
        people.course.save()
        assert lock_teams_past_deadline() == 1

    def test_students_change_nothing_after_the_deadline_even_unlocked(self, people, client_for):
        close_formation(people.course)
        invitation = Invitation.objects.create(course=people.course, team=people.team, user=people.outsider)
        response = client_for(people.outsider).post(page("invitation_accept", invitation.pk))
        assert response.status_code == 400
        assert "The team formation deadline passed on" in response.content.decode()
        assert "otto@example.com" not in members_of(people.team)
