from django import forms

from proposals.models import MAX_COMMENT_CHARS, MAX_SECTION_CHARS, ReviewDecision, WeeklyUpdate

MARKDOWN_HELP = "Markdown: **bold**, _italic_, lists, links, `code`, tables."


class ProposalEditorForm(forms.Form):
    """One textarea per template section, plus the draft version each was loaded at."""

    def __init__(self, *args, sections, drafts, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections
        for section in sections:
            draft = drafts.get(section.key)
            self.fields[f"body_{section.key}"] = forms.CharField(
                label=section.title,
                required=False,
                max_length=MAX_SECTION_CHARS,
                initial=draft.body if draft else "",
                widget=forms.Textarea(attrs={"rows": 6, "class": "section-body"}),
            )
            self.fields[f"version_{section.key}"] = forms.IntegerField(
                required=False, initial=draft.version if draft else 0, widget=forms.HiddenInput
            )

    def bodies(self) -> dict[str, str]:
        return {s.key: self.cleaned_data.get(f"body_{s.key}", "") for s in self.sections}

    def versions(self) -> dict[str, int]:
        found = {s.key: self.cleaned_data.get(f"version_{s.key}") for s in self.sections}
        return {k: v for k, v in found.items() if v is not None}

    def section_fields(self):
        """(section, body field, version field) for the template."""
        return [(s, self[f"body_{s.key}"], self[f"version_{s.key}"]) for s in self.sections]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Overall comment", required=False, max_length=MAX_COMMENT_CHARS, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections
        for section in sections:
            self.fields[f"comment_{section.key}"] = forms.CharField(
                label=f"Comment on “{section.title}”",
                required=False,
                max_length=MAX_COMMENT_CHARS,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def section_comments(self) -> dict[str, str]:
        return {s.key: self.cleaned_data.get(f"comment_{s.key}", "") for s in self.sections}

    def section_field(self, key):
        return self[f"comment_{key}"]


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MARKDOWN_HELP,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TemplateSectionForm(forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=200)
    prompt = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(required=False)


class BaseTemplateFormSet(forms.BaseFormSet):
    def ordered_specs(self):
        """The kept sections in the order the instructor chose (empty extra forms dropped)."""
        from proposals.services import SectionSpec

        specs = []
        for form in self.ordered_forms if self.can_order else self.forms:
            data = form.cleaned_data
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            specs.append(
                SectionSpec(
                    key=data.get("key") or "",
                    title=data["title"],
                    prompt=data.get("prompt", ""),
                    required=data.get("required", False),
                )
            )
        return specs


TemplateFormSet = forms.formset_factory(
    TemplateSectionForm, formset=BaseTemplateFormSet, extra=2, can_delete=True, can_order=True, max_num=30
)


class WeeklyUpdateForm(forms.ModelForm):
    class Meta:
        model = WeeklyUpdate
        fields = ["did", "next_steps", "blockers", "links"]
        widgets = {
            "did": forms.Textarea(attrs={"rows": 5}),
            "next_steps": forms.Textarea(attrs={"rows": 4}),
            "blockers": forms.Textarea(attrs={"rows": 3}),
            "links": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "did": MARKDOWN_HELP,
            "links": "Repository, demo, notebook, or the numbers you got this week.",
            "blockers": "What is slowing you down; where you need help.",
        }
