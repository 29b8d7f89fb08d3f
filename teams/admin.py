from django.contrib import admin

from teams.models import Team, TeamMembership


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
