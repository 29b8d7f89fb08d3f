"""Site-operator views of the labeling challenge. State changes go through labeling.services;
the status, scores and gold are read-only here (a hand edit would bypass the scorer's rules)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from labeling import services
from labeling.models import Challenge, ChallengeInput, Hint, HintReveal, ScorerProblem, Submission, SubmissionEvent


class ChallengeInputInline(admin.TabularInline):
    model = ChallengeInput
    extra = 0
    readonly_fields = ["name", "path", "size", "sha256"]
    can_delete = False


class HintInline(admin.TabularInline):
    model = Hint
    extra = 0


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "slug", "metric", "gold_rows", "opens_at", "closes_at"]
    list_filter = ["metric", "participation", "course"]
    search_fields = ["title", "slug", "course__slug"]
    readonly_fields = ["gold_path", "gold_sha256", "gold_rows", "created_at"]
    inlines = [ChallengeInputInline, HintInline]

    def has_add_permission(self, request):
        return False  # a challenge needs its files checked: the pages, the API or create_challenge


class SubmissionEventInline(admin.TabularInline):
    model = SubmissionEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "actor", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["pk", "challenge", "participant", "status", "score", "public_score", "attempts", "created_at"]
    list_filter = ["status", "is_benchmark", "disqualified", "challenge"]
    search_fields = ["participant", "submitter__email", "benchmark_name", "worker"]
    raw_id_fields = ["submitter", "team"]
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [SubmissionEventInline]
    actions = ["rescore"]

    def has_add_permission(self, request):
        return False  # submissions come through labeling.services.submit / add_benchmark

    @admin.action(description="Rescore the selected submissions")
    def rescore(self, request, queryset):
        done = 0
        for submission in queryset:
            try:
                services.rescore_submission(submission, request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} submission(s) queued for rescoring.")


@admin.register(ChallengeInput)
class ChallengeInputAdmin(admin.ModelAdmin):
    list_display = ["name", "challenge", "size", "sha256"]
    search_fields = ["name", "challenge__title", "challenge__slug"]
    list_filter = ["challenge"]
    readonly_fields = ["name", "path", "size", "sha256", "challenge"]

    def has_add_permission(self, request):
        return False  # inputs come with the challenge's checked upload


@admin.register(Hint)
class HintAdmin(admin.ModelAdmin):
    list_display = ["challenge", "order", "reveal_at", "reveal_on_click"]
    search_fields = ["text", "challenge__title"]
    list_filter = ["reveal_on_click", "challenge"]


@admin.register(HintReveal)
class HintRevealAdmin(admin.ModelAdmin):
    list_display = ["hint", "user", "revealed_at"]
    search_fields = ["user__email", "hint__challenge__title"]
    list_filter = ["hint__challenge"]
    readonly_fields = ["hint", "user", "revealed_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SubmissionEvent)
class SubmissionEventAdmin(admin.ModelAdmin):
    list_display = ["submission", "from_status", "to_status", "actor", "at", "note"]
    search_fields = ["submission__participant", "actor__email", "note"]
    list_filter = ["to_status", "submission__challenge"]
    readonly_fields = ["submission", "from_status", "to_status", "actor", "at", "note"]

    def has_add_permission(self, request):
        return False


@admin.register(ScorerProblem)
class ScorerProblemAdmin(admin.ModelAdmin):
    """What a worker reported it cannot do; deleting a row hides the banner until it reports again."""

    list_display = ["worker", "problem", "first_seen", "last_seen"]
    list_filter = ["first_seen"]
    search_fields = ["worker", "problem"]
    readonly_fields = ["worker", "problem", "first_seen", "last_seen"]

    def has_add_permission(self, request):
        return False
