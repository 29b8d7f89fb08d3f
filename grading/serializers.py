from rest_framework import serializers

from grading.models import MAX_COMMENT_CHARS, Dimension, Evaluation, GradeItem


class EvaluationSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField()
    released = serializers.SerializerMethodField()

    class Meta:
        model = Evaluation
        fields = ["id", "title", "opens_at", "closes_at", "phase", "released", "released_at"]
        read_only_fields = ["id", "phase", "released", "released_at"]

    def get_phase(self, obj) -> str:
        return obj.phase()

    def get_released(self, obj) -> bool:
        return obj.released_at is not None


class RatingSerializer(serializers.Serializer):
    ratee = serializers.IntegerField(help_text="The user id of the person rated (yourself included).")
    dimension = serializers.ChoiceField(choices=Dimension.choices)
    score = serializers.IntegerField(min_value=1, max_value=5)


class AnswerSerializer(serializers.Serializer):
    ratings = RatingSerializer(many=True, help_text="Every member of your team, yourself included, on every dimension.")
    team_comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT_CHARS, default="")
    confidential_comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT_CHARS, default=""
    )


class AnswerOutSerializer(AnswerSerializer):
    answered = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)
    team = serializers.CharField()
    members = serializers.ListField(child=serializers.DictField(), help_text="id and name of each person to rate.")


class FlagSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    rule = serializers.CharField()
    member = serializers.IntegerField(allow_null=True)


class MemberResultSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    answered = serializers.BooleanField()
    peer_means = serializers.DictField(child=serializers.FloatField(allow_null=True))
    self_scores = serializers.DictField(child=serializers.FloatField(allow_null=True))
    peer_mean = serializers.FloatField(allow_null=True)
    self_mean = serializers.FloatField(allow_null=True)
    factor_with_self = serializers.FloatField(allow_null=True)
    factor_without_self = serializers.FloatField(allow_null=True)
    raw_factor_with_self = serializers.FloatField(allow_null=True)
    raw_factor_without_self = serializers.FloatField(allow_null=True)


class EvaluationCommentSerializer(serializers.Serializer):
    rater = serializers.IntegerField()
    team_comment = serializers.CharField(allow_blank=True)
    confidential_comment = serializers.CharField(allow_blank=True)


class TeamResultSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    name = serializers.CharField()
    members = MemberResultSerializer(many=True)
    flags = FlagSerializer(many=True)
    comments = EvaluationCommentSerializer(many=True)


class FeedbackSerializer(serializers.Serializer):
    released = serializers.BooleanField()
    peer_means = serializers.DictField(child=serializers.FloatField(allow_null=True), allow_null=True)
    peer_mean = serializers.FloatField(allow_null=True)
    raters = serializers.IntegerField()
    team_comments = serializers.ListField(child=serializers.CharField())


class GradeCellSerializer(serializers.Serializer):
    component = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.FloatField()
    team = serializers.BooleanField()
    percent = serializers.FloatField(allow_null=True)
    adjusted = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class GradeRowSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    sis_id = serializers.CharField(allow_blank=True)
    section = serializers.CharField(allow_blank=True)
    team = serializers.CharField(allow_blank=True)
    factor = serializers.FloatField(allow_null=True)
    cells = GradeCellSerializer(many=True)
    total = serializers.FloatField()


class MyGradeSerializer(serializers.Serializer):
    released = serializers.BooleanField()
    row = GradeRowSerializer(allow_null=True)


class GradeItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeItem
        fields = ["id", "name", "weight", "max_points", "team_component"]
