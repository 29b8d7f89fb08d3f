from django import forms

from grading.models import MAX_COMMENT_CHARS, Evaluation, GradeItem, GradingPolicy
from labeling.models import Challenge

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EvaluationForm(forms.ModelForm):
    class Meta:
        model = Evaluation
        fields = ["title", "opens_at", "closes_at"]
        widgets = {"opens_at": DATETIME, "closes_at": DATETIME}


class AnswerCommentsForm(forms.Form):
    team_comment = forms.CharField(
        label="Comment for your team", required=False, max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your teammates will read it, without your name, once the staff release the results.",
    )  # fmt: skip
    confidential_comment = forms.CharField(
        label="Confidential comment for the staff", required=False, max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Only the instructors and TAs read it.",
    )  # fmt: skip


class GradingPolicyForm(forms.ModelForm):
    class Meta:
        model = GradingPolicy
        fields = [
            "weight_proposal",
            "weight_updates",
            "weight_challenge",
            "late_update_credit",
            "challenge",
            "challenge_basis",
            "challenge_floor",
            "evaluation",
            "apply_peer_factor",
            "factor_with_self",
            "factor_cap",
            "factor_round_above",
        ]

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["challenge"].queryset = Challenge.objects.filter(course=course)
        self.fields["evaluation"].queryset = Evaluation.objects.filter(course=course)


class GradeItemForm(forms.ModelForm):
    class Meta:
        model = GradeItem
        fields = ["name", "weight", "max_points", "team_component"]
