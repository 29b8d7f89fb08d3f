"""Staff changes to many students at once: auto-placement plans and the CSV import/export.

Same rules as teams.services (which these build on): locks on the students' course
memberships, then on the teams in id order; never over the maximum size; nothing written
unless everything validates.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from courses.models import Course, Membership, Role
from teams import placement
from teams.models import BoardPost, EventKind, PlacementPlan, PlanStatus, Team, TeamMembership
from teams.services import (
    _add_member,
    _dissolve,
    _lock_students,
    _lock_teams,
    display_name,
    member_users,
    notify,
    record,
    team_url,
    utc_offset_hours,
)

User = get_user_model()

MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 5000


def students_of(course: Course):
    return User.objects.filter(memberships__course=course, memberships__role=Role.STUDENT)


def unplaced_students(course: Course):
    placed = TeamMembership.objects.filter(course=course).values("user")
    return students_of(course).exclude(pk__in=placed).order_by("last_name", "first_name", "email")


# ---------------------------------------------------------------- auto-placement


def _person(user, posts: dict) -> placement.Person:
    post = posts.get(user.pk)
    if post is None:
        return placement.Person(user.pk)
    return placement.Person(user.pk, frozenset(post.interest_list), utc_offset_hours(post.time_zone))


def _new_team_names(course: Course, count: int) -> list[str]:
    taken = {n.lower() for n in Team.objects.filter(course=course).values_list("name", flat=True)}
    names, n = [], 1
    while len(names) < count:
        candidate = f"New team {n}"
        if candidate.lower() not in taken:
            names.append(candidate)
        n += 1
    return names


def propose_placement(course: Course, actor) -> PlacementPlan:
    """Make a draft plan that places every unplaced student (and teams of one not approved).

    An earlier draft of the course is discarded: there is one draft at a time.
    """
    posts = {p.author_id: p for p in BoardPost.objects.filter(course=course)}
    pool_users = list(unplaced_students(course))
    teams = list(Team.objects.filter(course=course).prefetch_related("memberships__user").order_by("created_at", "pk"))
    existing = [
        placement.ExistingTeam(
            t.pk,
            tuple(_person(m.user, posts) for m in t.memberships.all()),
            open=not t.solo_approved,
        )
        for t in teams
        if t.memberships.all()
    ]
    proposal = placement.propose(
        [_person(u, posts) for u in pool_users], existing, course.min_team_size, course.max_team_size
    )
    current = {m.user_id: m.team_id for t in teams for m in t.memberships.all()}
    rows = [
        {"student": pid, "from": current.get(pid), "target": target}
        for pid, target in sorted(proposal.placements.items())
    ]
    names = _new_team_names(course, len(proposal.new_teams))
    notes = []
    if proposal.under_minimum:
        notes.append(
            f"The numbers do not allow every team {course.min_team_size} members: "
            f"{len(proposal.under_minimum)} team(s) stay under the minimum."
        )
    if proposal.dissolved:
        notes.append(f"{len(proposal.dissolved)} team(s) of one are dissolved and their members placed elsewhere.")
    with transaction.atomic():
        PlacementPlan.objects.filter(course=course, status=PlanStatus.DRAFT).update(status=PlanStatus.DISCARDED)
        return PlacementPlan.objects.create(
            course=course,
            created_by=actor,
            placements=rows,
            new_teams=[{"name": n} for n in names],
            notes=notes,
        )


@dataclass
class PlanView:
    """A plan laid out for review: each target with its final members and a verdict."""

    rows: list[dict]
    targets: list[dict]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def describe_plan(plan: PlacementPlan) -> PlanView:
    """Resolve a plan's ids to people and teams, and say what is wrong with it (if anything)."""
    course = plan.course
    users = {u.pk: u for u in User.objects.filter(pk__in=[r["student"] for r in plan.placements])}
    teams = {t.pk: t for t in Team.objects.filter(course=course).prefetch_related("memberships__user")}
    moving = {r["student"] for r in plan.placements}
    targets: dict[str, dict] = {}
    for t in teams.values():
        staying = [m.user for m in t.memberships.all() if m.user_id not in moving]
        targets[f"team:{t.pk}"] = {"key": f"team:{t.pk}", "name": t.name, "team": t, "staying": staying, "arriving": []}
    for index, new in enumerate(plan.new_teams):
        key = f"new:{index}"
        targets[key] = {"key": key, "name": new["name"], "team": None, "staying": [], "arriving": []}
    view = PlanView(rows=[], targets=[])
    for row in plan.placements:
        user = users.get(row["student"])
        target = targets.get(row["target"])
        view.rows.append({**row, "user": user, "from_team": teams.get(row.get("from"))})
        if user is None:
            view.errors.append("A student in this plan no longer exists.")
        elif target is None:
            view.errors.append(f"The team chosen for {display_name(user)} no longer exists.")
        else:
            target["arriving"].append(user)
    for target in targets.values():
        target["size"] = len(target["staying"]) + len(target["arriving"])
        if not target["arriving"]:
            continue
        view.targets.append(target)
        if target["size"] > course.max_team_size:
            view.errors.append(
                f"{target['name']} would have {target['size']} members; the maximum is {course.max_team_size}."
            )
        elif target["size"] < course.min_team_size:
            view.warnings.append(
                f"{target['name']} would have {target['size']} member(s), under the minimum of {course.min_team_size}."
            )
    view.targets.sort(key=lambda t: (t["team"] is None, t["name"].lower()))
    return view


