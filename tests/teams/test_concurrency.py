"""Races: many people accepting at the same moment, on real threads and real connections.

On PostgreSQL (CI) the services' row locks (select_for_update on the students' course
memberships, then on the team) and the unique constraint decide; on SQLite every write
transaction is IMMEDIATE, so they run one at a time. The invariants are the same either way.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from teams import services
from teams.models import JoinRequest, RequestStatus, TeamMembership
from tests.teams.conftest import make_team, new_student

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(jobs, *, watch=None):
    """Run each job in its own thread, released together; return [(outcome, detail)] and the watch samples."""
    barrier = threading.Barrier(len(jobs))
    results, samples, done = [], [], threading.Event()
    lock = threading.Lock()

    def run(job):
        try:
            prepared = job[0]()
            barrier.wait(timeout=60)
            outcome = ("ok", job[1](prepared))
        except ValidationError as exc:
            outcome = ("refused", exc.messages[0])
        except Exception as exc:  # noqa: BLE001 - reported and failed below
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    def watcher():
        try:
            while not done.is_set():
                samples.append(watch())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    observer = threading.Thread(target=watcher) if watch else None
    if observer:
        observer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    done.set()
    if observer:
        observer.join(30)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    return results, samples


def test_twenty_accepts_for_the_last_place_let_exactly_one_in(people):
    course = people.course  # teams of at most 4
    third = new_student(course, "Thea Third")
    TeamMembership.objects.create(team=people.team, user=third, course=course)
    applicants = [new_student(course, f"Applicant{i:02} Test") for i in range(20)]
    requests = [JoinRequest.objects.create(course=course, team=people.team, user=u) for u in applicants]
    acceptors = [people.member, people.teammate, third]
    User = get_user_model()

    def job(request_id, acceptor_id):
        def prepare():
            return JoinRequest.objects.select_related("team__course", "user", "course").get(pk=request_id), (
                User.objects.get(pk=acceptor_id)
            )

        def act(prepared):
            join_request, acceptor = prepared
            services.accept_join_request(join_request, acceptor)
            return join_request.user_id

        return prepare, act

    jobs = [job(r.pk, acceptors[i % 3].pk) for i, r in enumerate(requests)]
    results, samples = run_at_once(jobs, watch=lambda: TeamMembership.objects.filter(team=people.team).count())

    winners = [detail for outcome, detail in results if outcome == "ok"]
    refusals = [detail for outcome, detail in results if outcome == "refused"]
    assert len(winners) == 1, results
    assert refusals == ["Gradient Gang is full: it has 4 of 4 members."] * 19
    assert TeamMembership.objects.filter(team=people.team).count() == 4
    assert samples and max(samples) <= 4
    assert JoinRequest.objects.filter(status=RequestStatus.ACCEPTED).get().user_id == winners[0]
    assert JoinRequest.objects.filter(status=RequestStatus.PENDING).count() == 19
    # Nobody is in two teams.
    assert TeamMembership.objects.filter(course=course).values("user").distinct().count() == (
        TeamMembership.objects.filter(course=course).count()
    )
    print(f"\n[{connection.vendor}] 1 of 20 accepted; watched sizes up to {max(samples)} in {len(samples)} samples")


def test_a_student_accepted_by_two_teams_at_once_ends_in_one(people):
    course = people.course
    course.max_team_size = 20
    course.save(update_fields=["max_team_size"])
    founders = [new_student(course, "Alma Alpha"), new_student(course, "Bert Beta")]
    teams = [make_team(course, "Alpha", [founders[0]]), make_team(course, "Beta", [founders[1]])]
    students = [new_student(course, f"Student{i:02} Both") for i in range(10)]
    jobs = []
    User = get_user_model()
    for student in students:
        for team, founder in zip(teams, founders, strict=True):
            request = JoinRequest.objects.create(course=course, team=team, user=student)

            def prepare(request_id=request.pk, founder_id=founder.pk):
                return JoinRequest.objects.select_related("team__course", "user", "course").get(
                    pk=request_id
                ), User.objects.get(pk=founder_id)

            def act(prepared):
                services.accept_join_request(*prepared)
                return prepared[0].user_id

            jobs.append((prepare, act))
    results, _ = run_at_once(jobs)

    assert sorted(detail for outcome, detail in results if outcome == "ok") == sorted(s.pk for s in students)
    for outcome, detail in results:
        if outcome == "refused":
            assert detail == "This is no longer pending (it was withdrawn)." or "is already in a team" in detail
    for student in students:
        assert TeamMembership.objects.filter(course=course, user=student).count() == 1
        assert JoinRequest.objects.filter(user=student, status=RequestStatus.ACCEPTED).count() == 1
