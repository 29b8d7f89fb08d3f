import zoneinfo

from django import forms

from courses.models import validate_time_zone


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Unique in the course.")
    idea = forms.CharField(
        label="Project idea",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A sentence or two; you can change it later.",
    )
    looking_for = forms.CharField(
        label="What we are looking for",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Skills or interests you want in teammates; shown on the board while you have open places.",
    )


class TeamEditForm(TeamCreateForm):
    idea = forms.CharField(
        label="Project idea", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Say who you are and what you would bring.",
    )


class InviteForm(forms.Form):
    email = forms.CharField(
        label="Student's e-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"list": "unplaced-students", "autocomplete": "off"}),
    )
    message = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SoloForm(forms.Form):
    reason = forms.CharField(
        label="Why do you want to work alone?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="An instructor reads this and approves or declines it.",
    )


class RejectSoloForm(forms.Form):
    note = forms.CharField(label="Note to the student", max_length=500, required=False)


def _time_zone_choices():
    return [("", "—")] + [
        (z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z and not z.startswith("Etc")
    ]


class BoardPostForm(forms.Form):
    interests = forms.CharField(
        max_length=300, required=False, help_text="Comma-separated, e.g. computer vision, NLP, health."
    )
    skills = forms.CharField(max_length=300, required=False, help_text="Comma-separated, e.g. PyTorch, web apps, SQL.")
    time_zone = forms.ChoiceField(required=False, choices=_time_zone_choices, validators=[validate_time_zone])
    project_idea = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    text = forms.CharField(
        label="Anything else",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Availability, what you want to learn, how to reach you.",
    )

    def clean_time_zone(self):
        return self.cleaned_data.get("time_zone") or ""


class MoveForm(forms.Form):
    student = forms.ModelChoiceField(queryset=None)
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="— no team —", label="To team")

    def __init__(self, *args, students, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students
        self.fields["student"].label_from_instance = lambda u: f"{u.get_full_name() or u.email} ({u.email})"
        self.fields["team"].queryset = teams


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(queryset=None, label="Keep this team")
    absorb = forms.ModelChoiceField(queryset=None, label="and merge this one into it")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = teams
        self.fields["absorb"].queryset = teams


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Teams CSV",
        help_text="Columns: team, email (and optionally idea). An empty team takes the student out of their team.",
    )
