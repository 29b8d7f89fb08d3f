from django.contrib import admin

from proposals.models import (
    Proposal,
    ProposalEvent,
    ProposalRevision,
    ProposalTemplate,
    ReminderSent,
    Review,
    RevisionSection,
    TemplateSection,
    UpdateComment,
    WeeklyUpdate,
)


class TemplateSectionInline(admin.TabularInline):
    model = TemplateSection
    extra = 0


@admin.register(ProposalTemplate)
class ProposalTemplateAdmin(admin.ModelAdmin):
    list_display = ["course", "updated_at", "updated_by"]
    inlines = [TemplateSectionInline]
    raw_id_fields = ["updated_by"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RevisionInline(ReadOnlyInline):
    model = ProposalRevision
    fields = ["number", "author", "created_at", "late"]


class EventInline(ReadOnlyInline):
    model = ProposalEvent
    fields = ["kind", "from_status", "to_status", "actor", "revision", "created_at"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read-only here: status changes go through the pages or the API (services keep the history)."""

    list_display = ["team_name", "course", "status", "revision_count", "late", "last_submitted_at"]
    list_filter = ["status", "late", "course"]
    search_fields = ["team_name"]
    inlines = [RevisionInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False


class RevisionSectionInline(ReadOnlyInline):
    model = RevisionSection
    fields = ["position", "key", "title", "body"]


@admin.register(ProposalRevision)
class ProposalRevisionAdmin(admin.ModelAdmin):
    list_display = ["proposal", "number", "author", "created_at", "late"]
    list_filter = ["late"]
    inlines = [RevisionSectionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["proposal", "revision", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(WeeklyUpdate)
class WeeklyUpdateAdmin(admin.ModelAdmin):
    list_display = ["team", "week", "course", "late", "author", "created_at"]
    list_filter = ["late", "course", "week"]
    search_fields = ["team__name", "did"]
    raw_id_fields = ["team", "author", "updated_by"]


@admin.register(UpdateComment)
class UpdateCommentAdmin(admin.ModelAdmin):
    list_display = ["update", "author", "parent", "created_at"]
    raw_id_fields = ["update", "parent", "author"]


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ["team", "week", "kind", "sent_at", "recipients"]
    list_filter = ["kind", "week"]
