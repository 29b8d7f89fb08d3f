from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from courses import services
from courses.forms import CourseSettingsForm, JoinCourseForm, MemberRoleForm, RosterUploadForm
from courses.home_cards import home_cards
from courses.models import Course, Membership, Role, WorkerHeartbeat
from courses.permissions import course_instructor, course_member, course_staff
from courses.throttles import join_code_wait, record_wrong_join_code, wait_message


def home(request):
    if not request.user.is_authenticated:
        return render(request, "courses/landing.html")
    memberships = Membership.objects.filter(user=request.user).select_related("course").order_by("-course__created_at")
    if request.user.is_superuser:
        courses = Course.objects.all()
        roles = {m.course_id: m.get_role_display() for m in memberships}
        rows = [(c, roles.get(c.id, "Site admin")) for c in courses]
    else:
        rows = [(m.course, m.get_role_display()) for m in memberships]
    return render(request, "courses/home.html", {"rows": rows, "join_form": JoinCourseForm()})


@login_required
def join(request):
    form = JoinCourseForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    wait = join_code_wait(request) if request.method == "POST" else None
    if wait is not None:
        form.add_error(None, wait_message(wait))
    elif request.method == "POST" and form.is_valid():
        try:
            membership = services.join_course(request.user, form.cleaned_data["code"])
        except ValidationError as exc:
            if exc.code == services.UNKNOWN_JOIN_CODE:
                record_wrong_join_code(request)
            form.add_error("code", exc.messages[0])
        else:
            messages.success(request, f"Welcome to {membership.course.title}!")
            return redirect("courses:home", membership.course.slug)
    status = 429 if wait is not None else 400 if form.errors else 200
    response = render(request, "courses/join.html", {"form": form}, status=status)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


@course_member
def course_home(request, access):
    return render(request, "courses/course_home.html", {"cards": home_cards(access)})


@course_instructor
def course_settings(request, access):
    form = CourseSettingsForm(request.POST or None, instance=access.course)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Course settings saved.")
        return redirect("courses:settings", access.course.slug)
    return render(request, "courses/settings.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@course_instructor
def new_join_code(request, access):
    services.regenerate_join_code(access.course)
    messages.success(request, "A new join code is in place; the old one no longer works.")
    return redirect("courses:roster", access.course.slug)


@course_staff
def roster(request, access):
    members = access.course.memberships.select_related("user").order_by("role", "user__last_name", "user__email")
    role = request.GET.get("role")
    if role in Role.values:
        members = members.filter(role=role)
    heartbeats = WorkerHeartbeat.objects.order_by("-last_seen")[:10]
    return render(
        request,
        "courses/roster.html",
        {"members": members, "upload_form": RosterUploadForm(), "roles": Role.choices, "heartbeats": heartbeats},
    )


@require_POST
@course_instructor
def roster_import(request, access):
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file to import.")
        return redirect("courses:roster", access.course.slug)
    upload = form.cleaned_data["file"]
    if upload.size > services.MAX_ROSTER_BYTES:
        result = services.RosterResult(errors=[f"The file is larger than {services.MAX_ROSTER_BYTES // 1024} KB."])
    else:
        result = services.import_roster(access.course, upload.read(), invited_by=request.user)
    if not result.ok:
        members = access.course.memberships.select_related("user")
        context = {"members": members, "upload_form": form, "roles": Role.choices, "import_errors": result.errors}
        return render(request, "courses/roster.html", context, status=400)
    messages.success(
        request,
        f"Imported {len(result.added)} people ({result.invited} new accounts invited by e-mail); "
        f"{len(result.unchanged)} were already in the course.",
    )
    return redirect("courses:roster", access.course.slug)


@require_POST
@course_instructor
def member_role(request, access, membership_id):
    membership = get_object_or_404(Membership, pk=membership_id, course=access.course)
    form = MemberRoleForm(request.POST, instance=membership)
    if membership.user_id == request.user.id:
        messages.error(request, "You cannot change your own role.")
    elif form.is_valid():
        services.set_member_role(membership, form.cleaned_data["role"])
        messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    else:
        messages.error(request, "Choose a valid role.")
    return redirect("courses:roster", access.course.slug)


@login_required
def notification_list(request):
    from courseproj.lib.pagination import paginate

    items = request.user.notifications.select_related("course")
    return render(request, "courses/notifications.html", {"page": paginate(request, items, 30)})


@require_POST
@login_required
def notifications_read(request):
    from courses.notifications import mark_all_read

    mark_all_read(request.user)
    return redirect("notifications")
