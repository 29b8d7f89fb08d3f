from django.contrib import admin

from teams.models import (
    BoardPost,
    DeadlineLock,
    Invitation,
    JoinRequest,
    PlacementPlan,
    Team,
    TeamEvent,
    TeamMembership,
)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "locked", "solo_approved", "created_at"]
    search_fields = ["name", "idea", "course__slug"]
    list_filter = ["course", "locked", "solo_approved"]
    inlines = [TeamMembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "course", "joined_at"]
    search_fields = ["user__email", "team__name"]
    list_filter = ["course"]
    raw_id_fields = ["user", "team"]


@admin.register(BoardPost)
class BoardPostAdmin(admin.ModelAdmin):
    list_display = ["author", "course", "interests", "is_open", "updated_at"]
    search_fields = ["author__email", "interests", "skills"]
    list_filter = ["course", "is_open"]
    raw_id_fields = ["author"]


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "status", "created_at", "decided_at"]
    list_filter = ["course", "status"]
    search_fields = ["user__email", "team__name", "message"]
    raw_id_fields = ["user", "team", "decided_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "invited_by", "status", "created_at"]
    list_filter = ["course", "status"]
    search_fields = ["user__email", "team__name", "invited_by__email"]
    raw_id_fields = ["user", "team", "invited_by"]


@admin.register(TeamEvent)
class TeamEventAdmin(admin.ModelAdmin):
    """History is written by the services only; the admin shows it."""

    list_display = ["created_at", "team_name", "kind", "detail", "actor"]
    list_filter = ["course", "kind"]
    search_fields = ["team_name", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PlacementPlan)
class PlacementPlanAdmin(admin.ModelAdmin):
    list_display = ["pk", "course", "status", "created_by", "created_at"]
    list_filter = ["course", "status"]
    search_fields = ["course__slug", "created_by__email"]


@admin.register(DeadlineLock)
class DeadlineLockAdmin(admin.ModelAdmin):
    """When each course's teams were locked at its formation deadline (written by the periodic task)."""

    list_display = ["course", "deadline", "locked_at", "teams_locked"]
    list_filter = ["locked_at"]
    search_fields = ["course__slug", "course__title"]
