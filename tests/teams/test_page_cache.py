"""The team list comes from the page cache and shows every change of a team on the next request:
a new team, a rename, a join, a leave, a staff move, a lock, a course setting, a renamed student.
Each viewer's own team stays highlighted for them alone.

These tests commit (transaction=True): the cache is used only outside a transaction, as page views run.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Course
from teams import services
from teams.models import Team, TeamMembership
from tests.perf.page_cache import cached_visit, track_builds, visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def built(monkeypatch) -> list[str]:
    return track_builds(monkeypatch)


def list_url(course, **query) -> str:
    url = reverse("teams:index", args=[course.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def highlighted(html: str) -> list[str]:
    import re

    return re.findall(r'<tr class="highlight">\s*<td><a [^>]*><strong>([^<]+)</strong>', html)


class TestTeamList:
    def test_a_new_team_shows(self, built, people, client_for):
        client = client_for(people.ta)
        assert "Overfitters" not in cached_visit(client, list_url(people.course), built)
        services.create_team(people.course, people.outsider, name="Overfitters", idea="Birds")
        assert "Overfitters" in visit(client, list_url(people.course))

    def test_a_rename_and_an_edit_show(self, built, people, client_for):
        client = client_for(people.outsider)
        cached_visit(client, list_url(people.course), built)
        services.rename_team(people.team, people.member, "Loss Landscapers")
        page = cached_visit(client, list_url(people.course), built)
        assert "Loss Landscapers" in page and "Gradient Gang" not in page
        services.edit_team(Team.objects.get(pk=people.team.pk), people.member, idea="Leaf doctor", looking_for="")
        assert "Leaf doctor" in visit(client, list_url(people.course))

    def test_leaving_and_a_staff_move_change_members_and_size(self, built, people, client_for):
        client = client_for(people.ta)
        assert "Tess Teammate" in cached_visit(client, list_url(people.course), built)
        services.leave_team(people.team, people.teammate)
        page = cached_visit(client, list_url(people.course), built)
        assert "Tess Teammate" not in page and "1/" in page
        services.move_student(people.course, people.instructor, people.outsider, people.team)
        assert "Otto Outsider" in visit(client, list_url(people.course))

    def test_a_lock_and_the_filters_follow(self, built, people, client_for):
        client = client_for(people.ta)
        assert "Gradient Gang" not in cached_visit(client, list_url(people.course, status="locked"), built)
        services.lock_team(people.team, people.instructor)
        assert "Gradient Gang" in visit(client, list_url(people.course, status="locked"))
        assert "locked</span>" in visit(client, list_url(people.course))

    def test_a_course_setting_and_a_renamed_student_show(self, built, people, client_for):
        client = client_for(people.ta)
        assert "2/4" in cached_visit(client, list_url(people.course), built)
        Course.objects.filter(pk=people.course.pk).update(max_team_size=5)
        assert "2/5" in cached_visit(client, list_url(people.course), built)
        people.member.last_name = "Moreau"
        people.member.save()
        assert "Mia Moreau" in visit(client, list_url(people.course))

    def test_a_bulk_delete_of_memberships_shows(self, built, people, client_for):
        client = client_for(people.ta)
        cached_visit(client, list_url(people.course), built)
        TeamMembership.objects.filter(team=people.team, user=people.teammate).delete()
        assert "Tess Teammate" not in visit(client, list_url(people.course))

    def test_each_viewer_sees_only_their_own_team_highlighted(self, built, people, client_for):
        other = services.create_team(people.course, people.outsider, name="Overfitters", idea="Birds")
        assert highlighted(cached_visit(client_for(people.ta), list_url(people.course), built)) == []
        built.clear()
        assert highlighted(visit(client_for(people.member), list_url(people.course))) == ["Gradient Gang"]
        assert highlighted(visit(client_for(people.outsider), list_url(people.course))) == [other.name]
        assert "team-rows" not in built  # the three viewers read the same cached rows

    def test_the_viewers_own_team_follows_a_join_and_a_leave(self, built, people, client_for):
        client = client_for(people.outsider)
        assert "You are not in a team yet" in cached_visit(client, list_url(people.course), built)
        services.create_team(people.course, people.outsider, name="Overfitters", idea="Birds")
        page = cached_visit(client, list_url(people.course), built)
        assert "You are in <a" in page and "<strong>Overfitters</strong></a>.</p>" in page
        services.leave_team(Team.objects.get(name="Overfitters"), people.outsider)
        assert "You are not in a team yet" in visit(client, list_url(people.course))

    def test_a_search_is_answered_from_the_database(self, built, people, client_for):
        client = client_for(people.ta)
        cached_visit(client, list_url(people.course), built)
        services.rename_team(people.team, people.member, "Loss Landscapers")
        assert "Loss Landscapers" in visit(client, list_url(people.course, q="Loss"))
