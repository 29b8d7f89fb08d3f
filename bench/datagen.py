"""Bench data: a course at the size of a real class, inserted in bulk in the shapes the apps'
services write (the same rows, events and history a semester of clicks would leave).

Full size (`Size()`): 200 students, an instructor and a TA, 60 teams, 60 proposals with 3
revisions each (two reviews asking for changes, half approved), 10 weeks of weekly updates
with comments, and a challenge made from the seed data with 5,000 scored, failed and
cancelled submissions plus the benchmark rows. `build(Size(...))` also makes the smaller
courses of the query-count tests (tests/perf/).

    .venv/bin/python bench/datagen.py [--slug bench] [--scale 1.0]

fills the bench database (cp_bench, recreated) and prints what it made; bench/pages.py calls
`build` itself.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "bench-password-2026"
BATCH = 1000

FIRST = "Ada Ben Cai Dana Eli Fay Gus Hana Ivo Jin Kai Lea Max Nia Oli Pia Quin Rosa Sam Tia Uma Vic Wen Xia Yan Zed"
LAST = "Abe Brandt Chen Diaz Eze Fink Garcia Haas Ito Jung Klein Lopez Mori Novak Ortiz Park Quist Ruiz Sato Tran"
TOPICS = [
    "bird song classifier",
    "crop disease detection",
    "sign language to text",
    "lecture summarizer",
    "traffic sign recognition",
    "music genre tagging",
    "x-ray triage",
    "recipe generator",
    "satellite flood maps",
    "handwriting OCR",
]
SENTENCE = (
    "we trained the baseline on the full dataset and compared it with the fine-tuned model; "
    "accuracy improved on the validation split but the test numbers are still noisy, so next "
    "we will look at augmentation, class weights and a cleaner labeling of the hard examples"
)
WORDS = SENTENCE.split(" ")


@dataclass(frozen=True)
class Size:
    students: int = 200
    teams: int = 60
    revisions: int = 3
    weeks: int = 10
    submissions: int = 5000
    comments_per_update: int = 2

    def scaled(self, factor: float) -> Size:
        return replace(
            self,
            students=max(4, round(self.students * factor)),
            teams=max(2, round(self.teams * factor)),
            submissions=max(20, round(self.submissions * factor)),
        )


FULL = Size()


@dataclass
class World:
    """What `build` made, for the benchmarks and tests that use it."""

    course: object
    instructor: object
    ta: object
    students: list
    teams: list
    challenge: object
    counts: dict = field(default_factory=dict)

    def viewer(self):
        """The student the benchmarks look through: in a team, and with the most submissions."""
        return self.students[0]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _bulk(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=BATCH)


def build(size: Size = FULL, *, slug: str = "bench", seed: int = 0, now: datetime.datetime | None = None) -> World:
    """Make the course `slug` with `size` of everything; returns the World. Runs in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        return _build(size, slug, random.Random(seed), now)


def _build(size: Size, slug: str, rng: random.Random, now) -> World:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from courses.models import Course, Membership, Notification, Role

    now = now or timezone.now()
    today = timezone.localtime(now, datetime.UTC).date()
    # Week `size.weeks` (the last) holds today, so every week of updates has started.
    start = today - datetime.timedelta(days=7 * (size.weeks - 1) + 3)
    course = Course.objects.create(
        slug=slug,
        title=f"Deep Learning Projects ({slug})",
        term="Bench term",
        time_zone="Europe/Berlin",
        start_date=start,
        end_date=start + datetime.timedelta(days=7 * size.weeks - 1),
        min_team_size=2,
        max_team_size=4,
        team_formation_deadline=now - datetime.timedelta(days=7 * (size.weeks - 2)),
        proposal_deadline=now - datetime.timedelta(days=7 * (size.weeks - 3)),
        update_due_weekday=4,
    )
    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once: every bench user shares it

    def person(kind: str, i: int) -> object:
        first, last = rng.choice(FIRST.split(" ")), rng.choice(LAST.split(" "))
        email = f"{slug}-{kind}{i:03d}@bench.example"
        return User(username=email, email=email, first_name=first, last_name=last, password=password)

    staff = _bulk(User, [person("instructor", 0), person("ta", 0)])
    students = _bulk(User, [person("student", i) for i in range(size.students)])
    instructor, ta = staff
    _bulk(
        Membership,
        [
            Membership(user=instructor, course=course, role=Role.INSTRUCTOR),
            Membership(user=ta, course=course, role=Role.TA),
            *(Membership(user=u, course=course, role=Role.STUDENT) for u in students),
        ],
    )
    teams, members = _teams(course, students, size, rng)
    proposals = _proposals(course, teams, members, instructor, size, rng, now)
    updates = _updates(course, teams, members, students, ta, size, rng, now)
    challenge, subs = _challenge(course, students, size, rng, now)
    # The navigation bar counts unread notifications on every page: give everyone a history.
    notes = []
    for user in [instructor, ta, *students]:
        for k in range(10):
            notes.append(
                Notification(
                    user=user,
                    course=course,
                    verb="bench",
                    message=f"Something happened ({k}).",
                    url="",
                    read_at=now if k >= 3 else None,
                )
            )
    _bulk(Notification, notes)
    counts = {
        "students": len(students),
        "teams": len(teams),
        "proposals": proposals,
        "revisions": proposals * size.revisions,
        "weekly_updates": updates,
        "submissions": subs,
        "notifications": len(notes),
    }
    return World(course, instructor, ta, students, teams, challenge, counts)


