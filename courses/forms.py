from django import forms

from courses.models import Course, Membership


class JoinCourseForm(forms.Form):
    code = forms.CharField(max_length=16, label="Join code", help_text="Your instructor gives you this code.")


class CourseSettingsForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title",
            "term",
            "time_zone",
            "start_date",
            "end_date",
            "min_team_size",
            "max_team_size",
            "team_formation_deadline",
            "proposal_deadline",
            "update_due_weekday",
            "update_due_time",
            "proposals_visible_to_classmates",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "team_formation_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "proposal_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "update_due_time": forms.TimeInput(attrs={"type": "time"}),
        }


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster CSV",
        help_text="Columns: email, name, role (instructor, ta or student), optionally sis_id and section; "
        "or a Canvas gradebook export, or a Moodle participants export.",
    )


class MemberRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]
