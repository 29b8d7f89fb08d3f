from django.contrib import admin

from grading.models import (
    Evaluation,
    EvaluationReminder,
    EvaluationResponse,
    GradeEntry,
    GradeItem,
    GradingPolicy,
    Rating,
)


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "opens_at", "closes_at", "released_at"]
    list_filter = ["course"]
    search_fields = ["title", "course__slug"]


@admin.register(EvaluationResponse)
class EvaluationResponseAdmin(admin.ModelAdmin):
    list_display = ["evaluation", "rater", "team", "updated_at"]
    list_filter = ["evaluation__course"]
    search_fields = ["rater__email", "team__name", "evaluation__title"]
    raw_id_fields = ["rater", "team"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["response", "ratee", "dimension", "score"]
    list_filter = ["dimension", "score"]
    search_fields = ["ratee__email", "response__rater__email"]
    raw_id_fields = ["response", "ratee"]


@admin.register(EvaluationReminder)
class EvaluationReminderAdmin(admin.ModelAdmin):
    list_display = ["evaluation", "user", "sent_at"]
    list_filter = ["evaluation__course"]
    search_fields = ["user__email", "evaluation__title"]


@admin.register(GradingPolicy)
class GradingPolicyAdmin(admin.ModelAdmin):
    list_display = ["course", "weight_proposal", "weight_updates", "weight_challenge", "factor_cap", "released_at"]
    list_filter = ["apply_peer_factor", "challenge_basis"]
    search_fields = ["course__slug", "course__title"]


@admin.register(GradeItem)
class GradeItemAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "weight", "max_points", "team_component"]
    list_filter = ["course", "team_component"]
    search_fields = ["name", "course__slug"]


@admin.register(GradeEntry)
class GradeEntryAdmin(admin.ModelAdmin):
    list_display = ["item", "student", "points", "updated_at"]
    list_filter = ["item__course"]
    search_fields = ["student__email", "item__name"]
    raw_id_fields = ["student"]
