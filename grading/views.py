"""Pages of peer evaluation and the grade sheet. Rules live in grading.services; access in grading.access."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from courses.models import Role
from courses.permissions import course_instructor, course_member, course_staff
from grading import access as grading_access
from grading import lms, services
from grading.forms import AnswerCommentsForm, EvaluationForm, GradeItemForm, GradingPolicyForm
from grading.models import ANCHORS, Dimension, Evaluation, EvaluationResponse, GradeEntry
from grading.results import evaluation_results, feedback_for
from grading.sheet import build_sheet


def _errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


# ---------------------------------------------------------------- evaluations


@course_member
def evaluation_index(request, access):
    evaluations = Evaluation.objects.filter(course=access.course)
    answered = set(
        EvaluationResponse.objects.filter(evaluation__course=access.course, rater=request.user).values_list(
            "evaluation_id", flat=True
        )
    )
    context = {"evaluations": evaluations, "answered": answered, "now": timezone.now()}
    if access.is_staff:
        context["form"] = EvaluationForm()
    return render(request, "grading/evaluation_index.html", context)


@course_staff
def evaluation_create(request, access):
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.create_evaluation(access.course, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"{evaluation.title} is set up.")
            return redirect("grading:results", access.course.slug, evaluation.pk)
    return render(request, "grading/evaluation_form.html", {"form": form}, status=400 if form.errors else 200)


@course_staff
def evaluation_edit(request, access, pk):
    evaluation = grading_access.get_evaluation(access, pk)
    form = EvaluationForm(request.POST or None, instance=evaluation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_evaluation(grading_access.get_evaluation(access, pk), **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "The evaluation window is saved.")
            return redirect("grading:results", access.course.slug, pk)
    context = {"form": form, "evaluation": evaluation}
    return render(request, "grading/evaluation_form.html", context, status=400 if form.errors else 200)


def _scores_from(post, members) -> dict[int, dict[str, str]]:
    return {u.pk: {d: post.get(f"score-{u.pk}-{d}") for d in Dimension.values} for u in members}


@course_member
def evaluation_answer(request, access, pk):
    evaluation = grading_access.get_evaluation(access, pk)
    if access.is_staff:
        return redirect("grading:results", access.course.slug, pk)
    team = grading_access.require_rater(access)
    members = services.team_users(team)
    response = EvaluationResponse.objects.filter(evaluation=evaluation, rater=request.user).first()
    current = {}
    if response:
        current = {(r.ratee_id, r.dimension): r.score for r in response.ratings.all()}
    initial = (
        {"team_comment": response.team_comment, "confidential_comment": response.confidential_comment}
        if response
        else {}
    )
    form = AnswerCommentsForm(request.POST or None, initial=initial)
    errors = []
    if request.method == "POST":
        given = _scores_from(request.POST, members)
        current = {(uid, d): v for uid, dims in given.items() for d, v in dims.items() if v}
        if form.is_valid():
            try:
                services.answer_evaluation(evaluation, request.user, team, given, **form.cleaned_data)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, "Your answers are saved; you can change them until the evaluation closes.")
                return redirect("grading:answer", access.course.slug, pk)
    people = sorted(members, key=lambda u: (u.pk != request.user.pk, u.last_name))
    grid = [(d, label, [(u, str(current.get((u.pk, d), ""))) for u in people]) for d, label in Dimension.choices]
    context = {
        "evaluation": evaluation,
        "team": team,
        "people": people,
        "grid": grid,
        "form": form,
        "errors": errors,
        "response": response,
        "is_open": evaluation.is_open(),
        "anchors": [(label, ANCHORS[d]) for d, label in Dimension.choices],
        "levels": range(1, 6),
    }
    status = 400 if (errors or form.errors) else 200
    return render(request, "grading/evaluation_answer.html", context, status=status)


@course_staff
def evaluation_results_page(request, access, pk):
    evaluation = grading_access.get_evaluation(access, pk)
    policy = services.grading_policy(access.course)
    raw = request.GET.get("raw") == "1"
    teams = evaluation_results(evaluation, policy, raw=raw)
    context = {
        "evaluation": evaluation,
        "teams": teams,
        "raw": raw,
        "policy": policy,
        "dimensions": Dimension.choices,
        "pending": services.students_yet_to_answer(evaluation).count(),
        "flag_count": sum(len(t.all_flags) for t in teams),
    }
    return render(request, "grading/evaluation_results.html", context)


def _staff_action(action, success: str):
    @require_POST
    @course_staff
    def view(request, access, pk):
        evaluation = grading_access.get_evaluation(access, pk)
        try:
            result = action(evaluation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, success.format(result=result))
        return redirect("grading:results", access.course.slug, pk)

    return view


evaluation_close = _staff_action(services.close_evaluation, "The evaluation is closed; answers can no longer change.")
evaluation_release = _staff_action(
    services.release_evaluation, "Released: each student can read their peers' anonymous means and the team comments."
)
evaluation_remind = _staff_action(services.remind_evaluation, "Reminded {result} students who had not answered.")


@course_member
def evaluation_feedback(request, access, pk):
    evaluation = grading_access.get_evaluation(access, pk)
    if not access.is_student:
        raise PermissionDenied("Feedback pages are the students' own; staff read the results.")
    feedback = feedback_for(evaluation, request.user) if evaluation.released_at else None
    return render(request, "grading/evaluation_feedback.html", {"evaluation": evaluation, "feedback": feedback})


# ---------------------------------------------------------------- the grade sheet


@course_staff
def grade_sheet(request, access):
    policy = services.grading_policy(access.course)
    sheet = build_sheet(access.course, policy)
    context = {"sheet": sheet, "policy": policy, "item_form": GradeItemForm()}
    return render(request, "grading/sheet.html", context)


@course_instructor
def grade_settings(request, access):
    policy = services.grading_policy(access.course)
    form = GradingPolicyForm(request.POST or None, instance=policy, course=access.course)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_grading_policy(policy, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Grading settings saved.")
            return redirect("grading:sheet", access.course.slug)
    return render(request, "grading/settings.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@course_staff
def grade_item_create(request, access):
    form = GradeItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.create_grade_item(access.course, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{item.name} added; enter its points below.")
            return redirect("grading:item", access.course.slug, item.pk)
    else:
        messages.error(request, "Give the item a name, a weight and its maximum points.")
    return redirect("grading:sheet", access.course.slug)


@course_staff
def grade_item(request, access, pk):
    item = grading_access.get_grade_item(access, pk)
    students = list(
        access.course.memberships.filter(role=Role.STUDENT).select_related("user").order_by("user__last_name")
    )
    errors = []
    if request.method == "POST":
        points = {}
        for m in students:
            text = (request.POST.get(f"points-{m.user_id}") or "").strip()
            try:
                points[m.user_id] = float(text) if text else None
            except ValueError:
                errors.append(f"{m.user.email}: {text!r} is not a number.")
        if not errors:
            try:
                services.record_grades(item, points)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, f"Points for {item.name} saved.")
                return redirect("grading:sheet", access.course.slug)
    entries = dict(GradeEntry.objects.filter(item=item).values_list("student_id", "points"))
    rows = [
        (m, request.POST.get(f"points-{m.user_id}", "") if errors else entries.get(m.user_id, "")) for m in students
    ]
    return render(request, "grading/item.html", {"item": item, "rows": rows, "errors": errors},
                  status=400 if errors else 200)  # fmt: skip


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@course_staff
def export_canvas(request, access):
    return _csv(lms.canvas_csv(build_sheet(access.course)), f"{access.course.slug}-canvas-gradebook.csv")


@course_staff
def export_moodle(request, access):
    return _csv(lms.moodle_csv(build_sheet(access.course)), f"{access.course.slug}-moodle-grades.csv")


@require_POST
@course_instructor
def grade_release(request, access):
    if request.POST.get("withdraw"):
        services.unrelease_grades(access.course)
        messages.success(request, "Grades are hidden from students again.")
    else:
        try:
            services.release_grades(access.course)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Grades released: each student can see their own row.")
    return redirect("grading:sheet", access.course.slug)


@course_member
def my_grade(request, access):
    if not access.is_student:
        return redirect("grading:sheet", access.course.slug)
    policy = services.grading_policy(access.course)
    sheet = build_sheet(access.course, policy) if policy.released_at else None
    row = sheet.row_for(request.user) if sheet else None
    cells = [(c, row.cells[c.key]) for c in sheet.components] if row else []
    return render(request, "grading/mine.html", {"row": row, "cells": cells, "policy": policy})
