import copy

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses.models import Course, Membership


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "17:00", "description": "HH:MM"}
)
class WallClockTimeField(serializers.TimeField):
    """A time of day in the course's time zone, without a UTC offset (OpenAPI's `format: time` requires one)."""


class CourseSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    update_due_time = WallClockTimeField(required=False, help_text="When weekly updates are due, course time zone.")

    class Meta:
        model = Course
        fields = [
            "slug",
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
            "role",
        ]
        read_only_fields = ["slug", "role"]

    def validate(self, attrs):
        candidate = copy.copy(self.instance) if self.instance else Course()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def get_role(self, course) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(course.id)


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user_id", "email", "name", "role", "joined_at"]
        read_only_fields = ["id", "user_id", "email", "name", "joined_at"]


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)


class RosterImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class RosterResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invited = serializers.IntegerField()
