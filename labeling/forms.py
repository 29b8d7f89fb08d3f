from django import forms
from django.forms import inlineformset_factory

from labeling import services
from labeling.models import Challenge, Hint, Status

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def read_upload(upload, limit: int) -> bytes:
    """At most `limit` + 1 bytes of an upload: enough for the services to say "too big" without
    reading a huge file into memory."""
    upload.seek(0)
    return upload.read(limit + 1)


# The form's fields: the settings the services take (labeling.services.CHALLENGE_FIELDS, the one
# list), with the slug, chosen once when the challenge is created, after the title.
CHALLENGE_FIELDS = [services.CHALLENGE_FIELDS[0], "slug", *services.CHALLENGE_FIELDS[1:]]


class ChallengeForm(forms.ModelForm):
    """Every setting of a challenge plus its files; the view hands the cleaned data to the
    scorer's create_challenge / update_challenge, which validate the files (gold and inputs)."""

    inputs = MultipleFileField(
        required=False,
        label="Input files",
        help_text="What students download and their code finds in its working directory (e.g. raw_data.csv). "
        "Uploading replaces the current inputs.",
    )
    gold = forms.FileField(
        required=False,
        label="Hidden gold (CSV)",
        help_text="Key columns plus the label column. Never shown to students or to submitted code. "
        "Uploading replaces the current gold; rescore afterwards.",
    )

    class Meta:
        model = Challenge
        fields = CHALLENGE_FIELDS
        widgets = {
            "opens_at": DATETIME_WIDGET,
            "closes_at": DATETIME_WIDGET,
            "instructions": forms.Textarea(attrs={"rows": 12}),
        }
        labels = {
            "time_limit_s": "Time limit (seconds)",
            "memory_limit_mb": "Memory limit (MB)",
            "max_code_bytes": "Largest .py file (bytes)",
            "max_queued": "Waiting submissions per participant",
            "daily_limit": "Submissions per day",
            "final_picks": "Final picks",
            "output_filename": "Output file name",
        }
        help_texts = {
            "slug": "Part of the URL, e.g. crowd-labels. Cannot change later.",
            "instructions": "Markdown: the task, the input columns, the output contract, the rules.",
            "key_columns": "Comma-separated columns that identify an item, e.g. attr_id,adj.",
            "label_column": "The column the submission predicts.",
            "public_fraction": "Share of the gold on the public leaderboard (0–1); the rest decides the private one.",
            "split_seed": "Fixes the (stratified) public/private split of the gold.",
            "opens_at": "In the course time zone. Empty: open now.",
            "closes_at": "In the course time zone. Empty: open until you close it.",
            "daily_limit": "Submissions per participant per day (midnight to midnight, course time zone); "
            "failed runs do not count.",
            "max_queued": "Submissions of one participant waiting to run at once.",
            "time_limit_s": "Wall-clock seconds per run.",
            "memory_limit_mb": "Memory per run, MB.",
            "max_code_bytes": "Largest accepted .py file, bytes.",
            "final_picks": "How many submissions each participant may pick for the private leaderboard.",
        }

    def __init__(self, *args, course=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        if self.instance.pk:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "Part of the URL; it cannot change."
        else:
            self.fields["inputs"].required = True
            self.fields["gold"].required = True
            self.fields["inputs"].help_text = "What students download and their code finds in its working directory."
            self.fields["gold"].help_text = "Key columns plus the label column. Never shown to students or their code."

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug == "new":
            raise forms.ValidationError("“new” is reserved; choose another slug.")
        if not self.instance.pk and Challenge.objects.filter(course=self.course, slug=slug).exists():
            raise forms.ValidationError("This course already has a challenge with this slug.")
        return slug

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "The challenge must close after it opens.")
        return data

    def service_fields(self) -> dict:
        """The model fields to pass to the services: all on create, the changed ones on edit."""
        names = [n for n in CHALLENGE_FIELDS if n != "slug"]
        if self.instance.pk:
            names = [n for n in names if n in self.changed_data]
        return {n: self.cleaned_data[n] for n in names}

    def file_args(self) -> dict:
        """inputs=[(name, bytes)] and gold=bytes for the files uploaded (only those)."""
        from django.conf import settings

        limit = settings.MAX_UPLOAD_BYTES
        args = {}
        if self.cleaned_data.get("inputs"):
            args["inputs"] = [(f.name, read_upload(f, limit)) for f in self.cleaned_data["inputs"]]
        if self.cleaned_data.get("gold"):
            args["gold"] = read_upload(self.cleaned_data["gold"], limit)
        return args


class HintForm(forms.ModelForm):
    class Meta:
        model = Hint
        fields = ["order", "text", "reveal_at", "reveal_on_click"]
        widgets = {"reveal_at": DATETIME_WIDGET, "text": forms.Textarea(attrs={"rows": 3})}
        labels = {"reveal_at": "Shown to everyone from", "reveal_on_click": "Students may reveal it early"}
        help_texts = {
            "reveal_at": "Course time zone. Empty: shown from the start, or, if students may reveal it, "
            "only to those who click.",
        }


HintFormSet = inlineformset_factory(Challenge, Hint, form=HintForm, extra=1, can_delete=True)


class SubmitForm(forms.Form):
    file = forms.FileField(label="Your solution (.py)")


class BenchmarkForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name on the leaderboard", help_text="e.g. Majority vote")
    file = forms.FileField(label="Reference solution (.py)")


class DisqualifyForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason", help_text="Shown to the participant.")


class SubmissionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any status"), *Status.choices], required=False)
    who = forms.CharField(required=False, label="Participant", max_length=100)
    kind = forms.ChoiceField(
        choices=[
            ("", "all"),
            ("students", "students only"),
            ("benchmarks", "benchmarks only"),
            ("disqualified", "disqualified"),
        ],
        required=False,
    )