def _teams(course, students, size: Size, rng: random.Random):
    """Every student in a team (sizes 3-4 for 200 students in 60 teams), with the history create/join leave."""
    from teams.models import EventKind, Team, TeamEvent, TeamMembership

    n = min(size.teams, len(students))
    groups: list[list] = [[] for _ in range(n)]
    for i, student in enumerate(students):
        groups[i % n].append(student)
    teams = _bulk(
        Team,
        [
            Team(
                course=course,
                name=f"{rng.choice(['Deep', 'Sparse', 'Robust', 'Tiny', 'Greedy', 'Noisy'])} "
                f"{rng.choice(['Gradients', 'Kernels', 'Tensors', 'Labels', 'Priors', 'Losses'])} {i + 1:02d}",
                idea=f"A {rng.choice(TOPICS)}. " + _text(rng, 20),
                looking_for="",
                created_by=group[0],
                locked=True,
            )
            for i, group in enumerate(groups)
        ],
    )
    memberships, events = [], []
    for team, group in zip(teams, groups, strict=True):
        events.append(
            TeamEvent(
                course=course,
                team=team,
                team_name=team.name,
                kind=EventKind.CREATED,
                actor=group[0],
                detail="created the team.",
            )
        )
        for user in group:
            memberships.append(TeamMembership(team=team, user=user, course=course))
            events.append(
                TeamEvent(
                    course=course,
                    team=team,
                    team_name=team.name,
                    kind=EventKind.JOINED,
                    actor=user,
                    subject=user,
                    detail="joined.",
                )
            )
        events.append(
            TeamEvent(
                course=course,
                team=team,
                team_name=team.name,
                kind=EventKind.LOCKED,
                detail="Locked at the team formation deadline.",
            )
        )
    _bulk(TeamMembership, memberships)
    _bulk(TeamEvent, events)
    return teams, groups


