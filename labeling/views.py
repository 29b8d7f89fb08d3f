"""Pages of the labeling challenge. Thin: access through labeling.access, writes through
labeling.services (the scorer's), labeling.leaderboard and labeling.hints."""

from __future__ import annotations

import functools
import importlib.metadata
import sys
from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from courseproj.lib.pagecache import PageCache
from courseproj.lib.pagination import paginate
from courses.permissions import course_member, course_staff
from labeling import access as acl
from labeling import health, queue, sandbox, services
from labeling import hints as hint_rules
from labeling import leaderboard as lb
from labeling.forms import (
    BenchmarkForm,
    ChallengeForm,
    DisqualifyForm,
    HintFormSet,
    SubmissionFilterForm,
    SubmitForm,
    read_upload,
)
from labeling.models import Challenge, Hint, Status, Submission


@functools.cache
def runtime_versions() -> list[tuple[str, str]]:
    """Versions of what submitted code can import: the sandbox runtime's manifest when it is built
    (`labeling.sandbox.runtime_packages`), else this environment's (the same pins)."""
    built = {name.lower(): version for name, version in sandbox.runtime_packages().items()}
    versions = [("Python", built.get("python") or sys.version.split()[0])]
    for name in ("numpy", "pandas", "scipy", "scikit-learn"):
        try:
            versions.append((name, built.get(name) or importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _render(request, access, template, context, status=200):
    """Render with times shown in the course's time zone."""
    with timezone.override(access.course.tz):
        return render(request, template, context, status=status)


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


@course_member
def index(request, access):
    challenges = list(Challenge.objects.filter(course=access.course).order_by("-created_at"))
    now = timezone.now()
    rows = []
    for ch in challenges:
        own = acl.viewer_participants(ch, request.user)
        rows.append({"challenge": ch, "phase": acl.phase(ch, now), "standing": None, "own": own})
    if not access.is_staff and rows:
        # One query per challenge; a course has a handful of challenges.
        for row in rows:
            row["standing"] = lb.standing_of(row["challenge"], row["own"])
    return _render(request, access, "labeling/index.html", {"rows": rows})


def _challenge_context(
    request, access, challenge, *, submit_form=None, submit_errors=None, benchmark_form=None, hints=None
):
    """Everything the challenge page shows; `hints`: the viewer's hint views when the caller has them."""
    phase = acl.phase(challenge)
    ctx = {
        "challenge": challenge,
        "phase": phase,
        "content_open": access.is_staff or phase != acl.UPCOMING,
        "submit_form": submit_form,
        # Before any upload the form is the same for everyone: rendered once per process.
        "submit_form_html": "" if submit_form else _blank_submit_form(),
        "submit_errors": submit_errors or [],
        "private_visible": lb.private_visible(challenge, access.is_staff),
        "closed": phase == acl.CLOSED,
        "site_url": request.build_absolute_uri("/").rstrip("/"),
    }
    cache = PageCache(access.course, "teams", "labeling")
    # The facts, the instructions and the data files: the same for everyone.
    parts = cache.get("challenge-parts", lambda: _challenge_parts(challenge), challenge.pk)
    ctx["parts"] = {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308 - rendered by templates
    if ctx["content_open"]:
        ctx["hints"] = hints if hints is not None else _hint_views(cache, request, access, challenge)
        if access.is_staff:
            ctx["reveal_counts"] = hint_rules.reveal_counts(challenge)
    if not access.is_staff:
        participant = acl.current_participant(challenge, request.user)
        ctx["participant"] = participant
        if participant:
            # Today's count: its key holds the course's date, so it starts again at midnight.
            now = timezone.now()
            today = timezone.localtime(now, access.course.tz).date()
            ctx["quota"] = cache.get(
                "quota",
                lambda: services.submission_quota(challenge, request.user, now),
                challenge.pk,
                request.user.pk,
                today,
            )
        else:
            ctx["quota"] = None
        # The viewer's own submissions, cached for them: what changes them (a submission, a score,
        # a pick, a team change) changes the stamps; whether the challenge closed is in the key.
        mine = cache.get(
            "own-submissions",
            lambda: _own_submissions(challenge, request.user, participant, ctx["closed"]),
            challenge.pk,
            request.user.pk,
            ctx["closed"],
        )
        ctx["pick_ids"], ctx["picked"] = mine["pick_ids"], mine["picked"]
        ctx["page"] = Paginator(mine["rows"], 20).get_page(request.GET.get("page"))
        ctx["own_rows_html"] = mark_safe("".join(ctx["page"]))  # noqa: S308 - rendered by labeling/_own_row.html
        # Where the viewer's waiting submissions stand in the queue: read only when there are some.
        waiting = mine.get("waiting", [])
        ctx.update(_queue_context(challenge, request.user, waiting) if waiting else {"waiting": [], "waiting_ids": ""})
        # The viewer's rank, cached for them (not the whole ranking read on every request); the
        # board that counts is in the key, as whether the challenge closed.
        kind = lb.PRIVATE if ctx["closed"] else lb.PUBLIC
        ctx["standing"] = cache.get(
            "standing",
            lambda: lb.standing_of(
                challenge, acl.viewer_participants(challenge, request.user), _ranking(cache, challenge, kind)
            ),
            challenge.pk,
            request.user.pk,
            kind,
        )
    else:
        counts = dict(Submission.objects.filter(challenge=challenge).values_list("status").annotate(n=Count("id")))
        ctx["benchmarks"] = list(Submission.objects.filter(challenge=challenge, is_benchmark=True).order_by("id"))
        ctx["benchmark_form"] = benchmark_form or BenchmarkForm()
        ctx["status_counts"] = [(Status(s).label, counts.get(s, 0)) for s in Status.values if counts.get(s)]
    return ctx


def _hint_views(cache: PageCache, request, access, challenge) -> list[hint_rules.HintView]:
    """The hints are the same for everyone (the labeling stamp), the reveals the viewer's; with the
    page cache off, both in one query."""
    hints = cache.get("hints", lambda: list(challenge.hints.all()), challenge.pk) if cache.enabled else None
    return hint_rules.visible_hints(challenge, request.user, is_staff=access.is_staff, hints=hints)


@functools.cache
def _csrf_placeholder() -> str:
    """Stands for the CSRF token in a cached page body (the same in every process, and not guessable
    by whoever writes the texts a body shows)."""
    return "csrf" + salted_hmac("labeling.views.csrf-placeholder", "body", algorithm="sha256").hexdigest()[:32]


def _student_body(request, access, challenge) -> str:
    """A student's challenge page body, rendered once per state and kept in the page cache.

    Its key: the course's teams and labeling stamps (a submission, a score, a pick, a team change,
    an edit of the challenge or its hints), the viewer, the phase, the course's date (today's
    quota), the viewer's hints as they stand now (by time and by their clicks, which no stamp
    watches) and the site's address. A body with a submission still waiting is not kept: its queue
    panel is live. The CSRF token goes in afterwards, as a placeholder in the cached body.
    """
    cache = PageCache(access.course, "teams", "labeling")
    phase = acl.phase(challenge)
    hints = _hint_views(cache, request, access, challenge) if phase != acl.UPCOMING else None
    today = timezone.localtime(timezone.now(), access.course.tz).date()
    site_url = request.build_absolute_uri("/").rstrip("/")
    shown = [(h.hint.pk, h.visible, h.how, h.revealed_at, h.can_reveal) for h in hints or ()]
    # The placeholder too: bodies kept under another SECRET_KEY (a rotation) are not read.
    parts = (challenge.pk, request.user.pk, phase, today, site_url, shown, _csrf_placeholder())
    body = cache.peek("student-body", *parts)
    if body is None:
        ctx = _challenge_context(request, access, challenge, hints=hints)
        with timezone.override(access.course.tz):
            body = render_to_string(
                "labeling/_challenge_body.html", {**ctx, "csrf_token": _csrf_placeholder()}, request=request
            )
        if not ctx["waiting"]:
            cache.put("student-body", body, *parts)
    return mark_safe(body.replace(_csrf_placeholder(), get_token(request)))  # noqa: S308 - rendered above


@functools.cache
def _blank_submit_form() -> str:
    return render_to_string("_form.html", {"form": SubmitForm()})


def _challenge_parts(challenge) -> dict[str, str]:
    ctx = {"challenge": challenge, "course": challenge.course, "inputs": list(challenge.inputs.all())}
    ctx["runtime"] = runtime_versions()
    return {
        name: str(render_to_string(f"labeling/_challenge_{name}.html", ctx))
        for name in ("facts", "instructions", "data")
    }


def _own_submissions(challenge, user, participant, closed: bool) -> dict:
    """The user's submissions table (rows as HTML, newest first) and the picks that count."""
    pick_ids, picked = lb.final_pick_ids(challenge, participant)
    ctx = {
        "course": challenge.course,
        "challenge": challenge,
        "participant": participant,
        "closed": closed,
        "pick_ids": pick_ids,
        "picked": picked,
    }
    # The table shows neither the log nor the message: up to 24 KB a row not to read.
    subs = acl.own_submissions(challenge, user).defer("log_tail", "message")
    rows, waiting = [], []
    for sub in subs:
        rows.append(str(render_to_string("labeling/_own_row.html", {**ctx, "sub": sub})))
        if not sub.is_terminal:
            waiting.append(sub.pk)
    return {"rows": rows, "pick_ids": pick_ids, "picked": picked, "waiting": waiting}


def _ranking(cache: PageCache, challenge, kind: str | None = None, build=None) -> list[lb.Place]:
    """The board's order (the one that counts now by default), from the page cache."""
    kind = kind or (lb.PRIVATE if acl.is_closed(challenge) else lb.PUBLIC)
    return cache.get("board-ranking", build or (lambda: lb.ranking(challenge, kind)), challenge.pk, kind)


@course_member
def challenge_detail(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    if access.is_staff or request.GET:  # staff pages, and a page of the student's submissions past the first
        return _render(request, access, "labeling/challenge.html", _challenge_context(request, access, challenge))
    ctx = {"challenge": challenge, "body": _student_body(request, access, challenge)}
    return _render(request, access, "labeling/challenge.html", ctx)


@course_member
def input_download(request, access, slug, name):
    challenge = acl.get_challenge_for_user(access, slug)
    item, path = acl.get_input_for_user(access, challenge, name)
    return FileResponse(path.open("rb"), as_attachment=True, filename=item.name, content_type=acl.content_type(item))


@require_POST
@course_member
def submit(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    form = SubmitForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            submission = services.submit(
                challenge, request.user, read_upload(upload, challenge.max_code_bytes), upload.name
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"Submission {submission.pk} is in; its status below updates by itself.")
            return redirect("labeling:submission", access.course.slug, challenge.slug, submission.pk)
    ctx = _challenge_context(request, access, challenge, submit_form=form, submit_errors=errors)
    return _render(request, access, "labeling/challenge.html", ctx, status=400)


@require_POST
@course_member
def picks(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    if access.is_staff:
        raise PermissionDenied("Only participants pick final submissions.")
    try:
        chosen = lb.pick_final(challenge, request.user, request.POST.getlist("submission"))
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        if chosen:
            messages.success(request, f"Final picks saved: {', '.join(f'#{pk}' for pk in chosen)}.")
        else:
            messages.success(request, "No picks: your best public submissions count.")
    return redirect(_challenge_url(access, challenge) + "#picks")


@require_POST
@course_member
def hint_reveal(request, access, slug, hint_id):
    challenge = acl.get_challenge_for_user(access, slug)
    acl.require_open_content(access, challenge)
    hint = get_object_or_404(Hint, pk=hint_id, challenge=challenge)
    try:
        hint_rules.reveal_hint(hint, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    return redirect(_challenge_url(access, challenge) + f"#hint-{hint.pk}")


def _challenge_url(access, challenge) -> str:
    return reverse("labeling:challenge", args=[access.course.slug, challenge.slug])


@course_member
def leaderboard(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    private_ok = lb.private_visible(challenge, access.is_staff)
    default = lb.PRIVATE if acl.is_closed(challenge) else lb.PUBLIC
    kind = request.GET.get("board", default)
    if kind not in (lb.PUBLIC, lb.PRIVATE):
        kind = default
    if kind == lb.PRIVATE and not private_ok:
        raise PermissionDenied("The private leaderboard is revealed when the challenge closes.")
    own = set() if access.is_staff else acl.viewer_participants(challenge, request.user)
    board = _CachedBoard(PageCache(access.course, "teams", "labeling"), challenge, kind)
    places = board.places()
    page = Paginator(range(len(places)), lb.ROWS_PER_PAGE).get_page(request.GET.get("page"))
    html = [board.own_row_html(p) if p in own else row_html for p, row_html in board.rows_html(page.number)]
    ctx = {
        "challenge": challenge,
        "total": len(places),
        "page": page,
        "rows_html": mark_safe("".join(html)),  # noqa: S308 - rendered by the row template
        "kind": kind,
        "private_ok": private_ok,
        "closed": acl.is_closed(challenge),
        "own_elsewhere": [
            {"rank": p.rank, "score": p.score, "page_number": n}
            for p in places
            if p.participant in own and (n := p.page_number(lb.ROWS_PER_PAGE)) != page.number
        ],
    }
    return _render(request, access, "labeling/leaderboard.html", ctx)


class _CachedBoard:
    """The leaderboard's parts from the page cache: the ranking, a page's rows as HTML (as everyone
    but their owners sees them) and each row's data (for its owners' highlighted version). What
    one part reads from the database on a miss is reused by the next in the same request."""

    def __init__(self, cache: PageCache, challenge, kind: str):
        self.cache, self.challenge, self.kind = cache, challenge, kind
        self._rows: list[lb.Row] | None = None
        self._page_rows: dict[str, lb.Row] = {}
        self._page_number = 1

    def _read_rows(self) -> list[lb.Row]:
        if self._rows is None:
            self._rows = lb.ranked_rows(self.challenge, self.kind)
        return self._rows

    def places(self) -> list[lb.Place]:
        return _ranking(
            self.cache,
            self.challenge,
            self.kind,
            build=lambda: lb.ranking(self.challenge, self.kind, self._read_rows()),
        )

    def rows_html(self, page_number: int) -> list[tuple[str, str]]:
        self._page_number = page_number
        return self.cache.get("board-rows", self._build_rows, self.challenge.pk, self.kind, page_number)

    def _build_rows(self) -> list[tuple[str, str]]:
        board = lb.build_board(
            self.challenge,
            self.kind,
            page_number=self._page_number,
            per_page=lb.ROWS_PER_PAGE,
            with_public_rank=self.kind == lb.PRIVATE,
            rows=self._read_rows(),
        )
        rows = []
        for row in board.rows:
            # Plain str: a SafeString takes longer to unpickle, and these are read on every request.
            html = str(render_to_string("labeling/_board_row.html", {"row": row, "kind": self.kind}))
            rows.append((row.participant, html))
            row.history = []  # drawn into row.chart
            self._page_rows[row.participant] = row
            self.cache.put("board-row", row, self.challenge.pk, self.kind, row.participant)
        return rows

    def own_row_html(self, participant: str) -> str:
        """The viewer's own row: highlighted, with the "you" badge (the same for each of its owners)."""
        build = functools.partial(self._own_row_html, participant)
        return self.cache.get("board-own-row", build, self.challenge.pk, self.kind, participant)

    def _own_row_html(self, participant: str) -> str:
        row = self._page_rows.get(participant) or self.cache.get(
            "board-row", functools.partial(self._find_row, participant), self.challenge.pk, self.kind, participant
        )
        html = render_to_string("labeling/_board_row.html", {"row": replace(row, is_own=True), "kind": self.kind})
        return str(html)  # plain str, as the other rows

    def _find_row(self, participant: str) -> lb.Row:
        """One row's data, when its cache entry went (the cache dropped it to make room)."""
        self._build_rows()
        return self._page_rows[participant]


@course_member
def submission_detail(request, access, slug, pk):
    challenge = acl.get_challenge_for_user(access, slug)
    sub_access = acl.get_submission_for_user(access, challenge, pk)
    sub = sub_access.submission
    try:
        code = acl.data_file(sub.code_path).read_bytes().decode("utf-8", errors="replace")
    except (Http404, OSError):
        code = None  # the page says the file is missing; the rest still shows
    ctx = {
        "challenge": challenge,
        "sub": sub,
        "sub_access": sub_access,
        "code": code,
        "events": list(sub.events.select_related("actor")),
        "closed": acl.is_closed(challenge),
        "private_visible": lb.private_visible(challenge, access.is_staff),
        "disqualify_form": DisqualifyForm(),
        "place": queue.places().get(sub.pk) if sub.status == Status.QUEUED else None,
    }
    return _render(request, access, "labeling/submission.html", ctx)


@course_member
def submission_status(request, access, slug, pk):
    """The live part of the submission page, polled by htmx until the status is terminal."""
    challenge = acl.get_challenge_for_user(access, slug)
    sub = acl.get_submission_for_user(access, challenge, pk).submission
    ctx = {
        "challenge": challenge,
        "sub": sub,
        "private_visible": lb.private_visible(challenge, access.is_staff),
        "place": queue.places().get(sub.pk) if sub.status == Status.QUEUED else None,
    }
    return _render(request, access, "labeling/_submission_status.html", ctx)


def _queue_context(challenge, user, ids) -> dict:
    """The user's submissions `ids` (theirs only) with each queued one's place in the fair queue."""
    subs = list(acl.own_submissions(challenge, user).filter(pk__in=ids).defer("log_tail", "message").order_by("pk"))
    places = queue.places() if any(s.status == Status.QUEUED for s in subs) else {}
    return {
        "waiting": [(sub, places.get(sub.pk)) for sub in subs],
        "waiting_ids": ",".join(str(s.pk) for s in subs),
        "still_waiting": any(not s.is_terminal for s in subs),
    }


@course_member
def queue_status(request, access, slug):
    """The challenge page's live queue panel, polled by htmx while the viewer's submissions wait:
    `ids` names the ones the page showed waiting, so the panel also shows how they ended."""
    challenge = acl.get_challenge_for_user(access, slug)
    ids = [int(x) for x in request.GET.get("ids", "").split(",")[:20] if x.isdigit() and len(x) < 12]
    if not ids:
        ids = list(
            acl.own_submissions(challenge, request.user)
            .filter(status__in=[Status.QUEUED, Status.RUNNING])
            .values_list("pk", flat=True)[:20]
        )
    ctx = {"challenge": challenge, **_queue_context(challenge, request.user, ids)}
    return _render(request, access, "labeling/_queue_status.html", ctx)


@course_member
def submission_code(request, access, slug, pk):
    challenge = acl.get_challenge_for_user(access, slug)
    sub = acl.get_submission_for_user(access, challenge, pk).submission
    path = acl.data_file(sub.code_path)
    filename = sub.original_filename or f"submission-{sub.pk}.py"
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type="text/x-python")


@require_POST
@course_member
def submission_cancel(request, access, slug, pk):
    challenge = acl.get_challenge_for_user(access, slug)
    sub = acl.get_submission_for_user(access, challenge, pk).submission
    try:
        services.cancel_submission(sub, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"Submission {sub.pk} is cancelled.")
    return redirect("labeling:submission", access.course.slug, challenge.slug, sub.pk)


# Staff pages ---------------------------------------------------------------------------------


@course_staff
def challenge_create(request, access):
    form = ChallengeForm(request.POST or None, request.FILES or None, course=access.course)
    with timezone.override(access.course.tz):
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            challenge = services.create_challenge(
                access.course,
                slug=form.cleaned_data["slug"],
                **form.service_fields(),
                **form.file_args(),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, f"Challenge “{challenge.title}” created. Add hints and reference solutions.")
            return redirect("labeling:challenge", access.course.slug, challenge.slug)
    status = 400 if form.errors else 200
    return _render(request, access, "labeling/challenge_form.html", {"form": form, "challenge": None}, status)


def _add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            field = name if name in form.fields else None
            for error in errors:
                form.add_error(field, error.messages[0] if hasattr(error, "messages") else str(error))
    else:
        for message in exc.messages:
            form.add_error(None, message)


@course_staff
def challenge_edit(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    # A separate instance: the form writes its values into the instance while validating,
    # and the service must see the challenge as it is stored.
    form_instance = Challenge.objects.get(pk=challenge.pk)
    form = ChallengeForm(request.POST or None, request.FILES or None, instance=form_instance, course=access.course)
    with timezone.override(access.course.tz):
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            services.update_challenge(challenge, **form.service_fields(), **form.file_args())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Challenge saved.")
            return redirect("labeling:challenge", access.course.slug, challenge.slug)
    status = 400 if form.errors else 200
    ctx = {"form": form, "challenge": challenge, "inputs": list(challenge.inputs.all())}
    return _render(request, access, "labeling/challenge_form.html", ctx, status)


@course_staff
def hints_edit(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    formset = HintFormSet(request.POST or None, instance=challenge)
    with timezone.override(access.course.tz):
        valid = request.method == "POST" and formset.is_valid()
    if valid:
        hint_rules.save_hints(challenge, formset)
        messages.success(request, "Hints saved.")
        return redirect("labeling:hints_edit", access.course.slug, challenge.slug)
    status = 400 if request.method == "POST" else 200
    ctx = {"challenge": challenge, "formset": formset, "reveal_counts": hint_rules.reveal_counts(challenge)}
    return _render(request, access, "labeling/hints_form.html", ctx, status)


@course_staff
def staff_submissions(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    form = SubmissionFilterForm(request.GET or None)
    subs = Submission.objects.filter(challenge=challenge).select_related("submitter", "team")
    if form.is_valid():
        subs = acl.filter_submissions(subs, **form.cleaned_data)
    ctx = {
        "challenge": challenge,
        "filter_form": form,
        "page": paginate(request, subs, 50),
        "closed": acl.is_closed(challenge),
        "scorer_problems": health.active_problems(),
        "remedy": health.REMEDY,
        "sandbox": sandbox.capabilities(),
    }
    return _render(request, access, "labeling/staff_submissions.html", ctx)


def _submission_action(request, access, slug, pk, action, done: str):
    """A staff action on one submission: `action(submission, user)`; a refusal is shown as a
    message, and the page goes back to where the button was."""
    challenge = acl.get_challenge_for_user(access, slug)
    sub = acl.get_submission_for_user(access, challenge, pk).submission
    try:
        action(sub, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, done.format(pk=sub.pk))
    return redirect(_safe_next(request, _submission_url(access, challenge, sub)))


def _submission_page(action, done: str):
    """The POST page of a staff action on one submission, through _submission_action."""

    @require_POST
    @course_staff
    def view(request, access, slug, pk):
        return _submission_action(request, access, slug, pk, action, done)

    return view


submission_rescore = _submission_page(services.rescore_submission, "Submission {pk} is queued to be scored again.")
submission_requalify = _submission_page(services.requalify_submission, "Submission {pk} is back on the leaderboard.")


def _submission_url(access, challenge, sub) -> str:
    return reverse("labeling:submission", args=[access.course.slug, challenge.slug, sub.pk])


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
@course_staff
def submission_disqualify(request, access, slug, pk):
    form = DisqualifyForm(request.POST)

    def disqualify(sub, user):
        if not form.is_valid():
            raise ValidationError("Give a reason for the disqualification (it is shown to the participant).")
        services.disqualify_submission(sub, user, form.cleaned_data["reason"])

    done = "Submission {pk} is disqualified: it is off the leaderboard."
    return _submission_action(request, access, slug, pk, disqualify, done)


@require_POST
@course_staff
def benchmark_add(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    form = BenchmarkForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sub = services.add_benchmark(
                challenge, form.cleaned_data["name"], read_upload(upload, challenge.max_code_bytes), upload.name
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error("file", message)
        else:
            messages.success(request, f"Reference solution “{sub.benchmark_name}” is queued to be scored.")
            return redirect(_challenge_url(access, challenge) + "#benchmarks")
    ctx = _challenge_context(request, access, challenge, benchmark_form=form)
    return _render(request, access, "labeling/challenge.html", ctx, status=400)


@require_POST
@course_staff
def rescore_all(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    try:
        count = services.rescore_challenge(challenge, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"{count} submission{'s' if count != 1 else ''} queued to be scored again.")
    return redirect("labeling:staff_submissions", access.course.slug, challenge.slug)


@require_POST
@course_staff
def close_now(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    try:
        lb.close_challenge(challenge, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, "The challenge is closed; the private leaderboard is revealed.")
    return redirect("labeling:leaderboard", access.course.slug, challenge.slug)


@course_staff
def export_csv(request, access, slug):
    challenge = acl.get_challenge_for_user(access, slug)
    response = HttpResponse(lb.standings_csv(challenge), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(timezone.now(), access.course.tz).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{access.course.slug}-{challenge.slug}-{stamp}.csv"'
    return response
