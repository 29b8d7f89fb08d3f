"""Pages for proposals and weekly updates. Thin: access helpers decide who, services do the writes."""

from __future__ import annotations

import csv
import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from courseproj.lib.markdown import render_markdown
from courseproj.lib.pagecache import PageCache
from courseproj.lib.pagination import paginate
from courses.permissions import course_instructor, course_member, course_staff
from proposals import queries, services
from proposals.access import classmates_may_read, get_proposal_access, get_update_access, my_team
from proposals.diff import diff_revisions
from proposals.forms import CommentForm, ProposalEditorForm, ReviewForm, TemplateFormSet, WeeklyUpdateForm
from proposals.models import ProposalRevision, ProposalStatus, ReviewDecision, UpdateComment, WeeklyUpdate
from proposals.weeks import course_week, course_weeks, current_week_number, has_weeks


def _in_course_time_zone(view):
    """Show dates and times in the course's time zone (due times are defined in it)."""

    @functools.wraps(view)
    def wrapper(request, access, *args, **kwargs):
        with timezone.override(access.course.tz):
            return view(request, access, *args, **kwargs)

    return wrapper


def member_page(view):
    return course_member(_in_course_time_zone(view))


def staff_page(view):
    return course_staff(_in_course_time_zone(view))


def instructor_page(view):
    return course_instructor(_in_course_time_zone(view))


def _refuse(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# ---------------------------------------------------------------- proposals: lists


@member_page
def index(request, access):
    if access.is_staff:
        return _staff_index(request, access)
    team = my_team(access)
    proposal = getattr(team, "proposal", None) if team else None
    others = None
    if classmates_may_read(access.course):
        others = paginate(request, queries.classmates_proposals(access.course, exclude_team=team), 30)
    context = {"team": team, "proposal": proposal, "page": others, "sharing": classmates_may_read(access.course)}
    return render(request, "proposals/index.html", context)


def _staff_index(request, access):
    course = access.course
    status = request.GET.get("status") or None
    statuses = [(queries.NOT_STARTED, "Not started"), *ProposalStatus.choices]
    shown = status if status in dict(statuses) else None  # an unknown filter shows every team
    table = PageCache(course, "teams", "proposals").get("proposal-list", lambda: _staff_table(course, shown), shown)
    page = Paginator(table["rows"], 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows_html": mark_safe("".join(page)),  # noqa: S308 - rendered by proposals/_staff_row.html
        "orphans_html": mark_safe(table["orphans"]),  # noqa: S308 - rendered by proposals/_orphans.html
        "status": status,
        "statuses": statuses,
    }
    return render(request, "proposals/staff_index.html", context)


def _staff_table(course, status: str | None) -> dict:
    """The staff's proposal list: each team's row and the dissolved teams' proposals (as HTML)."""
    orphans = list(queries.orphaned_proposals(course))
    return {
        "rows": [
            str(render_to_string("proposals/_staff_row.html", {"course": course, "team": team}))
            for team in queries.staff_proposal_rows(course, status)
        ],
        "orphans": str(render_to_string("proposals/_orphans.html", {"course": course, "orphans": orphans}))
        if orphans
        else "",
    }


@staff_page
def export(request, access):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.course.slug}-proposals.csv"'
    writer = csv.writer(response)
    writer.writerow(["team", "members", "status", "revisions", "late", "first_submitted_at", "last_submitted_at"])
    for team in queries.staff_proposal_rows(access.course):
        p = getattr(team, "proposal", None)
        writer.writerow(
            [
                team.name,
                team.size,
                p.status if p else queries.NOT_STARTED,
                p.revision_count if p else 0,
                "yes" if p and p.late else "no",
                p.first_submitted_at.isoformat() if p and p.first_submitted_at else "",
                p.last_submitted_at.isoformat() if p and p.last_submitted_at else "",
            ]
        )
    return response


@member_page
def mine(request, access):
    team = my_team(access)
    if team is None:
        messages.info(request, "Join or create a team first: proposals are written by teams.")
        return redirect("teams:index", access.course.slug)
    proposal = services.start_proposal(team, by=request.user)
    return redirect("proposals:detail", access.course.slug, proposal.pk)


# ---------------------------------------------------------------- proposals: one proposal