def _proposals(course, teams, members, reviewer, size: Size, rng: random.Random, now) -> int:
    """A proposal per team: `revisions` immutable revisions, a review asking for changes after each
    but the last, and half of them approved; drafts, events and classmates' comments."""
    from proposals.models import (
        DraftSection,
        Proposal,
        ProposalComment,
        ProposalEvent,
        ProposalRevision,
        ProposalStatus,
        Review,
        ReviewDecision,
        ReviewSectionComment,
        RevisionSection,
    )
    from proposals.services import template_sections

    sections = template_sections(course)  # the service makes the course's default template
    day = datetime.timedelta(days=1)
    first_at = now - 7 * day * (size.weeks - 3)
    rows = []
    for i, team in enumerate(teams):
        approved = i % 2 == 0
        rows.append(
            Proposal(
                course=course,
                team=team,
                team_name=team.name,
                status=ProposalStatus.APPROVED if approved else ProposalStatus.SUBMITTED,
                revision_count=size.revisions,
                first_submitted_at=first_at,
                last_submitted_at=first_at + 4 * day * (size.revisions - 1),
                decided_at=first_at + 4 * day * (size.revisions - 1) + day if approved else None,
                created_at=first_at - 3 * day,
                updated_at=first_at + 4 * day * (size.revisions - 1),
            )
        )
    proposals = _bulk(Proposal, rows)
    drafts, revisions, events = [], [], []
    for proposal, group in zip(proposals, members, strict=True):
        author = group[0]
        bodies = {s.key: _text(rng, 40) for s in sections}
        for s in sections:
            drafts.append(
                DraftSection(
                    proposal=proposal,
                    key=s.key,
                    body=bodies[s.key],
                    version=size.revisions,
                    updated_at=proposal.updated_at,
                    updated_by=author,
                )
            )
        events.append(
            ProposalEvent(
                proposal=proposal,
                kind=ProposalEvent.Kind.STARTED,
                to_status=ProposalStatus.DRAFT,
                actor=author,
                created_at=proposal.created_at,
            )
        )
        for number in range(1, size.revisions + 1):
            revisions.append(
                ProposalRevision(
                    proposal=proposal, number=number, author=author, created_at=first_at + 4 * day * (number - 1)
                )
            )
    _bulk(DraftSection, drafts)
    revisions = _bulk(ProposalRevision, revisions)
    rev_sections, reviews = [], []
    for rev in revisions:
        for s in sections:
            rev_sections.append(
                RevisionSection(revision=rev, key=s.key, position=s.position, title=s.title, body=_text(rng, 40))
            )
        proposal = rev.proposal
        last = rev.number == size.revisions
        old = ProposalStatus.DRAFT if rev.number == 1 else ProposalStatus.NEEDS_REVISION
        events.append(
            ProposalEvent(
                proposal=proposal,
                kind=ProposalEvent.Kind.SUBMITTED,
                from_status=old,
                to_status=ProposalStatus.SUBMITTED,
                actor=rev.author,
                revision=rev,
                created_at=rev.created_at,
            )
        )
        if not last or proposal.status == ProposalStatus.APPROVED:
            decision = ReviewDecision.APPROVED if last else ReviewDecision.NEEDS_REVISION
            at = rev.created_at + day
            reviews.append(
                Review(
                    proposal=proposal,
                    revision=rev,
                    reviewer=reviewer,
                    decision=decision,
                    comment=_text(rng, 25),
                    created_at=at,
                )
            )
            events.append(
                ProposalEvent(
                    proposal=proposal,
                    kind=decision,
                    from_status=ProposalStatus.SUBMITTED,
                    to_status=decision,
                    actor=reviewer,
                    revision=rev,
                    created_at=at,
                )
            )
    _bulk(RevisionSection, rev_sections)
    reviews = _bulk(Review, reviews)
    _bulk(
        ReviewSectionComment,
        [
            ReviewSectionComment(review=r, key=s.key, body=_text(rng, 15))
            for r in reviews
            if r.decision == ReviewDecision.NEEDS_REVISION
            for s in rng.sample(sections, 2)
        ],
    )
    _bulk(ProposalEvent, events)
    by_proposal = {}
    for rev in revisions:
        by_proposal[rev.proposal_id] = rev
    others = [u for group in members for u in group]
    _bulk(
        ProposalComment,
        [
            ProposalComment(
                proposal=p,
                revision=by_proposal[p.pk],
                author=rng.choice(others),
                body=_text(rng, 20),
                created_at=p.last_submitted_at + day,
            )
            for p in proposals
            for _ in range(2)
        ],
    )
    return len(proposals)


def _updates(course, teams, members, students, ta, size: Size, rng: random.Random, now) -> int:
    """Weekly updates for every started week (about 1 in 12 missing, some late), each with a
    classmate's comment and a reply, the way post_weekly_update and comment_on_update write them."""
    from proposals.models import UpdateComment, WeeklyUpdate
    from proposals.weeks import course_weeks

    rows = []
    for team, group in zip(teams, members, strict=True):
        for week in course_weeks(course)[: size.weeks]:
            if rng.random() < 1 / 12 or week.due > now and rng.random() < 0.5:
                continue
            late = week.due < now and rng.random() < 0.15
            at = (
                week.due + datetime.timedelta(hours=rng.randint(1, 40))
                if late
                else week.due - datetime.timedelta(hours=rng.randint(1, 48))
            )
            at = min(at, now)
            author = rng.choice(group)
            rows.append(
                WeeklyUpdate(
                    course=course,
                    team=team,
                    week=week.number,
                    did=_text(rng, 30),
                    next_steps=_text(rng, 20),
                    blockers=_text(rng, 8) if rng.random() < 0.3 else "",
                    links="",
                    author=author,
                    updated_by=author,
                    late=late,
                    created_at=at,
                    updated_at=at,
                )
            )
    updates = _bulk(WeeklyUpdate, rows)
    comments = []
    for update in updates:
        for _ in range(max(0, size.comments_per_update - 1)):
            comments.append(
                UpdateComment(
                    update=update,
                    course=course,
                    author=rng.choice(students),
                    body=_text(rng, 15),
                    created_at=update.created_at,
                )
            )
    comments = _bulk(UpdateComment, comments)
    if size.comments_per_update:
        _bulk(
            UpdateComment,
            [
                UpdateComment(
                    update_id=c.update_id,
                    course=course,
                    parent=c,
                    author=ta,
                    body=_text(rng, 10),
                    created_at=c.created_at + datetime.timedelta(hours=2),
                )
                for c in comments
            ],
        )
    return len(updates)


