from django.contrib import admin

from courses.models import Course, Membership, Notification, WorkerHeartbeat


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "term", "time_zone", "min_team_size", "max_team_size", "created_at"]
    search_fields = ["slug", "title", "term"]
    list_filter = ["term", "time_zone"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "role", "joined_at"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "course__slug"]
    list_filter = ["role", "course"]
    raw_id_fields = ["user"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen", "beats"]
    search_fields = ["hostname"]
    list_filter = ["last_seen"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "verb", "message", "created_at", "read_at"]
    search_fields = ["user__email", "message"]
    list_filter = ["verb", "course"]
    raw_id_fields = ["user"]