@member_page
def detail(request, access, pk):
    pa = get_proposal_access(access, pk)
    proposal = pa.proposal
    revision = queries.latest_revision(proposal)
    review = queries.latest_review(proposal) if pa.can_see_reviews else None
    feedback = _feedback(review)
    if revision:
        rows = [(s.title, s.body, feedback.get(s.key)) for s in revision.sections.all()]
    elif pa.can_see_draft:
        drafts = queries.drafts_by_key(proposal)
        sections = services.template_sections(access.course)
        rows = [(s.title, getattr(drafts.get(s.key), "body", ""), None) for s in sections]
    else:
        rows = []
    context = {
        "pa": pa,
        "proposal": proposal,
        "revision": revision,
        "review": review,
        "rows": rows,
        "events": proposal.events.select_related("actor", "revision") if pa.can_see_reviews else [],
        "comments": proposal.comments.select_related("author", "revision") if revision else [],
        "comment_form": CommentForm(),
    }
    return render(request, "proposals/detail.html", context)


def _feedback(review) -> dict[str, str]:
    """The review's comments on sections, by section key."""
    if review is None:
        return {}
    return {c.key: c.body for c in review.section_comments.all()}


@member_page
def edit(request, access, pk):
    pa = get_proposal_access(access, pk, write=True)
    proposal = pa.proposal
    if not proposal.is_editable:
        messages.info(request, _locked_message(proposal))
        return redirect("proposals:detail", access.course.slug, proposal.pk)
    sections = services.template_sections(access.course)
    drafts = queries.drafts_by_key(proposal)
    form = ProposalEditorForm(request.POST or None, sections=sections, drafts=drafts)
    conflicts = {}
    if request.method == "POST" and form.is_valid():
        try:
            services.save_draft(proposal, form.bodies(), versions=form.versions(), by=request.user)
            if request.POST.get("action") == "submit":
                revision = services.submit_proposal(proposal, by=request.user)
                late = " It was submitted after the deadline and is marked late." if revision.late else ""
                messages.success(request, f"Revision {revision.number} submitted; the staff will review it.{late}")
                return redirect("proposals:detail", access.course.slug, proposal.pk)
            messages.success(request, "Draft saved. Only your team can see it until you submit.")
            return redirect("proposals:edit", access.course.slug, proposal.pk)
        except services.DraftConflict as exc:
            conflicts = exc.current
            _refuse(form, exc)
            # Saving again now overwrites their version on purpose: the editor shows both texts.
            data = request.POST.copy()
            for key, row in conflicts.items():
                data[f"version_{key}"] = row.version
            form = ProposalEditorForm(data, sections=sections, drafts=drafts)
            form.is_valid()
            _refuse(form, exc)
        except ValidationError as exc:
            _refuse(form, exc)
    review = queries.latest_review(proposal) if proposal.status == ProposalStatus.NEEDS_REVISION else None
    feedback = _feedback(review)
    rows = [
        (section, body, version, feedback.get(section.key), conflicts.get(section.key), drafts.get(section.key))
        for section, body, version in form.section_fields()
    ]
    context = {"proposal": proposal, "form": form, "review": review, "rows": rows}
    return render(request, "proposals/edit.html", context, status=400 if form.errors else 200)


def _locked_message(proposal) -> str:
    if proposal.status == ProposalStatus.SUBMITTED:
        return "Your proposal is waiting for review; you can edit it again if a reviewer asks for a revision."
    return "Your proposal is approved; it can no longer be changed."


@require_POST
@member_page
def preview(request, access):
    """htmx: the Markdown of one field, rendered as it will be shown."""
    field = request.GET.get("field", "text")
    html = render_markdown(request.POST.get(field, ""))
    return HttpResponse(html or '<p class="muted">Nothing to preview yet.</p>')


@member_page
def revisions(request, access, pk):
    pa = get_proposal_access(access, pk)
    items = pa.proposal.revisions.select_related("author").order_by("-number")
    decisions = {}
    if pa.can_see_reviews:
        for review in pa.proposal.reviews.all():
            decisions.setdefault(review.revision_id, review)
    rows = [(r, decisions.get(r.pk)) for r in items]
    return render(request, "proposals/revisions.html", {"pa": pa, "proposal": pa.proposal, "rows": rows})


@member_page
def revision(request, access, pk, number):
    pa = get_proposal_access(access, pk)
    revisions_qs = ProposalRevision.objects.select_related("author").prefetch_related("sections")
    rev = get_object_or_404(revisions_qs, proposal=pa.proposal, number=number)
    reviews = list(queries.reviews_with_comments(pa.proposal).filter(revision=rev)) if pa.can_see_reviews else []
    feedback = _feedback(reviews[0] if reviews else None)
    context = {
        "pa": pa,
        "proposal": pa.proposal,
        "revision": rev,
        "reviews": reviews,
        "rows": [(sec.title, sec.body, feedback.get(sec.key)) for sec in rev.sections.all()],
    }
    return render(request, "proposals/revision.html", context)


