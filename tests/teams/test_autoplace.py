import pytest

from courses.models import Notification
from teams import bulk, services
from teams.models import BoardPost, EventKind, PlacementPlan, PlanStatus, Team, TeamEvent, TeamMembership
from tests.teams.conftest import api, make_team, members_of, new_student, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(people, newcomers):
    """Gradient Gang (2), Solo Sid (a team of one, not approved), and 5 unplaced students with posts."""
    sid = new_student(people.course, "Sid Single")
    make_team(people.course, "Solo Sid", [sid], solo_reason="I like working alone.")
    extra = [new_student(people.course, n) for n in ("Uma Unplaced", "Vic Vacant")]
    for user, interests, tz in [
        (people.outsider, "nlp", "Europe/Berlin"),
        (newcomers[0], "vision", "Asia/Tokyo"),
        (newcomers[1], "vision", "Asia/Tokyo"),
    ]:
        BoardPost.objects.create(course=people.course, author=user, interests=interests, time_zone=tz)
    return [people.outsider, *newcomers, *extra], sid


def swap_with_outsider(plan, outsider):
    """Targets that swap the outsider with a student planned for another team (sizes stay the same)."""
    mine = next(r for r in plan.placements if r["student"] == outsider.pk)
    other = next(r for r in plan.placements if r["target"] != mine["target"])
    return {outsider.pk: other["target"], other["student"]: mine["target"]}, other["target"]


def team_for_target(plan, target):
    kind, _, raw = target.partition(":")
    return Team.objects.get(pk=int(raw)) if kind == "team" else Team.objects.get(name=plan.new_teams[int(raw)]["name"])


class TestPropose:
    def test_the_plan_places_everyone_without_changing_anything(self, people, roster):
        unplaced, sid = roster
        plan = bulk.propose_placement(people.course, people.instructor)
        assert plan.status == PlanStatus.DRAFT
        placed = {row["student"] for row in plan.placements}
        assert {u.pk for u in unplaced} <= placed
        assert TeamMembership.objects.filter(course=people.course).count() == 3  # nothing applied yet
        view = bulk.describe_plan(plan)
        assert view.errors == []
        assert all(2 <= t["size"] <= 4 for t in view.targets)

    def test_a_new_proposal_discards_the_old_draft(self, people, roster):
        first = bulk.propose_placement(people.course, people.instructor)
        bulk.propose_placement(people.course, people.ta)
        first.refresh_from_db()
        assert first.status == PlanStatus.DISCARDED

    def test_teams_approved_to_work_alone_are_left_alone(self, people, roster):
        _unplaced, sid = roster
        Team.objects.filter(name="Solo Sid").update(solo_approved=True)
        plan = bulk.propose_placement(people.course, people.instructor)
        solo = Team.objects.get(name="Solo Sid")
        assert sid.pk not in {row["student"] for row in plan.placements}
        assert f"team:{solo.pk}" not in {row["target"] for row in plan.placements}


class TestApply:
    def test_apply_places_creates_and_notifies(self, people, roster):
        unplaced, sid = roster
        plan = bulk.propose_placement(people.course, people.instructor)
        result = bulk.apply_plan(plan, people.instructor)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.APPLIED
        everyone = [people.member, people.teammate, sid, *unplaced]
        assert all(services.team_of(u, people.course) is not None for u in everyone)
        sizes = [TeamMembership.objects.filter(team=t).count() for t in Team.objects.filter(course=people.course)]
        assert all(2 <= s <= 4 for s in sizes), sizes
        assert result["placed"] == len(plan.placements)
        placed_notes = Notification.objects.filter(verb="team_placed", user__in=unplaced).count()
        assert placed_notes == len(unplaced)
        assert TeamEvent.objects.filter(
            kind__in=[EventKind.JOINED, EventKind.MOVED_IN], actor=people.instructor
        ).exists()

    def test_adjusting_then_applying(self, people, roster):
        unplaced, _sid = roster
        plan = bulk.propose_placement(people.course, people.instructor)
        assert plan.new_teams, "this roster needs a new team"
        targets, target = swap_with_outsider(plan, people.outsider)
        bulk.update_plan(plan, people.instructor, targets=targets, names={0: "Night Owls"})
        plan.refresh_from_db()
        assert next(r for r in plan.placements if r["student"] == people.outsider.pk)["target"] == target
        bulk.apply_plan(plan, people.instructor)
        assert Team.objects.filter(name="Night Owls").exists()
        assert "otto@example.com" in members_of(team_for_target(plan, target))

    def test_an_adjustment_over_the_maximum_is_refused(self, people, roster):
        unplaced, _sid = roster
        plan = bulk.propose_placement(people.course, people.instructor)
        targets = {u.pk: f"team:{people.team.pk}" for u in unplaced[:3]}
        with pytest.raises(Exception) as refused:
            bulk.update_plan(plan, people.instructor, targets=targets, names={})
        assert "Gradient Gang would have 5 members; the maximum is 4." in str(refused.value)

    def test_apply_refuses_when_someone_changed_teams_meanwhile(self, people, roster):
        unplaced, _sid = roster
        plan = bulk.propose_placement(people.course, people.instructor)
        services.move_student(people.course, people.instructor, people.outsider, people.team)
        before = TeamMembership.objects.count()
        with pytest.raises(Exception) as refused:
            bulk.apply_plan(plan, people.instructor)
        assert "Otto Outsider changed teams after this plan was made; make a new plan." in str(refused.value)
        assert TeamMembership.objects.count() == before

    def test_a_plan_is_applied_once(self, people, roster):
        plan = bulk.propose_placement(people.course, people.instructor)
        bulk.apply_plan(plan, people.instructor)
        with pytest.raises(Exception) as refused:
            bulk.apply_plan(plan, people.instructor)
        assert "This plan was already applied; make a new one." in str(refused.value)


