"""Team pages. Each view checks access through courses.permissions / teams.access and calls one
service; a refusal (ValidationError) is shown on the page it came from with status 400."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from courseproj.lib.pagecache import PageCache
from courseproj.lib.pagination import paginate
from courses.permissions import course_instructor, course_member, course_staff
from teams import bulk, queries, services
from teams.access import team_access
from teams.forms import (
    BoardPostForm,
    ImportForm,
    InviteForm,
    JoinRequestForm,
    MergeForm,
    MoveForm,
    RejectSoloForm,
    SoloForm,
    TeamCreateForm,
    TeamEditForm,
)
from teams.models import BoardPost, EventKind, Invitation, JoinRequest, PlacementPlan, PlanStatus, RequestStatus


def _error(form, exc: ValidationError, field=None):
    for message in exc.messages:
        form.add_error(field, message)


# ---------------------------------------------------------------- lists


@course_member
def index(request, access):
    course = access.course
    status, q = request.GET.get("status", ""), request.GET.get("q", "").strip()
    shown = status if status in queries.STATUS_FILTERS else ""  # an unknown filter shows every team
    cache = PageCache(course, "teams")
    # A search is free text: not worth a cache entry.
    rows = _team_rows(course, shown, q) if q else cache.get("team-rows", lambda: _team_rows(course, shown), shown)
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    my_team = cache.get("team-of", lambda: services.team_of(request.user, course), request.user.pk)
    mine = my_team.pk if my_team else None
    context = {
        "page": page,
        # The viewer's own team highlighted: its row is the cached one with a class added.
        "rows_html": mark_safe(  # noqa: S308 - rendered by teams/_team_row.html
            "".join(html.replace("<tr>", '<tr class="highlight">', 1) if pk == mine else html for pk, html in page)
        ),
        "my_team": my_team,
        "status": status,
        "q": q,
        "status_filters": queries.STATUS_FILTERS,
        "deadline_passed": services.deadline_passed(course),
        # Shown only to a student without a team: read only then.
        "invitations": Invitation.objects.filter(course=course, user=request.user, status=RequestStatus.PENDING).count()
        if access.is_student and my_team is None
        else 0,
    }
    return render(request, "teams/index.html", context)


def _team_rows(course, status: str, q: str = "") -> list[tuple[int, str]]:
    """Every team the filters keep, in list order: (id, its row as everyone sees it)."""
    teams = queries.decorate(
        queries.filter_teams(queries.teams_with_members(course), course, status=status, q=q), course
    )
    return [
        (team.pk, str(render_to_string("teams/_team_row.html", {"team": team, "course": course}))) for team in teams
    ]


@course_member
def board(request, access):
    course = access.course
    interest, skill = request.GET.get("interest", "").strip(), request.GET.get("skill", "").strip()
    q = request.GET.get("q", "").strip()
    posts = paginate(request, queries.open_board_posts(course, interest=interest, skill=skill, q=q), 20)
    open_teams = queries.decorate(
        queries.filter_teams(queries.teams_with_members(course), course, status="open"), course
    )
    interests, skills = queries.board_tags(course)
    context = {
        "page": posts,
        "open_teams": [t for t in open_teams if not t.locked],
        "interest": interest,
        "skill": skill,
        "q": q,
        "interests": interests,
        "skills": skills,
        "my_post": BoardPost.objects.filter(course=course, author=request.user).first(),
        "my_team": services.team_of(request.user, course),
    }
    return render(request, "teams/board.html", context)


@course_member
def board_post(request, access):
    course = access.course
    post = BoardPost.objects.filter(course=course, author=request.user).first()
    initial = {f: getattr(post, f) for f in BoardPostForm.base_fields} if post else {}
    form = BoardPostForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_board_post(course, request.user, **form.cleaned_data)
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Your post is on the board.")
            return redirect("teams:board", course.slug)
    status = 400 if form.errors else 200
    return render(request, "teams/board_post.html", {"form": form, "post": post}, status=status)


@require_POST
@course_member
def board_post_close(request, access):
    if services.close_board_post(access.course, request.user):
        messages.success(request, "Your post is off the board.")
    return redirect("teams:board", access.course.slug)


# ---------------------------------------------------------------- one team


@course_member
def create(request, access):
    course = access.course
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(course, request.user, **form.cleaned_data)
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(request, f"{team.name} is created. Invite people or wait for requests.")
            return redirect("teams:detail", course.slug, team.pk)
    return render(request, "teams/create.html", {"form": form}, status=400 if form.errors else 200)


def _detail(request, ta, *, status=200, **forms):
    """The team page, with any form passed in (bound, with errors) instead of a blank one."""
    team, access, course = ta.team, ta.access, ta.access.course
    members = list(team.memberships.select_related("user"))
    size = len(members)
    my_team = services.team_of(request.user, course)
    history = paginate(request, team.events.select_related("actor", "subject"), 15)
    context = {
        "team": team,
        "ta": ta,
        "members": members,
        "size": size,
        "team_status": queries.team_status(team, size, course),
        "my_team": my_team,
        "history": history,
        "deadline_passed": services.deadline_passed(course),
        "join_form": forms.get("join_form") or JoinRequestForm(),
        "invite_form": forms.get("invite_form") or InviteForm(),
        "solo_form": forms.get("solo_form") or SoloForm(),
        "reject_form": RejectSoloForm(),
        "my_request": JoinRequest.objects.filter(team=team, user=request.user, status=RequestStatus.PENDING).first(),
    }
    context["join_state"] = _join_state(ta, context, forms.get("join_form"))
    if ta.is_member or access.is_staff:
        context["requests"] = team.join_requests.filter(status=RequestStatus.PENDING).select_related("user")
        context["invitations"] = team.invitations.filter(status=RequestStatus.PENDING).select_related("user")
        context["unplaced"] = bulk.unplaced_students(course)
    return render(request, "teams/detail.html", context, status=status)


def _join_state(ta, context, join_form) -> str:
    """What the "Join this team" panel shows: hidden, or why one cannot ask, or the form."""
    if ta.is_member or not (ta.access.is_student or join_form is not None):
        return "hidden"
    if context["my_team"] is not None:
        return "in_team"
    if context["my_request"] is not None:
        return "requested"
    if context["size"] >= ta.access.course.max_team_size:
        return "full"
    if ta.team.locked:
        return "locked"
    if context["deadline_passed"]:
        return "closed"
    return "open" if ta.access.is_student else "refused"


@course_member
def detail(request, access, team_id):
    return _detail(request, team_access(access, team_id))


@course_member
def edit(request, access, team_id):
    ta = team_access(access, team_id, write=True)
    team = ta.team
    initial = {"name": team.name, "idea": team.idea, "looking_for": team.looking_for}
    form = TeamEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = services.rename_team(team, request.user, data["name"])
            services.edit_team(team, request.user, idea=data["idea"], looking_for=data["looking_for"])
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("teams:detail", access.course.slug, team.pk)
    return render(request, "teams/edit.html", {"form": form, "team": team}, status=400 if form.errors else 200)


@require_POST
@course_member
def leave(request, access, team_id):
    ta = team_access(access, team_id)
    try:
        dissolved = services.leave_team(ta.team, request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _detail(request, ta, status=400)
    if dissolved:
        messages.success(request, f"You left {ta.team.name}; it had no other members, so it is dissolved.")
    else:
        messages.success(request, f"You left {ta.team.name}.")
    return redirect("teams:index", access.course.slug)


def _team_form_post(request, access, ta, form, form_name: str, action, done, field=None):
    """A form posted on a team's page: with valid data, `action(cleaned_data)`; its refusal goes on
    the form (on `field`), success back to the team page with the message `done(result)`."""
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ValidationError as exc:
            _error(form, exc, field)
        else:
            messages.success(request, done(result))
            return redirect("teams:detail", access.course.slug, ta.team.pk)
    return _detail(request, ta, status=400, **{form_name: form})


@require_POST
@course_member
def request_join(request, access, team_id):
    ta = team_access(access, team_id)
    return _team_form_post(
        request,
        access,
        ta,
        JoinRequestForm(request.POST),
        "join_form",
        lambda data: services.request_to_join(ta.team, request.user, data["message"]),
        lambda _: f"You asked to join {ta.team.name}; its members are notified.",
    )


@require_POST
@course_member
def invite(request, access, team_id):
    ta = team_access(access, team_id, write=True)
    return _team_form_post(
        request,
        access,
        ta,
        InviteForm(request.POST),
        "invite_form",
        lambda data: services.invite_student(ta.team, request.user, data["email"], data["message"]),
        lambda invitation: f"{services.display_name(invitation.user)} is invited.",
        field="email",
    )


@require_POST
@course_member
def request_solo(request, access, team_id):
    ta = team_access(access, team_id)
    return _team_form_post(
        request,
        access,
        ta,
        SoloForm(request.POST),
        "solo_form",
        lambda data: services.request_solo(ta.team, request.user, data["reason"]),
        lambda _: "Your request to work alone is sent to the instructors.",
    )


# ---------------------------------------------------------------- requests and invitations


@course_member
def requests(request, access):
    return _requests_page(request, access)


def _requests_page(request, access, error=None, status=200):
    course, user = access.course, request.user
    my_team = services.team_of(user, course)
    context = {
        "my_team": my_team,
        "invitations": Invitation.objects.filter(course=course, user=user, status=RequestStatus.PENDING).select_related(
            "team", "invited_by"
        ),
        "my_requests": JoinRequest.objects.filter(course=course, user=user).select_related("team")[:20],
        "error": error,
    }
    if my_team is not None:
        context["team_requests"] = my_team.join_requests.filter(status=RequestStatus.PENDING).select_related("user")
        context["team_invitations"] = my_team.invitations.filter(status=RequestStatus.PENDING).select_related("user")
    return render(request, "teams/requests.html", context, status=status)


def _answer(request, access, obj, action, done: str):
    """Accept/decline/withdraw/cancel; back to the team page when asked from there."""
    try:
        action(obj, request.user)
    except ValidationError as exc:
        return _requests_page(request, access, error=" ".join(exc.messages), status=400)
    messages.success(request, done)
    if request.POST.get("next") == "team" and services.Team.objects.filter(pk=obj.team_id).exists():
        return redirect("teams:detail", access.course.slug, obj.team_id)
    return redirect("teams:requests", access.course.slug)


def _join_request(access, pk) -> JoinRequest:
    return get_object_or_404(JoinRequest.objects.select_related("team", "user", "course"), pk=pk, course=access.course)


def _invitation(access, pk) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("team", "user", "course"), pk=pk, course=access.course)


def _answer_view(find, action, done, members_only: bool = False):
    """A POST page that answers the pending request or invitation `find` gives: `done(row)` is
    the message; `members_only`: only those who may write the team (its members, staff)."""

    @require_POST
    @course_member
    def view(request, access, pk):
        pending = find(access, pk)
        if members_only:
            team_access(access, pending.team_id, write=True)
        return _answer(request, access, pending, action, done(pending))

    return view


request_accept = _answer_view(
    _join_request, services.accept_join_request, lambda jr: f"{services.display_name(jr.user)} joined.", True
)
request_decline = _answer_view(_join_request, services.decline_join_request, lambda jr: "Request declined.", True)
request_withdraw = _answer_view(_join_request, services.withdraw_join_request, lambda jr: "Request withdrawn.")
invitation_accept = _answer_view(_invitation, services.accept_invitation, lambda inv: f"Welcome to {inv.team.name}!")
invitation_decline = _answer_view(_invitation, services.decline_invitation, lambda inv: "Invitation declined.")
invitation_cancel = _answer_view(_invitation, services.cancel_invitation, lambda inv: "Invitation cancelled.", True)


# ---------------------------------------------------------------- staff


def _manage(request, access, *, status=200, **forms):
    course = access.course
    students = bulk.students_of(course).order_by("last_name", "first_name", "email")
    teams = course.teams.order_by("name")
    page = paginate(request, queries.teams_with_members(course), 30)
    page.object_list = queries.decorate(page.object_list, course)
    context = {
        **queries.overview(course),
        "page": page,
        "move_form": forms.get("move_form") or MoveForm(students=students, teams=teams),
        "merge_form": forms.get("merge_form") or MergeForm(teams=teams),
        "import_form": forms.get("import_form") or ImportForm(),
        "import_errors": forms.get("import_errors"),
        "reject_form": RejectSoloForm(),
        "draft": PlacementPlan.objects.filter(course=course, status=PlanStatus.DRAFT).first(),
        "deadline_passed": services.deadline_passed(course),
    }
    return render(request, "teams/manage.html", context, status=status)


@course_staff
def manage(request, access):
    return _manage(request, access)


@course_staff
def history(request, access):
    events = access.course.team_events.select_related("actor", "subject", "team")
    kind = request.GET.get("kind", "")
    if kind in EventKind.values:
        events = events.filter(kind=kind)
    context = {"page": paginate(request, events, 30), "kind": kind, "kinds": EventKind.choices}
    return render(request, "teams/history.html", context)


@require_POST
@course_staff
def move(request, access):
    course = access.course
    students = bulk.students_of(course)
    form = MoveForm(request.POST, students=students, teams=course.teams.all())
    if form.is_valid():
        try:
            services.move_student(course, request.user, form.cleaned_data["student"], form.cleaned_data["team"])
        except ValidationError as exc:
            _error(form, exc)
        else:
            student, team = form.cleaned_data["student"], form.cleaned_data["team"]
            where = f"to {team.name}" if team else "out of their team"
            messages.success(request, f"{services.display_name(student)} moved {where}.")
            return redirect("teams:manage", course.slug)
    return _manage(request, access, status=400, move_form=form)


@require_POST
@course_staff
def merge(request, access):
    course = access.course
    form = MergeForm(request.POST, teams=course.teams.all())
    if form.is_valid():
        keep, absorb = form.cleaned_data["keep"], form.cleaned_data["absorb"]
        try:
            services.merge_teams(course, request.user, keep, absorb)
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(request, f"{absorb.name} is merged into {keep.name}.")
            return redirect("teams:manage", course.slug)
    return _manage(request, access, status=400, merge_form=form)


def _staff_team_action(request, access, team_id, action, done: str):
    ta = team_access(access, team_id)
    try:
        action(ta.team, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, ta, status=400)
    messages.success(request, done.format(team=ta.team.name))
    if request.POST.get("next") == "manage":
        return redirect("teams:manage", access.course.slug)
    if action is services.dissolve_team:
        return redirect("teams:manage", access.course.slug)
    return redirect("teams:detail", access.course.slug, ta.team.pk)


def _staff_team_page(action, done: str, role=course_staff):
    """The POST page of one staff action on a team (behind `role`), through _staff_team_action."""

    @require_POST
    @role
    def view(request, access, team_id):
        return _staff_team_action(request, access, team_id, action, done)

    return view


dissolve = _staff_team_page(services.dissolve_team, "{team} is dissolved.")
lock = _staff_team_page(services.lock_team, "{team} is locked.")
unlock = _staff_team_page(services.unlock_team, "{team} is unlocked.")
solo_approve = _staff_team_page(services.approve_solo, "{team} may work alone.", role=course_instructor)


@require_POST
@course_instructor
def solo_reject(request, access, team_id):
    note = RejectSoloForm(request.POST).data.get("note", "")

    def reject(team, user):
        return services.reject_solo(team, user, note)

    return _staff_team_action(request, access, team_id, reject, "The request to work alone is declined.")


@course_staff
def export_csv(request, access):
    response = HttpResponse(bulk.export_teams_csv(access.course), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.course.slug}-teams.csv"'
    return response


@require_POST
@course_instructor
def import_csv(request, access):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _manage(request, access, status=400, import_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > bulk.MAX_CSV_BYTES:
        result = bulk.ImportResult(errors=[f"The file is larger than {bulk.MAX_CSV_BYTES // 1024} KB."])
    else:
        result = bulk.import_teams_csv(access.course, request.user, upload.read())
    if not result.ok:
        return _manage(request, access, status=400, import_form=form, import_errors=result.errors)
    messages.success(
        request,
        f"Imported: {result.moved} students placed or moved, {result.unchanged} unchanged, "
        f"{len(result.created)} teams created, {len(result.dissolved)} dissolved.",
    )
    return redirect("teams:manage", access.course.slug)


# ---------------------------------------------------------------- auto-placement


@course_staff
def place(request, access):
    """GET: the current draft (or a button to make one). POST: make a new proposal."""
    course = access.course
    if request.method == "POST":
        plan = bulk.propose_placement(course, request.user)
        return redirect("teams:plan", course.slug, plan.pk)
    draft = PlacementPlan.objects.filter(course=course, status=PlanStatus.DRAFT).first()
    if draft is not None:
        return redirect("teams:plan", course.slug, draft.pk)
    recent = PlacementPlan.objects.filter(course=course).select_related("created_by")[:10]
    unplaced = bulk.unplaced_students(course)
    return render(request, "teams/place.html", {"recent": recent, "unplaced": unplaced})


def _plan_page(request, access, plan, *, error=None, status=200):
    view = bulk.describe_plan(plan)
    options = [(t.pk, t.name) for t in access.course.teams.order_by("name")]
    new_options = [(f"new:{i}", t["name"]) for i, t in enumerate(plan.new_teams)]
    new_options.append((f"new:{len(plan.new_teams)}", "+ another new team"))
    context = {
        "plan": plan,
        "view": view,
        "team_options": [(f"team:{pk}", name) for pk, name in options],
        "new_options": new_options,
        "error": error,
    }
    return render(request, "teams/plan.html", context, status=status)


def _get_plan(access, plan_id) -> PlacementPlan:
    return get_object_or_404(PlacementPlan, pk=plan_id, course=access.course)


@course_staff
def plan(request, access, plan_id):
    """Show a plan; POST saves the staff's adjustments (targets and new team names)."""
    plan = _get_plan(access, plan_id)
    if request.method == "POST":
        targets = {
            int(key[7:]): value
            for key, value in request.POST.items()
            if key.startswith("target-") and key[7:].isdigit()
        }
        names = {
            int(key[5:]): value for key, value in request.POST.items() if key.startswith("name-") and key[5:].isdigit()
        }
        try:
            bulk.update_plan(plan, request.user, targets=targets, names=names)
        except ValidationError as exc:
            plan.refresh_from_db()
            return _plan_page(request, access, plan, error=exc.messages, status=400)
        messages.success(request, "The plan is updated. Check it and apply it when it looks right.")
        return redirect("teams:plan", access.course.slug, plan.pk)
    return _plan_page(request, access, plan)


@require_POST
@course_staff
def plan_apply(request, access, plan_id):
    plan = _get_plan(access, plan_id)
    try:
        result = bulk.apply_plan(plan, request.user)
    except ValidationError as exc:
        plan.refresh_from_db()
        return _plan_page(request, access, plan, error=exc.messages, status=400)
    messages.success(
        request,
        f"Applied: {result['placed']} students placed, {len(result['created'])} new teams, "
        f"{len(result['dissolved'])} teams of one dissolved. Everyone affected is notified.",
    )
    return redirect("teams:manage", access.course.slug)


@require_POST
@course_staff
def plan_discard(request, access, plan_id):
    plan = _get_plan(access, plan_id)
    try:
        bulk.discard_plan(plan, request.user)
    except ValidationError as exc:
        return _plan_page(request, access, plan, error=exc.messages, status=400)
    messages.success(request, "The plan is discarded; nothing changed.")
    return redirect("teams:manage", access.course.slug)