@member_page
def diff(request, access, pk):
    pa = get_proposal_access(access, pk)
    proposal = pa.proposal
    count = proposal.revision_count
    if count < 2:
        messages.info(request, "There is only one revision so far; a comparison needs two.")
        return redirect("proposals:revisions", access.course.slug, proposal.pk)
    old_n, new_n = _int(request.GET.get("from"), count - 1), _int(request.GET.get("to"), count)
    mode = "unified" if request.GET.get("mode") == "unified" else "side"
    if not (1 <= old_n <= count and 1 <= new_n <= count):
        messages.error(request, f"Choose revisions between 1 and {count}.")
        old_n, new_n = count - 1, count
    revs = {r.number: r for r in proposal.revisions.filter(number__in=[old_n, new_n]).prefetch_related("sections")}
    context = {
        "pa": pa,
        "proposal": proposal,
        "old": revs[old_n],
        "new": revs[new_n],
        "sections": diff_revisions(revs[old_n], revs[new_n]),
        "mode": mode,
        "numbers": range(1, count + 1),
    }
    return render(request, "proposals/diff.html", context)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@staff_page
def review(request, access, pk):
    pa = get_proposal_access(access, pk)
    proposal = pa.proposal
    rev = queries.latest_revision(proposal)
    if rev is None or proposal.status != ProposalStatus.SUBMITTED:
        messages.info(request, "Only a submitted proposal can be reviewed; there is nothing new to review here.")
        return redirect("proposals:detail", access.course.slug, proposal.pk)
    sections = list(rev.sections.all())
    form = ReviewForm(request.POST or None, sections=sections)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.review_proposal(
                proposal,
                by=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                section_comments=form.section_comments(),
                revision_number=_int(request.POST.get("revision"), rev.number),
            )
        except ValidationError as exc:
            _refuse(form, exc)
        else:
            word = "approved" if done.decision == ReviewDecision.APPROVED else "sent back for a revision"
            messages.success(request, f"The proposal of {proposal.team_name} is {word}; the team was notified.")
            return redirect("proposals:detail", access.course.slug, proposal.pk)
    context = {
        "proposal": proposal,
        "revision": rev,
        "form": form,
        "rows": [(s, form.section_field(s.key)) for s in sections],
        "previous": queries.reviews_with_comments(proposal),
    }
    return render(request, "proposals/review.html", context, status=400 if form.errors else 200)


@require_POST
@member_page
def comment(request, access, pk):
    pa = get_proposal_access(access, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_on_proposal(pa.proposal, by=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Comment posted.")
    else:
        messages.error(request, "Write a comment first (at most 5,000 characters).")
    return redirect(reverse("proposals:detail", args=[access.course.slug, pa.proposal.pk]) + "#comments")


@instructor_page
def template_editor(request, access):
    sections = services.template_sections(access.course)
    initial = [{"key": s.key, "title": s.title, "prompt": s.prompt, "required": s.required} for s in sections]
    formset = TemplateFormSet(request.POST or None, initial=initial, prefix="sections")
    error = None
    if request.method == "POST" and formset.is_valid():
        try:
            services.update_proposal_template(access.course, formset.ordered_specs(), by=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, "Proposal template saved. Drafts keep their text for sections that stay.")
            return redirect("proposals:template", access.course.slug)
    status = 400 if (error or formset.total_error_count()) else 200
    return render(request, "proposals/template.html", {"formset": formset, "error": error}, status=status)


# ---------------------------------------------------------------- weekly updates


@member_page
def updates(request, access):
    if access.is_staff:
        return redirect("proposals:grid", access.course.slug)
    team = my_team(access)
    now = timezone.now()
    context = {
        "team": team,
        "cells": list(reversed(queries.team_weeks(access.course, team, now))),
        "current": current_week_number(access.course, now),
        "has_weeks": has_weeks(access.course),
        "feed": queries.course_feed(access.course, limit=10),
    }
    return render(request, "proposals/updates.html", context)


@member_page
def update_form(request, access, week):
    team = my_team(access)
    if team is None:
        messages.info(request, "Join a team first: weekly updates are posted by teams.")
        return redirect("teams:index", access.course.slug)
    now = timezone.now()
    existing = WeeklyUpdate.objects.filter(team=team, week=week).first()
    try:
        the_week = services.postable_week(access.course, week, now)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("proposals:updates", access.course.slug)
    if existing and the_week.is_due(now):
        messages.info(request, f"The update for week {week} is past its due time and can no longer be edited.")
        return redirect("proposals:update_detail", access.course.slug, existing.pk)
    form = WeeklyUpdateForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.UPDATE_FIELDS}
        try:
            if existing:
                update = services.edit_weekly_update(existing, fields, by=request.user)
            else:
                update = services.post_weekly_update(team, week, fields, by=request.user)
        except ValidationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, f"Update for week {week} saved." + (" It is marked late." if update.late else ""))
            return redirect("proposals:update_detail", access.course.slug, update.pk)
    context = {
        "form": form,
        "week": the_week,
        "existing": existing,
        "team": team,
        "late": the_week.is_due(now),
        "previous": queries.previous_next_steps(team, week),
    }
    return render(request, "proposals/update_form.html", context, status=400 if form.errors else 200)