# What each status of a bench submission looks like (share of all student submissions).
STATUS_MIX = [
    ("scored", 0.86),
    ("failed", 0.06),
    ("invalid_output", 0.03),
    ("timed_out", 0.02),
    ("memory_exceeded", 0.01),
    ("cancelled", 0.02),
]
MESSAGES = {
    "failed": "The code stopped with exit status 1; the end of its output below shows the error.",
    "invalid_output": "summarized_data.csv has no column 'label'.",
    "timed_out": "Stopped after the time limit of 60 s (wall-clock time, for everything the code starts).",
    "memory_exceeded": "The code ran out of memory: the limit is 1024 MB of address space per process.",
    "cancelled": "Cancelled before it was scored.",
}
DAYS = 14  # the challenge has been open this long
BENCHMARKS = [("majority_vote", 0.9227), ("weighted_vote", 0.9273), ("dawid_skene", 0.9318)]


def _challenge(course, students, size: Size, rng: random.Random, now):
    """The seed challenge (through create_challenge) with `size.submissions` finished submissions
    spread over the last two weeks, each with the events claim and finish leave."""
    from labeling import storage
    from labeling.models import Hint, HintReveal, Status, Submission, SubmissionEvent
    from tests.labeling.factories import make_challenge

    challenge = make_challenge(course, opens_at=now - datetime.timedelta(days=DAYS + 1))
    hints = _bulk(
        Hint,
        [
            Hint(challenge=challenge, order=1, text="Workers differ: look at the gold slots 11-16."),
            Hint(challenge=challenge, order=2, text="Weight each worker's vote.", reveal_on_click=True),
            Hint(challenge=challenge, order=3, text="Try Dawid-Skene.", reveal_at=now + datetime.timedelta(days=3)),
        ],
    )
    _bulk(HintReveal, [HintReveal(hint=hints[1], user=u) for u in students[::3]])
    codes = [storage.write_blob("code", f"# solution {k}\nprint({k})\n".encode(), suffix=".py") for k in range(20)]
    # Heavy-tailed, as in a real class, but within the daily limit: at most DAYS × daily_limit each.
    cap = DAYS * challenge.daily_limit
    if size.submissions > cap * len(students):
        raise ValueError(f"{size.submissions} submissions need more than {len(students)} students")
    weights = [rng.paretovariate(1.5) for _ in students]
    total = sum(weights)
    per_student = [min(cap, max(1, round(size.submissions * w / total))) for w in weights]
    while sum(per_student) > size.submissions:
        per_student[per_student.index(max(per_student))] -= 1
    while sum(per_student) < size.submissions:
        i = rng.randrange(len(per_student))
        if per_student[i] < cap:
            per_student[i] += 1
    # The first student (the benchmarks' viewer) is one of the busiest: their own list fills a page.
    top = per_student.index(max(per_student))
    per_student[0], per_student[top] = per_student[top], per_student[0]
    statuses, shares = zip(*STATUS_MIX, strict=True)
    rows, created = [], []

    def row(participant, user, status, at, skill, **extra):
        path, digest = rng.choice(codes)
        scored = status == Status.SCORED
        public = min(1.0, round(skill + rng.gauss(0, 0.008), 3)) if scored else None
        private = min(1.0, round(skill + rng.gauss(0, 0.008), 3)) if scored else None
        runtime = round(rng.uniform(1.2, 4.0), 2) if status != Status.CANCELLED else None
        created.append(at)
        return Submission(
            challenge=challenge,
            submitter=user,
            participant=participant,
            code_path=path,
            code_sha256=digest,
            code_size=40,
            original_filename="solution.py",
            status=status,
            message=MESSAGES.get(status, ""),
            log_tail="" if scored else "Traceback (most recent call last):\n  ...\nValueError: bench\n",
            score=round((public + private) / 2, 4) if scored else None,
            public_score=public,
            private_score=private,
            runtime_s=runtime,
            attempts=0 if status == Status.CANCELLED else 1,
            worker="" if status == Status.CANCELLED else "bench@host:task",
            queued_at=at,
            started_at=None if status == Status.CANCELLED else at + datetime.timedelta(seconds=1),
            finished_at=at + datetime.timedelta(seconds=(runtime or 0) + 1),
            **extra,
        )

    for student, count in zip(students, per_student, strict=True):
        skill = rng.uniform(0.86, 0.935)
        # The k-th submission on day k mod DAYS (counting back from today): never over the daily limit.
        times = sorted(now - datetime.timedelta(days=k % DAYS, seconds=rng.uniform(60, 86_000)) for k in range(count))
        for at in times:
            status = rng.choices(statuses, shares)[0]
            rows.append(row(f"u:{student.pk}", student, status, at, skill))
    for name, score in BENCHMARKS:
        rows.append(
            row(
                f"b:{name}",
                None,
                Status.SCORED,
                now - datetime.timedelta(days=DAYS),
                score,
                is_benchmark=True,
                benchmark_name=name,
            )
        )
    subs = _bulk(Submission, rows)
    # created_at is auto_now_add (bulk_create sets it to now): put each row at its time.
    for sub, at in zip(subs, created, strict=True):
        sub.created_at = at
    Submission.objects.bulk_update(subs, ["created_at"], batch_size=BATCH)
    # A few disqualified, and final picks for about a third of the students.
    scored = [s for s in subs if s.status == Status.SCORED and not s.is_benchmark]
    dq = rng.sample(scored, max(1, len(scored) // 500))
    Submission.objects.filter(pk__in=[s.pk for s in dq]).update(disqualified=True, disqualified_reason="Copied code.")
    by_user: dict[int, list] = {}
    for s in scored:
        by_user.setdefault(s.submitter_id, []).append(s)
    pickers = [u.pk for u in students[::3]]  # the viewer (students[0]) among them
    picks = [s.pk for uid in pickers for s in rng.sample(by_user.get(uid, []), min(2, len(by_user.get(uid, []))))]
    Submission.objects.filter(pk__in=picks).update(is_final_pick=True)
    events = []
    for sub in subs:
        at = sub.created_at
        events.append(
            SubmissionEvent(
                submission=sub, from_status="", to_status=Status.QUEUED, actor=sub.submitter, note="submitted"
            )
        )
        if sub.status == Status.CANCELLED:
            events.append(
                SubmissionEvent(
                    submission=sub,
                    from_status=Status.QUEUED,
                    to_status=Status.CANCELLED,
                    actor=sub.submitter,
                    note="cancelled",
                )
            )
            continue
        events.append(
            SubmissionEvent(
                submission=sub,
                from_status=Status.QUEUED,
                to_status=Status.RUNNING,
                note="claimed by bench@host (attempt 1)",
            )
        )
        events.append(
            SubmissionEvent(submission=sub, from_status=Status.RUNNING, to_status=sub.status, note=sub.message[:300])
        )
        del at
    _bulk(SubmissionEvent, events)
    return challenge, len(subs)


def analyze() -> None:
    """VACUUM ANALYZE after the bulk load, as autovacuum would soon after: statistics for the
    planner and the visibility map for index-only scans (the leaderboard's best-row query)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="add to the bench database instead of recreating it")
    args = parser.parse_args(argv)
    from bench import _env

    _env.setup_django()
    if not args.keep:
        _env.recreate_database()
    started = time.monotonic()
    world = build(FULL.scaled(args.scale), slug=args.slug)
    analyze()
    elapsed = time.monotonic() - started
    for name, value in world.counts.items():
        print(f"{name}: {value}")
    print(f"database: {_env.DATABASE_URL} (course {args.slug})")
    print(f"datagen_seconds: {elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
