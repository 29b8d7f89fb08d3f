from django.contrib import admin

from proposals.models import (
    DraftSection,
    Proposal,
    ProposalComment,
    ProposalEvent,
    ProposalRevision,
    ProposalTemplate,
    ReminderSent,
    Review,
    ReviewSectionComment,
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
    search_fields = ["course__slug", "course__title"]
    list_filter = ["course"]
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
    list_filter = ["late", "proposal__course"]
    search_fields = ["proposal__team_name", "author__email"]
    inlines = [RevisionSectionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["proposal", "revision", "reviewer", "decision", "created_at"]
    list_filter = ["decision", "proposal__course"]
    search_fields = ["proposal__team_name", "reviewer__email", "comment"]

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
    search_fields = ["body", "author__email", "update__team__name"]
    list_filter = ["course"]


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ["team", "week", "kind", "sent_at", "recipients"]
    list_filter = ["kind", "week"]
    search_fields = ["team__name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and immutable content: readable for operators, changed only through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TemplateSection)
class TemplateSectionAdmin(admin.ModelAdmin):
    list_display = ["template", "position", "key", "title", "required"]
    search_fields = ["title", "prompt", "template__course__slug"]
    list_filter = ["required", "template__course"]


@admin.register(DraftSection)
class DraftSectionAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "key", "version", "updated_by", "updated_at"]
    search_fields = ["proposal__team_name", "key", "body"]
    list_filter = ["proposal__course"]


@admin.register(RevisionSection)
class RevisionSectionAdmin(ReadOnlyAdmin):
    list_display = ["revision", "position", "key", "title"]
    search_fields = ["revision__proposal__team_name", "title", "body"]
    list_filter = ["revision__proposal__course"]


@admin.register(ReviewSectionComment)
class ReviewSectionCommentAdmin(ReadOnlyAdmin):
    list_display = ["review", "key"]
    search_fields = ["review__proposal__team_name", "body"]
    list_filter = ["review__decision"]


@admin.register(ProposalEvent)
class ProposalEventAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "kind", "from_status", "to_status", "actor", "created_at"]
    search_fields = ["proposal__team_name", "actor__email"]
    list_filter = ["kind", "to_status", "proposal__course"]


@admin.register(ProposalComment)
class ProposalCommentAdmin(admin.ModelAdmin):
    list_display = ["proposal", "author", "created_at"]
    search_fields = ["proposal__team_name", "author__email", "body"]
    list_filter = ["proposal__course"]
    raw_id_fields = ["author"]