@member_page
def update_detail(request, access, pk):
    ua = get_update_access(access, pk)
    update = ua.update
    week = course_week(access.course, update.week) if has_weeks(access.course) else None
    context = {
        "ua": ua,
        "update": update,
        "week": week,
        "editable": ua.is_team and week is not None and not week.is_due(timezone.now()),
        "comments": queries.update_comments(update),
        "form": CommentForm(),
    }
    return render(request, "proposals/update_detail.html", context)


@require_POST
@member_page
def update_comment(request, access, pk):
    ua = get_update_access(access, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent_id = form.cleaned_data.get("parent")
        parent = UpdateComment.objects.filter(pk=parent_id, update=ua.update).first() if parent_id else None
        try:
            services.comment_on_update(ua.update, by=request.user, body=form.cleaned_data["body"], parent=parent)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Comment posted.")
    else:
        messages.error(request, "Write a comment first (at most 5,000 characters).")
    return redirect(reverse("proposals:update_detail", args=[access.course.slug, pk]) + "#comments")


def _grid_filter(request, access, now):
    current = current_week_number(access.course, now)
    missing = request.GET.get("missing") == "1" and current > 0
    return current, missing, queries.grid_teams(access.course, missing_week=current if missing else None)


@staff_page
def grid(request, access):
    course, now = access.course, timezone.now()
    current, missing, teams = _grid_filter(request, access, now)
    # The cells change with the data and with time: when a week starts and when its update
    # falls due. The current week and the number of weeks past due say which cells are which.
    weeks = course_weeks(course)
    due = sum(1 for week in weeks if week.is_due(now))
    table = PageCache(course, "teams", "proposals").get(
        "update-grid", lambda: _grid_table(course, teams, now, current), missing, current, due
    )
    page = Paginator(table["rows"], 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "head_html": mark_safe(table["head"]),  # noqa: S308 - rendered by proposals/_grid_head.html
        "rows_html": mark_safe("".join(page)),  # noqa: S308 - rendered by proposals/_grid_row.html
        # The page shows the cached HTML; the rows' data are read only if something asks for them.
        "rows": SimpleLazyObject(
            lambda: queries.update_grid(course, teams[(page.number - 1) * 50 : page.number * 50], now)[1]
        ),
        "week_count": len(weeks),
        "current": current,
        "missing": missing,
        "has_weeks": bool(weeks),
    }
    return render(request, "proposals/grid.html", context)


def _grid_table(course, teams, now, current: int) -> dict:
    """The grid's header and every team's row (as HTML: the same for every staff member)."""
    weeks, rows = queries.update_grid(course, teams, now)
    ctx = {"course": course, "current": current, "weeks": weeks}
    return {
        "head": str(render_to_string("proposals/_grid_head.html", ctx)),
        "rows": [str(render_to_string("proposals/_grid_row.html", {**ctx, "row": row})) for row in rows],
    }


@staff_page
def grid_csv(request, access):
    now = timezone.now()
    _, missing, teams = _grid_filter(request, access, now)
    weeks, rows = queries.update_grid(access.course, teams, now)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.course.slug}-weekly-updates.csv"'
    writer = csv.writer(response)
    writer.writerow(["team", *[f"week {w.number}" for w in weeks]])
    for row in rows:
        writer.writerow([row.team.name, *[c.status for c in row.cells]])
    return response


@member_page
def feed(request, access):
    try:
        before = queries.parse_cursor(request.GET.get("before"))
    except ValueError:
        before = None
    items = queries.course_feed(access.course, before=before, limit=30)
    older = items[-1].at.isoformat() if len(items) == 30 else None
    return render(request, "proposals/feed.html", {"items": items, "older": older})