def _check_draft(plan: PlacementPlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(f"This plan was already {plan.get_status_display().lower()}; make a new one.")


def update_plan(plan: PlacementPlan, actor, *, targets: dict[int, str], names: dict[int, str]) -> PlacementPlan:
    """Staff adjust a draft: move students between targets and name the new teams.

    `targets` maps student id -> "team:<id>" | "new:<n>" (n may be one past the last new team,
    which adds a team); `names` maps new-team index -> name.
    """
    course = plan.course
    with transaction.atomic():
        plan = PlacementPlan.objects.select_for_update().get(pk=plan.pk)
        _check_draft(plan)
        team_ids = set(Team.objects.filter(course=course).values_list("pk", flat=True))
        new_teams = [dict(t) for t in plan.new_teams]
        rows = []
        for row in plan.placements:
            target = targets.get(row["student"], row["target"])
            kind, _, raw = str(target).partition(":")
            if kind == "team" and raw.isdigit() and int(raw) in team_ids:
                pass
            elif kind == "new" and raw.isdigit() and int(raw) <= len(new_teams):
                if int(raw) == len(new_teams):
                    new_teams.extend({"name": n} for n in _new_team_names_excluding(course, new_teams, 1))
            else:
                raise ValidationError(f"{target!r} is not a team of this course or a new team of this plan.")
            rows.append({**row, "target": target})
        for index, name in names.items():
            if 0 <= index < len(new_teams):
                name = " ".join((name or "").split())
                if not name or len(name) > 80:
                    raise ValidationError("Each new team needs a name of at most 80 characters.")
                new_teams[index]["name"] = name
        seen = set()
        for t in new_teams:
            if t["name"].lower() in seen:
                raise ValidationError(f"Two new teams are called {t['name']}; give them different names.")
            seen.add(t["name"].lower())
        plan.placements, plan.new_teams = rows, new_teams
        errors = describe_plan(plan).errors
        if errors:
            raise ValidationError(errors)
        plan.save(update_fields=["placements", "new_teams"])
    return plan


def _new_team_names_excluding(course: Course, new_teams: list[dict], count: int) -> list[str]:
    taken = {t["name"].lower() for t in new_teams}
    names = [n for n in _new_team_names(course, count + len(taken)) if n.lower() not in taken]
    return names[:count]


@dataclass
class _Placing:
    """What applying a plan works on, locked: its students, their memberships, the teams involved."""

    by_id: dict[int, User]
    current: dict[int, TeamMembership]
    teams: dict[int, Team]


def apply_plan(plan: PlacementPlan, actor) -> dict:
    """Carry out a draft plan in one transaction; refuse (changing nothing) if it no longer fits.

    Returns {"placed": n, "created": [team names], "dissolved": [team names]}.
    """
    course = plan.course
    with transaction.atomic():
        plan = PlacementPlan.objects.select_for_update().get(pk=plan.pk)
        _check_draft(plan)
        placing = _lock_plan(course, plan)
        _check_plan(course, plan, placing)
        created, arrivals, dissolved = _carry_out_plan(course, plan, placing, actor)
        updated = PlacementPlan.objects.filter(pk=plan.pk, status=PlanStatus.DRAFT).update(
            status=PlanStatus.APPLIED, applied_at=timezone.now()
        )
        if not updated:
            raise ValidationError("This plan was applied or discarded meanwhile.")
    placed = sum(len(p) for p in arrivals.values())
    return {"placed": placed, "created": [t.name for t in created.values()], "dissolved": dissolved}


def _lock_plan(course: Course, plan: PlacementPlan) -> _Placing:
    """Read and lock the plan's students, their memberships and every team they leave or join
    (refused if a student no longer exists)."""
    students = list(User.objects.filter(pk__in=[r["student"] for r in plan.placements]))
    if len(students) != len(plan.placements):
        raise ValidationError("A student in this plan no longer exists; make a new plan.")
    _lock_students(course, students)
    by_id = {u.pk: u for u in students}
    current = {m.user_id: m for m in TeamMembership.objects.filter(course=course, user__in=students)}
    existing_ids = {int(r["target"][5:]) for r in plan.placements if r["target"].startswith("team:")}
    teams = _lock_teams(course, existing_ids | {m.team_id for m in current.values()})
    return _Placing(by_id=by_id, current=current, teams=teams)


def _check_plan(course: Course, plan: PlacementPlan, placing: _Placing) -> None:
    """Refuse a plan that no longer fits: a student changed teams meanwhile, a size or a team it
    names no longer works, or a new team's name is taken."""
    by_id, current = placing.by_id, placing.current
    for row in plan.placements:
        now_in = current[row["student"]].team_id if row["student"] in current else None
        if now_in != row.get("from"):
            raise ValidationError(
                f"{display_name(by_id[row['student']])} changed teams after this plan was made; make a new plan."
            )
    view = describe_plan(plan)
    if view.errors:
        raise ValidationError(view.errors)
    for new in plan.new_teams:
        if Team.objects.filter(course=course, name__iexact=new["name"]).exists():
            raise ValidationError(f"A team called {new['name']} already exists; rename the new team.")


def _carry_out_plan(course: Course, plan: PlacementPlan, placing: _Placing, actor):
    """Create the new teams, move everyone, dissolve the teams left empty and tell the people:
    (created teams by "new:<n>", arrivals by team id, names of the dissolved teams)."""
    by_id, current, teams = placing.by_id, placing.current, placing.teams
    created = _create_plan_teams(course, plan, teams, actor)

    def target_of(row):
        kind, _, raw = row["target"].partition(":")
        return created[row["target"]] if kind == "new" else teams[int(raw)]

    # Everyone leaves first, then everyone arrives, so sizes never pass the maximum midway.
    left_teams = set()
    for row in plan.placements:
        membership = current.get(row["student"])
        target = target_of(row)
        if membership is not None and membership.team_id != target.pk:
            membership.delete()
            old = teams[membership.team_id]
            left_teams.add(old.pk)
            student = by_id[row["student"]]
            detail = f"{display_name(actor)} moved {display_name(student)} to {target.name} (auto-placement)."
            record(old, EventKind.MOVED_OUT, detail, actor=actor, subject=student)
    arrivals = defaultdict(list)
    for row in plan.placements:
        membership = current.get(row["student"])
        target = target_of(row)
        if membership is not None and membership.team_id == target.pk:
            continue
        student = by_id[row["student"]]
        _add_member(
            target,
            student,
            actor=actor,
            kind=EventKind.MOVED_IN if membership else EventKind.JOINED,
            detail=f"{display_name(actor)} placed {display_name(student)} here (auto-placement).",
        )
        arrivals[target.pk].append(student)
    dissolved = []
    for team_id in left_teams:
        team = teams[team_id]
        if not TeamMembership.objects.filter(team=team).exists():
            dissolved.append(team.name)
            _dissolve(team, actor=actor, reason="its member was placed in another team by auto-placement", members=[])
    _notify_placed(course, arrivals, teams)
    return created, arrivals, dissolved


def _create_plan_teams(course: Course, plan: PlacementPlan, teams: dict[int, Team], actor) -> dict[str, Team]:
    """The plan's new teams that get members, created (and added to `teams`), by "new:<n>"."""
    created: dict[str, Team] = {}
    for index, new in enumerate(plan.new_teams):
        if any(r["target"] == f"new:{index}" for r in plan.placements):
            try:
                with transaction.atomic():
                    team = Team.objects.create(course=course, name=new["name"], created_by=actor)
            except IntegrityError:
                raise ValidationError(f"A team called {new['name']} already exists; rename the new team.") from None
            record(team, EventKind.CREATED, f"{display_name(actor)} created the team by auto-placement.", actor=actor)
            created[f"new:{index}"] = team
            teams[team.pk] = team
    return created


def _notify_placed(course: Course, arrivals: dict, teams: dict[int, Team]) -> None:
    """Tell the placed students where they are, and their new teams who joined."""
    for team_id, people in arrivals.items():
        team = teams[team_id]
        notify(
            people,
            verb="team_placed",
            message=f"An instructor placed you in {team.name}.",
            course=course,
            url=team_url(team),
        )
        others = [u for u in member_users(team) if u not in people]
        if others:
            names = ", ".join(display_name(u) for u in people)
            notify(
                others,
                verb="team_placed",
                message=f"{names} joined {team.name}.",
                course=course,
                url=team_url(team),
            )


def discard_plan(plan: PlacementPlan, actor) -> PlacementPlan:
    if not PlacementPlan.objects.filter(pk=plan.pk, status=PlanStatus.DRAFT).update(status=PlanStatus.DISCARDED):
        plan.refresh_from_db()
        _check_draft(plan)
    plan.status = PlanStatus.DISCARDED
    return plan


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = ["team", "email", "name", "locked", "solo_approved", "idea"]


def export_teams_csv(course: Course) -> str:
    """One row per student: their team (empty for unplaced students), e-mail, name and team facts."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    memberships = (
        TeamMembership.objects.filter(course=course)
        .select_related("team", "user")
        .order_by("team__name", "user__last_name", "user__email")
    )
    for m in memberships:
        t = m.team
        writer.writerow(
            [
                t.name,
                m.user.email,
                m.user.get_full_name(),
                "yes" if t.locked else "no",
                "yes" if t.solo_approved else "no",
                t.idea,
            ]
        )
    for user in unplaced_students(course):
        writer.writerow(["", user.email, user.get_full_name(), "", "", ""])
    return out.getvalue()


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    moved: int = 0
    unchanged: int = 0
    created: list[str] = field(default_factory=list)
    dissolved: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    email: str
    team: str
    idea: str


def _parse_csv(course: Course, data: bytes) -> tuple[list[_Row], list[str]]:
    if len(data) > MAX_CSV_BYTES:
        return [], [f"The file is larger than {MAX_CSV_BYTES // 1024} KB."]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"The file is not UTF-8 text (byte {exc.start}). Save it as CSV UTF-8 and try again."]
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header or "team" not in header:
        return [], ["Line 1: the header must name a 'team' and an 'email' column."]
    reader.fieldnames = header
    students = {
        e.lower()
        for e in Membership.objects.filter(course=course, role=Role.STUDENT).values_list("user__email", flat=True)
    }
    rows, errors, seen = [], [], {}
    for index, raw in enumerate(reader):
        line = index + 2
        if index >= MAX_CSV_ROWS:
            errors.append(f"The file has more than {MAX_CSV_ROWS} rows.")
            break
        if None in raw:
            errors.append(f"Line {line}: more values than columns.")
            continue
        email = (raw.get("email") or "").strip().lower()
        team = " ".join((raw.get("team") or "").split())
        if not email and not team:
            continue
        if not email:
            errors.append(f"Line {line}: the email is missing.")
            continue
        if email not in students:
            errors.append(f"Line {line}: {email} is not a student of this course.")
            continue
        if email in seen:
            errors.append(f"Line {line}: {email} is already on line {seen[email]}; a student can be in one team only.")
            continue
        if len(team) > 80:
            errors.append(f"Line {line}: the team name has more than 80 characters.")
            continue
        seen[email] = line
        rows.append(_Row(line, email, team, (raw.get("idea") or "").strip()[:2000]))
    if not rows and not errors:
        errors.append("The file has no rows.")
    return rows, errors


@dataclass
class _Moves:
    """A checked import, locked: the listed students, their memberships, the teams involved (by
    lower-case name too) and who moves where (user id -> (row, target team id or new name))."""

    users: dict[str, User]
    current: dict[int, TeamMembership]
    teams: dict[int, Team]
    by_name: dict[str, Team]
    moving: dict[int, tuple[_Row, int | str | None]]


def import_teams_csv(course: Course, actor, data: bytes) -> ImportResult:
    """Put every listed student in the named team (created if new; empty name: no team).

    Students not in the file stay where they are. Every row is checked, and the resulting
    team sizes too, before anything changes; with any error nothing is applied.
    """
    rows, errors = _parse_csv(course, data)
    result = ImportResult(errors=errors)
    if errors:
        return result
    with transaction.atomic():
        moves = _check_import(course, rows, result)
        if result.errors:
            return result
        _apply_import(course, actor, rows, moves, result)
    return result


def _check_import(course: Course, rows: list[_Row], result: ImportResult) -> _Moves:
    """Lock what the rows touch and work out who moves; the sizes that would pass the maximum go
    to result.errors, the rows that change nothing to result.unchanged."""
    emails = [r.email for r in rows]
    users = {u.lowered: u for u in students_of(course).annotate(lowered=Lower("email")).filter(lowered__in=emails)}
    _lock_students(course, users.values())
    current = {m.user_id: m for m in TeamMembership.objects.filter(course=course, user__in=users.values())}
    all_teams = {t.name.lower(): t for t in Team.objects.filter(course=course)}
    named = {r.team.lower() for r in rows if r.team}
    teams = _lock_teams(
        course,
        {all_teams[n].pk for n in named if n in all_teams} | {m.team_id for m in current.values()},
    )
    by_name = {t.name.lower(): t for t in teams.values()}

    moving = {}
    for r in rows:
        user = users[r.email]
        now_in = current[user.pk].team_id if user.pk in current else None
        target = by_name.get(r.team.lower()) if r.team else None
        target_key = (target.pk if target else r.team.lower()) if r.team else None
        if (target is not None and now_in == target.pk) or (not r.team and now_in is None):
            result.unchanged += 1
            continue
        moving[user.pk] = (r, target_key)
    sizes = defaultdict(int)
    for m in TeamMembership.objects.filter(course=course, team__in=teams.values()):
        if m.user_id not in moving:
            sizes[m.team_id] += 1
    for _row, key in moving.values():
        if key is not None:
            sizes[key] += 1
    display = {t.pk: t.name for t in teams.values()} | {r.team.lower(): r.team for r in rows if r.team}
    for key, size in sizes.items():
        if size > course.max_team_size:
            result.errors.append(f"{display[key]} would have {size} members; the maximum is {course.max_team_size}.")
    return _Moves(users=users, current=current, teams=teams, by_name=by_name, moving=moving)


def _apply_import(course: Course, actor, rows: list[_Row], moves: _Moves, result: ImportResult) -> None:
    """Create the new teams, move the students, dissolve the teams left empty; counted in `result`."""
    users, current, teams, by_name, moving = moves.users, moves.current, moves.teams, moves.by_name, moves.moving
    new_teams: dict[str, Team] = {}
    for r in rows:
        user = users[r.email]
        if user.pk not in moving or not r.team or r.team.lower() in by_name or r.team.lower() in new_teams:
            continue
        team = Team.objects.create(course=course, name=r.team, idea=r.idea, created_by=actor)
        record(team, EventKind.CREATED, f"{display_name(actor)} created the team by CSV import.", actor=actor)
        new_teams[r.team.lower()] = team
        result.created.append(team.name)
    left = set()
    for user_id, (r, _key) in moving.items():
        membership = current.get(user_id)
        if membership is not None:
            membership.delete()
            old = teams[membership.team_id]
            left.add(old.pk)
            where = f"to {r.team}" if r.team else "out of the team"
            detail = f"{display_name(actor)} moved {display_name(users[r.email])} {where} (CSV import)."
            record(old, EventKind.MOVED_OUT, detail, actor=actor, subject=users[r.email])
    for user_id, (r, _key) in moving.items():
        user = users[r.email]
        if not r.team:
            notify([user], verb="team_moved", message="An instructor took you out of your team.", course=course)
            continue
        team = by_name.get(r.team.lower()) or new_teams[r.team.lower()]
        _add_member(
            team,
            user,
            actor=actor,
            kind=EventKind.MOVED_IN if user_id in current else EventKind.JOINED,
            detail=f"{display_name(actor)} put {display_name(user)} here (CSV import).",
        )
        notify(
            [user],
            verb="team_moved",
            message=f"An instructor put you in {team.name}.",
            course=course,
            url=team_url(team),
        )
    for team_id in left:
        team = teams[team_id]
        if not TeamMembership.objects.filter(team=team).exists():
            result.dissolved.append(team.name)
            _dissolve(team, actor=actor, reason="its members were moved by CSV import", members=[])
    result.moved = len(moving)
