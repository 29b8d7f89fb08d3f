from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from labeling import queue
from labeling.access import phase
from labeling.forms import CHALLENGE_FIELDS
from labeling.models import Challenge, ChallengeInput, Hint, Status, Submission


class ChallengeInputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ChallengeInput
        fields = ["name", "size", "sha256", "url"]

    def get_url(self, item) -> str:
        ch = item.challenge
        path = reverse("labeling-api:input", args=[ch.course.slug, ch.slug, item.name])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class HintSerializer(serializers.Serializer):
    """A hint as the caller sees it: the text only once it is visible to them."""

    id = serializers.IntegerField(source="hint.pk")
    number = serializers.IntegerField()
    visible = serializers.BooleanField()
    text = serializers.SerializerMethodField()
    reveal_at = serializers.DateTimeField(source="hint.reveal_at", allow_null=True)
    reveal_on_click = serializers.BooleanField(source="hint.reveal_on_click")
    can_reveal = serializers.BooleanField()
    revealed_at = serializers.DateTimeField(allow_null=True)

    def get_text(self, view) -> str | None:
        return view.hint.text if view.visible else None


class HintWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hint
        fields = ["id", "order", "text", "reveal_at", "reveal_on_click"]
        read_only_fields = ["id"]


class QuotaSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    left = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class ChallengeSerializer(serializers.ModelSerializer):
    """A challenge as a member sees it; before it opens, students get the schedule only."""

    phase = serializers.SerializerMethodField()
    instructions = serializers.SerializerMethodField()
    inputs = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    leaderboard_url = serializers.SerializerMethodField()
    submissions_url = serializers.SerializerMethodField()

    class Meta:
        model = Challenge
        fields = [
            "slug",
            "title",
            "phase",
            "instructions",
            "output_filename",
            "key_columns",
            "label_column",
            "metric",
            "public_fraction",
            "opens_at",
            "closes_at",
            "daily_limit",
            "max_queued",
            "time_limit_s",
            "memory_limit_mb",
            "max_code_bytes",
            "participation",
            "final_picks",
            "inputs",
            "url",
            "leaderboard_url",
            "submissions_url",
        ]

    def _content_open(self, challenge) -> bool:
        return self.context.get("is_staff", False) or phase(challenge) != "upcoming"

    def get_phase(self, challenge) -> str:
        return phase(challenge)

    def get_instructions(self, challenge) -> str | None:
        return challenge.instructions if self._content_open(challenge) else None

    @extend_schema_field(ChallengeInputSerializer(many=True))
    def get_inputs(self, challenge):
        if not self._content_open(challenge):
            return []
        return ChallengeInputSerializer(challenge.inputs.all(), many=True, context=self.context).data

    def _abs(self, name, challenge) -> str:
        path = reverse(name, args=[challenge.course.slug, challenge.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, challenge) -> str:
        return self._abs("labeling-api:challenge", challenge)

    def get_leaderboard_url(self, challenge) -> str:
        return self._abs("labeling-api:leaderboard", challenge)

    def get_submissions_url(self, challenge) -> str:
        return self._abs("labeling-api:submissions", challenge)


class ChallengeStaffSerializer(ChallengeSerializer):
    """What staff read: everything but the gold itself."""

    class Meta(ChallengeSerializer.Meta):
        fields = [*ChallengeSerializer.Meta.fields, "split_seed", "gold_rows", "gold_sha256"]


class ChallengeDetailSerializer(ChallengeSerializer):
    hints = HintSerializer(many=True, read_only=True, source="hint_views")
    quota = QuotaSerializer(read_only=True, allow_null=True)
    runtime = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta(ChallengeSerializer.Meta):
        fields = [*ChallengeSerializer.Meta.fields, "hints", "quota", "runtime"]


class ChallengeWriteSerializer(serializers.ModelSerializer):
    """Create or change a challenge (multipart: `inputs` may repeat, one file each; `gold` is one CSV).

    On create, `inputs` and `gold` are required; on update, uploading them replaces the current ones.
    """

    inputs = serializers.ListField(child=serializers.FileField(), required=False, write_only=True)
    gold = serializers.FileField(required=False, write_only=True)

    class Meta:
        model = Challenge
        fields = [*CHALLENGE_FIELDS, "inputs", "gold"]
        extra_kwargs = {"slug": {"validators": []}}

    def validate_slug(self, slug):
        if self.instance is not None and slug != self.instance.slug:
            raise serializers.ValidationError("The slug cannot change.")
        course = self.context["course"]
        if self.instance is None and Challenge.objects.filter(course=course, slug=slug).exists():
            raise serializers.ValidationError("This course already has a challenge with this slug.")
        if slug == "new":
            raise serializers.ValidationError("“new” is reserved; choose another slug.")
        return slug

    def validate(self, attrs):
        if self.instance is None:
            missing = {n: ["This file is required."] for n in ("inputs", "gold") if not attrs.get(n)}
            if missing:
                raise serializers.ValidationError(missing)
        opens = attrs.get("opens_at", getattr(self.instance, "opens_at", None))
        closes = attrs.get("closes_at", getattr(self.instance, "closes_at", None))
        if opens and closes and closes <= opens:
            raise serializers.ValidationError({"closes_at": ["The challenge must close after it opens."]})
        return attrs


@extend_schema_field(
    {"type": "string", "enum": Status.values, "description": "queued, running, then one terminal status."}
)
class SubmissionStatusField(serializers.CharField):
    """The status as an inline enum (other apps have `status` fields with other choices)."""


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission; private and all-gold scores only after closing (or for staff)."""

    submitter = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    private_score = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    status = SubmissionStatusField(read_only=True)
    is_terminal = serializers.BooleanField(read_only=True)
    queue_position = serializers.SerializerMethodField(
        help_text="While queued: its place in the fair scoring queue, 1 being the next to be scored; else null."
    )
    estimated_wait_s = serializers.SerializerMethodField(
        help_text="While queued: about how many seconds until it starts running (from the recent runs "
        "and the workers busy now); else null."
    )
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    code_url = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "participant",
            "submitter",
            "team",
            "is_benchmark",
            "benchmark_name",
            "original_filename",
            "code_size",
            "code_sha256",
            "status",
            "is_terminal",
            "message",
            "log_tail",
            "public_score",
            "private_score",
            "score",
            "runtime_s",
            "attempts",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
            "queue_position",
            "estimated_wait_s",
            "is_final_pick",
            "disqualified",
            "disqualified_reason",
            "url",
            "page_url",
            "code_url",
        ]
        read_only_fields = fields

    def _private_ok(self) -> bool:
        return self.context.get("private_visible", False)

    @extend_schema_field(serializers.CharField(allow_null=True))  # None for benchmark rows
    def get_submitter(self, sub) -> str | None:
        user = sub.submitter
        return (user.get_full_name() or user.email) if user else None

    @extend_schema_field(serializers.CharField(allow_null=True))  # None for individual submissions
    def get_team(self, sub) -> str | None:
        return sub.team.name if sub.team_id and sub.team else None

    def get_private_score(self, sub) -> float | None:
        return sub.private_score if self._private_ok() else None

    def get_score(self, sub) -> float | None:
        return sub.score if self._private_ok() else None

    def _place(self, sub) -> queue.Place | None:
        if sub.status != Status.QUEUED:
            return None
        if "queue_places" not in self.context:  # once per response, however many rows
            self.context["queue_places"] = queue.places()
        return self.context["queue_places"].get(sub.pk)

    def get_queue_position(self, sub) -> int | None:
        place = self._place(sub)
        return place.position if place else None

    def get_estimated_wait_s(self, sub) -> int | None:
        place = self._place(sub)
        return place.estimated_wait_s if place else None

    def _link(self, name, sub) -> str:
        ch = self.context["challenge"]
        path = reverse(name, args=[ch.course.slug, ch.slug, sub.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, sub) -> str:
        return self._link("labeling-api:submission", sub)

    def get_page_url(self, sub) -> str:
        return self._link("labeling:submission", sub)

    def get_code_url(self, sub) -> str:
        return self._link("labeling-api:submission-code", sub)


class SubmitSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The .py file (UTF-8, size-limited per challenge).")


class HistoryPointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    score = serializers.FloatField()


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="None for benchmark rows.")
    participant = serializers.CharField()
    name = serializers.CharField()
    members = serializers.ListField(child=serializers.CharField())
    is_benchmark = serializers.BooleanField()
    is_own = serializers.BooleanField()
    score = serializers.FloatField(help_text="The board's score: public or private.")
    public_score = serializers.FloatField(allow_null=True)
    public_rank = serializers.IntegerField(allow_null=True, help_text="Private board only: the public rank.")
    submitted_at = serializers.DateTimeField(help_text="When the counted submission was made (breaks ties).")
    count = serializers.IntegerField(help_text="Submissions made (cancelled ones excluded).")
    last_at = serializers.DateTimeField(allow_null=True)
    history = serializers.SerializerMethodField()

    @extend_schema_field(HistoryPointSerializer(many=True))
    def get_history(self, row):
        return [{"at": at, "score": score} for at, score in row.history]


class LeaderboardSerializer(serializers.Serializer):
    board = serializers.ChoiceField(choices=["public", "private"])
    closed = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Rows on the whole board.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    rows = LeaderboardRowSerializer(many=True)


class PicksSerializer(serializers.Serializer):
    submission_ids = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=True, help_text="Empty: use the default picks."
    )
    picked = serializers.BooleanField(read_only=True, help_text="False when these are the default picks.")
    limit = serializers.IntegerField(read_only=True)


class BenchmarkSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="The row's name on the leaderboard.")
    file = serializers.FileField(help_text="The reference solution (.py).")


class DisqualifySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class RescoreResultSerializer(serializers.Serializer):
    requeued = serializers.IntegerField()
