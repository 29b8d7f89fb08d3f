from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from proposals.models import (
    MAX_COMMENT_CHARS,
    MAX_SECTION_CHARS,
    DraftSection,
    Proposal,
    ProposalComment,
    ProposalEvent,
    ProposalRevision,
    ProposalStatus,
    Review,
    ReviewDecision,
    RevisionSection,
    TemplateSection,
    UpdateComment,
    WeeklyUpdate,
)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field(PersonSerializer(allow_null=True))
class PersonField(serializers.Field):
    """A user as other course members see them: id and name (never the e-mail address)."""

    def to_representation(self, user):
        return {"id": user.pk, "name": user.get_full_name() or user.username.split("@")[0]}


def person(**kwargs):
    return PersonField(read_only=True, allow_null=True, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "description": f"One of {', '.join(ProposalStatus.values)}: draft → submitted → needs_revision or "
        "approved; needs_revision → submitted.",
    }
)
class ProposalStatusField(serializers.CharField):
    """The status, described in text: an enum component named "Status" collides with other apps' ones."""


# ---------------------------------------------------------------- template


class TemplateSectionSerializer(serializers.ModelSerializer):
    key = serializers.SlugField(required=False, allow_blank=True, max_length=60, help_text="Empty for a new section.")
    prompt = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    required = serializers.BooleanField(default=True)

    class Meta:
        model = TemplateSection
        fields = ["key", "position", "title", "prompt", "required"]
        read_only_fields = ["position"]


class ProposalTemplateSerializer(serializers.Serializer):
    sections = TemplateSectionSerializer(many=True)


# ---------------------------------------------------------------- proposals


class ProposalSerializer(serializers.ModelSerializer):
    status = ProposalStatusField(read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "team_id",
            "team_name",
            "status",
            "revision_count",
            "late",
            "first_submitted_at",
            "last_submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
        ]


class RevisionSectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RevisionSection
        fields = ["key", "position", "title", "body"]


class RevisionSerializer(serializers.ModelSerializer):
    author = person()
    sections = RevisionSectionSerializer(many=True, read_only=True)

    class Meta:
        model = ProposalRevision
        fields = ["number", "author", "created_at", "late", "sections"]


class RevisionSummarySerializer(serializers.ModelSerializer):
    author = person()

    class Meta:
        model = ProposalRevision
        fields = ["number", "author", "created_at", "late"]


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = person()
    revision = serializers.IntegerField(source="revision.number", read_only=True)
    section_comments = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "revision", "reviewer", "decision", "comment", "section_comments", "created_at"]

    def get_section_comments(self, review) -> dict[str, str]:
        return {c.key: c.body for c in review.section_comments.all()}


class ReviewCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT_CHARS, default="")
    section_comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=MAX_COMMENT_CHARS),
        required=False,
        default=dict,
        help_text="Section key → comment.",
    )
    revision = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The revision you reviewed (refused if newer exists)."
    )


class EventSerializer(serializers.ModelSerializer):
    actor = person()
    from_status = serializers.CharField(read_only=True, help_text="A proposal status, or empty when it started")
    to_status = serializers.CharField(read_only=True, help_text="A proposal status")
    revision = serializers.IntegerField(source="revision.number", read_only=True, allow_null=True)

    class Meta:
        model = ProposalEvent
        fields = ["kind", "from_status", "to_status", "actor", "revision", "created_at"]


class ProposalDetailSerializer(ProposalSerializer):
    latest_revision = RevisionSerializer(read_only=True, allow_null=True)
    latest_review = ReviewSerializer(read_only=True, allow_null=True)
    events = EventSerializer(many=True, read_only=True)
    allowed_transitions = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "latest_revision", "latest_review", "events", "allowed_transitions"]


class DraftSectionSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    updated_by = person()

    class Meta:
        model = DraftSection
        fields = ["key", "title", "body", "version", "updated_at", "updated_by"]


class DraftSectionInput(serializers.Serializer):
    key = serializers.SlugField(max_length=60)
    body = serializers.CharField(allow_blank=True, max_length=MAX_SECTION_CHARS, trim_whitespace=False)
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The version you started from; a newer save by a teammate is refused with 409.",
    )


class DraftInputSerializer(serializers.Serializer):
    sections = DraftSectionInput(many=True)


class CommentSerializer(serializers.ModelSerializer):
    author = person()
    revision = serializers.IntegerField(source="revision.number", read_only=True)

    class Meta:
        model = ProposalComment
        fields = ["id", "revision", "author", "body", "created_at"]
        read_only_fields = ["id", "revision", "author", "created_at"]
        extra_kwargs = {"body": {"max_length": MAX_COMMENT_CHARS}}


class DiffSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    old_title = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="unchanged, changed, added or removed")
    unified = serializers.ListField(child=serializers.CharField(), help_text="Diff lines: ' ', '+', '-' or '@@' first.")


class DiffSerializer(serializers.Serializer):
    old = serializers.IntegerField(source="from_number")
    new = serializers.IntegerField(source="to_number")
    sections = DiffSectionSerializer(many=True)


# ---------------------------------------------------------------- weekly updates


class WeekSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    starts = serializers.DateField()
    ends = serializers.DateField()
    due = serializers.DateTimeField()
    status = serializers.CharField(allow_null=True, help_text="Your team's status: posted, late, missing, pending…")
    update_id = serializers.IntegerField(allow_null=True)


class WeeklyUpdateSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    author = person()
    updated_by = person()

    class Meta:
        model = WeeklyUpdate
        fields = [
            "id",
            "team_id",
            "team_name",
            "week",
            "did",
            "next_steps",
            "blockers",
            "links",
            "late",
            "author",
            "created_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["id", "team_id", "late", "created_at", "updated_at"]
        extra_kwargs = {"blockers": {"required": False}, "links": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # the week of an existing update does not change
            fields["week"].read_only = True
        return fields


class UpdateCommentSerializer(serializers.ModelSerializer):
    author = person()
    parent = serializers.IntegerField(source="parent_id", required=False, allow_null=True)

    class Meta:
        model = UpdateComment
        fields = ["id", "parent", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]
        extra_kwargs = {"body": {"max_length": MAX_COMMENT_CHARS}}


class GridCellSerializer(serializers.Serializer):
    week = serializers.IntegerField(source="week.number")
    status = serializers.CharField()
    update_id = serializers.IntegerField(allow_null=True)


class GridRowSerializer(serializers.Serializer):
    team_id = serializers.IntegerField(source="team.pk")
    team_name = serializers.CharField(source="team.name")
    cells = GridCellSerializer(many=True)


class FeedItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="update or comment")
    at = serializers.DateTimeField()
    update_id = serializers.IntegerField(source="update.pk")
    team_name = serializers.CharField(source="update.team.name")
    week = serializers.IntegerField(source="update.week")
    comment_id = serializers.IntegerField(source="comment.pk", allow_null=True, default=None)
    author = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, item):
        user = item.comment.author if item.comment else item.update.author
        return PersonField().to_representation(user) if user else None

    def get_text(self, item) -> str:
        return item.comment.body if item.comment else item.update.did
