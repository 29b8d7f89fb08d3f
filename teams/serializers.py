import zoneinfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from teams.models import BoardPost, Invitation, JoinRequest, PlacementPlan, RequestStatus, Team, TeamEvent


@extend_schema_field({"type": "string", "description": ", ".join(RequestStatus.values)})
class RequestStatusField(serializers.CharField):
    """The status of a join request or invitation, described in text: an enum component named
    "Status" shared by two serializers collides with other apps' status enums."""


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()


class TeamStatusSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class TeamSerializer(serializers.ModelSerializer):
    """A team with `size`, `status` and `members` (from teams.queries.decorate)."""

    size = serializers.IntegerField(read_only=True)
    max_size = serializers.SerializerMethodField()
    status = TeamStatusSerializer(read_only=True)
    members = UserBriefSerializer(source="member_list", many=True, read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "idea",
            "looking_for",
            "locked",
            "solo_approved",
            "size",
            "max_size",
            "status",
            "members",
            "created_at",
        ]
        read_only_fields = fields

    def get_max_size(self, team) -> int:
        return team.course.max_team_size


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    idea = serializers.CharField(max_length=2000)
    looking_for = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class TeamUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    idea = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    looking_for = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class TeamBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class JoinRequestSerializer(serializers.ModelSerializer):
    team = TeamBriefSerializer(read_only=True)
    user = UserBriefSerializer(read_only=True)
    status = RequestStatusField(read_only=True)

    class Meta:
        model = JoinRequest
        fields = ["id", "team", "user", "message", "status", "created_at", "decided_at"]
        read_only_fields = fields


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InvitationSerializer(serializers.ModelSerializer):
    team = TeamBriefSerializer(read_only=True)
    user = UserBriefSerializer(read_only=True)
    invited_by = UserBriefSerializer(read_only=True)
    status = RequestStatusField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "team", "user", "invited_by", "message", "status", "created_at", "decided_at"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, help_text="The e-mail address of a student of this course.")
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SoloRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SoloRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MyTeamSerializer(serializers.Serializer):
    team = TeamSerializer(allow_null=True)
    requests = JoinRequestSerializer(many=True)
    invitations = InvitationSerializer(many=True)


class BoardPostSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True)
    interests = serializers.CharField(max_length=300, required=False, allow_blank=True)
    skills = serializers.CharField(max_length=300, required=False, allow_blank=True)

    class Meta:
        model = BoardPost
        fields = ["id", "author", "interests", "skills", "time_zone", "project_idea", "text", "is_open", "updated_at"]
        read_only_fields = ["id", "author", "is_open", "updated_at"]

    def validate_time_zone(self, value):
        if value and value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin).")
        return value


class TeamEventSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    subject = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TeamEvent
        fields = ["id", "team", "team_name", "kind", "detail", "actor", "subject", "created_at"]
        read_only_fields = fields


class MoveSerializer(serializers.Serializer):
    student = serializers.IntegerField(help_text="User id of the student.")
    team = serializers.IntegerField(allow_null=True, help_text="Team id, or null to take the student out of any team.")


class MergeSerializer(serializers.Serializer):
    keep = serializers.IntegerField(help_text="The team that stays.")
    absorb = serializers.IntegerField(help_text="The team merged into it and dissolved.")


class OverviewSerializer(serializers.Serializer):
    team_count = serializers.IntegerField()
    placed_count = serializers.IntegerField()
    unplaced = UserBriefSerializer(many=True)
    solo = TeamSerializer(many=True)
    under = TeamSerializer(many=True)
    requests = JoinRequestSerializer(many=True)
    invitations = InvitationSerializer(many=True)


class PlacementRowSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    target = serializers.CharField(help_text='"team:<id>" or "new:<n>"')


class NewTeamSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)


class PlacementPlanSerializer(serializers.ModelSerializer):
    placements = serializers.SerializerMethodField()
    new_teams = NewTeamSerializer(many=True, read_only=True)
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = PlacementPlan
        fields = ["id", "status", "created_at", "applied_at", "placements", "new_teams", "notes", "errors", "warnings"]
        read_only_fields = fields

    def _view(self, plan):
        from teams.bulk import describe_plan

        cache = self.context.setdefault("views", {})
        if plan.pk not in cache:
            cache[plan.pk] = describe_plan(plan)
        return cache[plan.pk]

    def get_placements(self, plan) -> list[dict]:
        return [{"student": r["student"], "from": r.get("from"), "target": r["target"]} for r in plan.placements]

    def get_errors(self, plan) -> list[str]:
        return self._view(plan).errors if plan.status == "draft" else []

    def get_warnings(self, plan) -> list[str]:
        return self._view(plan).warnings if plan.status == "draft" else []


class PlanUpdateSerializer(serializers.Serializer):
    placements = PlacementRowSerializer(many=True, required=False, default=list)
    new_team_names = serializers.DictField(
        child=serializers.CharField(max_length=80), required=False, default=dict, help_text='{"0": "Name", ...}'
    )


class PlanResultSerializer(serializers.Serializer):
    placed = serializers.IntegerField()
    created = serializers.ListField(child=serializers.CharField())
    dissolved = serializers.ListField(child=serializers.CharField())


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    created = serializers.ListField(child=serializers.CharField())
    dissolved = serializers.ListField(child=serializers.CharField())