class TestPages:
    def test_propose_review_adjust_apply(self, people, client_for, roster):
        unplaced, _sid = roster
        client = client_for(people.ta)
        response = client.post(page("place"))
        plan = PlacementPlan.objects.get()
        assert response["Location"] == page("plan", plan.pk)
        assert client.get(page("place"))["Location"] == page("plan", plan.pk)  # the draft waits for review
        body = client.get(page("plan", plan.pk)).content.decode()
        assert "Otto Outsider" in body and "Apply the plan" in body
        targets, target = swap_with_outsider(plan, people.outsider)
        data = {f"target-{pk}": value for pk, value in targets.items()} | {"name-0": "Night Owls"}
        response = client.post(page("plan", plan.pk), data)
        assert response.status_code == 302
        response = client.post(page("plan_apply", plan.pk))
        assert response.status_code == 302
        plan.refresh_from_db()
        assert "otto@example.com" in members_of(team_for_target(plan, target))
        assert all(services.team_of(u, people.course) for u in unplaced)

    def test_an_adjustment_over_the_maximum_shows_why(self, people, client_for, roster):
        unplaced, _sid = roster
        client = client_for(people.instructor)
        client.post(page("place"))
        plan = PlacementPlan.objects.get()
        data = {f"target-{u.pk}": f"team:{people.team.pk}" for u in unplaced[:3]}
        response = client.post(page("plan", plan.pk), data)
        assert response.status_code == 400
        assert "Gradient Gang would have 5 members; the maximum is 4." in response.content.decode()

    def test_discard(self, people, client_for, roster):
        client = client_for(people.instructor)
        client.post(page("place"))
        plan = PlacementPlan.objects.get()
        assert client.post(page("plan_discard", plan.pk)).status_code == 302
        plan.refresh_from_db()
        assert plan.status == PlanStatus.DISCARDED
        response = client.post(page("plan_apply", plan.pk))
        assert response.status_code == 400
        assert "This plan was already discarded; make a new one." in response.content.decode()

    def test_students_cannot_place(self, people, client_for, roster):
        assert client_for(people.member).post(page("place")).status_code == 403
        assert not PlacementPlan.objects.exists()


class TestAPI:
    def test_propose_adjust_apply(self, people, api_for, roster):
        unplaced, _sid = roster
        client = api_for(people.ta)
        response = client.post(api("auto-place/"))
        assert response.status_code == 201
        plan = response.json()
        assert plan["status"] == "draft" and plan["errors"] == []
        targets, target = swap_with_outsider(PlacementPlan.objects.get(pk=plan["id"]), people.outsider)
        body = {
            "placements": [{"student": pk, "target": value} for pk, value in targets.items()],
            "new_team_names": {"0": "Night Owls"},
        }
        response = client.patch(api(f"auto-place/{plan['id']}/"), body, format="json")
        assert response.status_code == 200
        assert response.json()["new_teams"][0] == {"name": "Night Owls"}
        response = client.post(api(f"auto-place/{plan['id']}/apply/"))
        assert response.status_code == 200
        assert response.json()["placed"] == len(plan["placements"])
        stored = PlacementPlan.objects.get(pk=plan["id"])
        assert "otto@example.com" in members_of(team_for_target(stored, target))
        assert client.get(api(f"auto-place/{plan['id']}/")).json()["status"] == "applied"

    def test_refusals(self, people, api_for, roster):
        unplaced, _sid = roster
        client = api_for(people.instructor)
        plan = client.post(api("auto-place/")).json()
        body = {"placements": [{"student": u.pk, "target": f"team:{people.team.pk}"} for u in unplaced[:3]]}
        response = client.patch(api(f"auto-place/{plan['id']}/"), body, format="json")
        assert response.status_code == 400
        assert response.json()["detail"] == ["Gradient Gang would have 5 members; the maximum is 4."]
        body = {"placements": [{"student": unplaced[0].pk, "target": "team:999999"}]}
        response = client.patch(api(f"auto-place/{plan['id']}/"), body, format="json")
        assert response.status_code == 400
        assert client.post(api(f"auto-place/{plan['id']}/discard/")).json()["status"] == "discarded"
        assert client.post(api(f"auto-place/{plan['id']}/apply/")).status_code == 400
        assert api_for(people.member).post(api("auto-place/")).status_code == 403
