"""The teams REST API: the same services as the pages, behind the courses permission classes.

A refusal from a service (ValidationError) becomes 400 with {"detail": ["<why>", ...]} like the
other apps' APIs (the actions inherit RefusalsAsDetail; courseproj/lib/api_errors.py answers it);
403 and 404 come from the access helpers.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courseproj.lib.api_errors import RefusalsAsDetail
from courses.permissions import CourseInstructor, CourseMember, CourseStaff
from teams import bulk, queries, services
from teams.access import team_access
from teams.models import BoardPost, EventKind, Invitation, JoinRequest, PlacementPlan, RequestStatus
from teams.serializers import (
    BoardPostSerializer,
    ImportResultSerializer,
    ImportSerializer,
    InvitationSerializer,
    InviteSerializer,
    JoinRequestSerializer,
    MergeSerializer,
    MessageSerializer,
    MoveSerializer,
    MyTeamSerializer,
    OverviewSerializer,
    PlacementPlanSerializer,
    PlanResultSerializer,
    PlanUpdateSerializer,
    SoloRejectSerializer,
    SoloRequestSerializer,
    TeamCreateSerializer,
    TeamEventSerializer,
    TeamSerializer,
    TeamUpdateSerializer,
)


def team_data(team) -> dict:
    course = team.course
    decorated = queries.decorate(queries.teams_with_members(course).filter(pk=team.pk), course)
    return TeamSerializer(decorated[0]).data if decorated else None


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ---------------------------------------------------------------- teams


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=list(queries.STATUS_FILTERS)),
        OpenApiParameter("q", str, description="Search names, ideas and what teams look for."),
    ]
)
class TeamList(RefusalsAsDetail, generics.ListCreateAPIView):
    """Teams of the course (any member); POST creates a team with the caller as first member (students)."""

    permission_classes = [CourseMember]
    serializer_class = TeamSerializer

    def get_queryset(self):
        course = self.request.course_access.course
        params = self.request.query_params
        return queries.filter_teams(
            queries.teams_with_members(course), course, status=params.get("status", ""), q=params.get("q", "")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        items = queries.decorate(page, request.course_access.course)
        return self.get_paginated_response(TeamSerializer(items, many=True).data)

    @extend_schema(request=TeamCreateSerializer, responses={201: TeamSerializer})
    def post(self, request, course_slug):
        data = _valid(TeamCreateSerializer, request)
        team = services.create_team(request.course_access.course, request.user, **data)
        return Response(team_data(team), status=status.HTTP_201_CREATED)


class MyTeam(APIView):
    """The caller's team (or null), their join requests and their pending invitations."""

    permission_classes = [CourseMember]

    @extend_schema(responses=MyTeamSerializer)
    def get(self, request, course_slug):
        course, user = request.course_access.course, request.user
        team = services.team_of(user, course)
        body = {
            "team": team_data(team) if team else None,
            "requests": JoinRequestSerializer(
                JoinRequest.objects.filter(course=course, user=user).select_related("team", "user")[:50], many=True
            ).data,
            "invitations": InvitationSerializer(
                Invitation.objects.filter(course=course, user=user, status=RequestStatus.PENDING).select_related(
                    "team", "user", "invited_by"
                ),
                many=True,
            ).data,
        }
        return Response(body)


class TeamDetail(RefusalsAsDetail, APIView):
    """One team. Members and staff PATCH its name, idea and what it is looking for."""

    permission_classes = [CourseMember]

    @extend_schema(responses=TeamSerializer)
    def get(self, request, course_slug, pk):
        return Response(team_data(team_access(request.course_access, pk).team))

    @extend_schema(request=TeamUpdateSerializer, responses=TeamSerializer)
    def patch(self, request, course_slug, pk):
        team = team_access(request.course_access, pk, write=True).team
        data = _valid(TeamUpdateSerializer, request)
        if "name" in data:
            team = services.rename_team(team, request.user, data["name"])
        if "idea" in data or "looking_for" in data:
            services.edit_team(
                team,
                request.user,
                idea=data.get("idea", team.idea),
                looking_for=data.get("looking_for", team.looking_for),
            )
        return Response(team_data(team))


class LeaveTeam(RefusalsAsDetail, APIView):
    permission_classes = [CourseMember]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk).team
        dissolved = services.leave_team(team, request.user)
        return Response({"left": team.name, "dissolved": dissolved})


class TeamHistory(generics.ListAPIView):
    """A team's history, newest first (any member of the course)."""

    permission_classes = [CourseMember]
    serializer_class = TeamEventSerializer

    def get_queryset(self):
        team = team_access(self.request.course_access, self.kwargs["pk"]).team
        return team.events.select_related("actor", "subject")


class CourseHistory(generics.ListAPIView):
    """Every team change in the course, newest first (staff)."""

    permission_classes = [CourseStaff]
    serializer_class = TeamEventSerializer

    def get_queryset(self):
        events = self.request.course_access.course.team_events.select_related("actor", "subject")
        kind = self.request.query_params.get("kind")
        return events.filter(kind=kind) if kind in EventKind.values else events

    @extend_schema(
        operation_id="courses_teams_course_history_list",
        parameters=[OpenApiParameter("kind", str, enum=EventKind.values)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# ---------------------------------------------------------------- requests and invitations


class TeamRequests(RefusalsAsDetail, APIView):
    """GET: the team's pending join requests (members and staff). POST: ask to join (students)."""

    permission_classes = [CourseMember]

    @extend_schema(responses=JoinRequestSerializer(many=True))
    def get(self, request, course_slug, pk):
        team = team_access(request.course_access, pk, write=True).team
        pending = team.join_requests.filter(status=RequestStatus.PENDING).select_related("team", "user")
        return Response(JoinRequestSerializer(pending, many=True).data)

    @extend_schema(request=MessageSerializer, responses={201: JoinRequestSerializer})
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk).team
        data = _valid(MessageSerializer, request)
        join_request = services.request_to_join(team, request.user, data["message"])
        return Response(JoinRequestSerializer(join_request).data, status=status.HTTP_201_CREATED)


# POST: a service answers a pending join request or invitation; the answer is the row as it is now.
# (A comment, not a docstring: the schema would give it to every subclass without one.)
class _AnswerAction(RefusalsAsDetail, APIView):
    permission_classes = [CourseMember]
    rows = None  # the model's rows, with what the serializer reads
    serializer_class = None  # also the response in the schema
    service = None
    members_only = False  # True: only those who may write the team (its members, staff) get this far

    @extend_schema(request=None)
    def post(self, request, course_slug, pk):
        access = request.course_access
        pending = get_object_or_404(self.rows, pk=pk, course=access.course)
        if self.members_only:
            team_access(access, pending.team_id, write=True)
        type(self).service(pending, request.user)
        return Response(self.serializer_class(pending).data)


class _RequestAction(_AnswerAction):
    rows = JoinRequest.objects.select_related("team", "user", "course")
    serializer_class = JoinRequestSerializer
    members_only = True


class AcceptRequest(_RequestAction):
    """A member of the team accepts: the student joins if there is room."""

    service = services.accept_join_request


class DeclineRequest(_RequestAction):
    service = services.decline_join_request


class WithdrawRequest(_RequestAction):
    """The student who asked withdraws the request."""

    service = services.withdraw_join_request
    members_only = False


class TeamInvitations(RefusalsAsDetail, APIView):
    """GET: the team's pending invitations. POST: a member invites a student by e-mail."""

    permission_classes = [CourseMember]

    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request, course_slug, pk):
        team = team_access(request.course_access, pk, write=True).team
        pending = team.invitations.filter(status=RequestStatus.PENDING).select_related("team", "user", "invited_by")
        return Response(InvitationSerializer(pending, many=True).data)

    @extend_schema(request=InviteSerializer, responses={201: InvitationSerializer})
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk, write=True).team
        data = _valid(InviteSerializer, request)
        invitation = services.invite_student(team, request.user, data["email"], data["message"])
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class _InvitationAction(_AnswerAction):
    rows = Invitation.objects.select_related("team", "user", "course", "invited_by")
    serializer_class = InvitationSerializer


class AcceptInvitation(_InvitationAction):
    """The invited student accepts and joins; their other pending requests and invitations are withdrawn."""

    service = services.accept_invitation


class DeclineInvitation(_InvitationAction):
    service = services.decline_invitation


class CancelInvitation(_InvitationAction):
    """A member of the team (or staff) cancels a pending invitation."""

    service = services.cancel_invitation
    members_only = True


# ---------------------------------------------------------------- teams of one


class SoloRequest(RefusalsAsDetail, APIView):
    """The only member asks to work alone, with a reason an instructor reads."""

    permission_classes = [CourseMember]

    @extend_schema(request=SoloRequestSerializer, responses=TeamSerializer)
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk, write=True).team
        data = _valid(SoloRequestSerializer, request)
        services.request_solo(team, request.user, data["reason"])
        return Response(team_data(team))


class SoloApprove(RefusalsAsDetail, APIView):
    permission_classes = [CourseInstructor]

    @extend_schema(request=None, responses=TeamSerializer)
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk).team
        services.approve_solo(team, request.user)
        return Response(team_data(team))


class SoloReject(RefusalsAsDetail, APIView):
    permission_classes = [CourseInstructor]

    @extend_schema(request=SoloRejectSerializer, responses=TeamSerializer)
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk).team
        data = _valid(SoloRejectSerializer, request)
        services.reject_solo(team, request.user, data["note"])
        return Response(team_data(team))


# ---------------------------------------------------------------- the board


@extend_schema(
    parameters=[
        OpenApiParameter("interest", str),
        OpenApiParameter("skill", str),
        OpenApiParameter("q", str),
    ]
)
class BoardList(generics.ListAPIView):
    """Open "looking for teammates" posts, filterable by interest and skill."""

    permission_classes = [CourseMember]
    serializer_class = BoardPostSerializer

    def get_queryset(self):
        params = self.request.query_params
        return queries.open_board_posts(
            self.request.course_access.course,
            interest=params.get("interest", ""),
            skill=params.get("skill", ""),
            q=params.get("q", ""),
        )


class MyBoardPost(RefusalsAsDetail, APIView):
    """The caller's board post: GET it, PUT it up (students without a team), DELETE takes it down."""

    permission_classes = [CourseMember]

    def _post(self, request):
        return get_object_or_404(BoardPost, course=request.course_access.course, author=request.user)

    @extend_schema(responses=BoardPostSerializer)
    def get(self, request, course_slug):
        return Response(BoardPostSerializer(self._post(request)).data)

    @extend_schema(request=BoardPostSerializer, responses=BoardPostSerializer)
    def put(self, request, course_slug):
        serializer = BoardPostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.save_board_post(request.course_access.course, request.user, **serializer.validated_data)
        return Response(BoardPostSerializer(post).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, course_slug):
        self._post(request)
        services.close_board_post(request.course_access.course, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- staff


class Overview(APIView):
    """Staff: students without a team, teams of one, teams under the minimum, pending requests."""

    permission_classes = [CourseStaff]

    @extend_schema(responses=OverviewSerializer)
    def get(self, request, course_slug):
        return Response(OverviewSerializer(queries.overview(request.course_access.course)).data)


class MoveStudent(RefusalsAsDetail, APIView):
    """Staff move a student into a team (or out of any team with team=null)."""

    permission_classes = [CourseStaff]

    @extend_schema(request=MoveSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, course_slug):
        access = request.course_access
        data = _valid(MoveSerializer, request)
        student = get_object_or_404(bulk.students_of(access.course), pk=data["student"])
        team = team_access(access, data["team"]).team if data["team"] is not None else None
        services.move_student(access.course, request.user, student, team)
        new = services.team_of(student, access.course)
        return Response({"student": student.pk, "team": team_data(new) if new else None})


class MergeTeams(RefusalsAsDetail, APIView):
    permission_classes = [CourseStaff]

    @extend_schema(request=MergeSerializer, responses=TeamSerializer)
    def post(self, request, course_slug):
        access = request.course_access
        data = _valid(MergeSerializer, request)
        keep = team_access(access, data["keep"]).team
        absorb = team_access(access, data["absorb"]).team
        team = services.merge_teams(access.course, request.user, keep, absorb)
        return Response(team_data(team))


class _TeamStaffAction(RefusalsAsDetail, APIView):
    permission_classes = [CourseStaff]
    service = None

    @extend_schema(request=None, responses=TeamSerializer)
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk).team
        type(self).service(team, request.user)
        return Response(team_data(team))


class LockTeam(_TeamStaffAction):
    service = services.lock_team


class UnlockTeam(_TeamStaffAction):
    service = services.unlock_team


class DissolveTeam(RefusalsAsDetail, APIView):
    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, course_slug, pk):
        team = team_access(request.course_access, pk).team
        services.dissolve_team(team, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanList(generics.ListAPIView):
    """Staff: placement plans, newest first. POST proposes a new draft (discarding the old draft)."""

    permission_classes = [CourseStaff]
    serializer_class = PlacementPlanSerializer

    def get_queryset(self):
        return PlacementPlan.objects.filter(course=self.request.course_access.course)

    @extend_schema(request=None, responses={201: PlacementPlanSerializer})
    def post(self, request, course_slug):
        plan = bulk.propose_placement(request.course_access.course, request.user)
        return Response(PlacementPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetail(RefusalsAsDetail, APIView):
    """Staff: a plan; PATCH adjusts a draft (targets per student, names of new teams)."""

    permission_classes = [CourseStaff]

    def _plan(self, request, pk):
        return get_object_or_404(PlacementPlan, pk=pk, course=request.course_access.course)

    @extend_schema(responses=PlacementPlanSerializer)
    def get(self, request, course_slug, pk):
        return Response(PlacementPlanSerializer(self._plan(request, pk)).data)

    @extend_schema(request=PlanUpdateSerializer, responses=PlacementPlanSerializer)
    def patch(self, request, course_slug, pk):
        plan = self._plan(request, pk)
        data = _valid(PlanUpdateSerializer, request)
        targets = {row["student"]: row["target"] for row in data["placements"]}
        names = {}
        for key, name in data["new_team_names"].items():
            if not str(key).isdigit():
                raise APIValidationError({"new_team_names": [f"{key!r} is not the number of a new team."]})
            names[int(key)] = name
        plan = bulk.update_plan(plan, request.user, targets=targets, names=names)
        return Response(PlacementPlanSerializer(plan).data)


class PlanApply(RefusalsAsDetail, APIView):
    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses=PlanResultSerializer)
    def post(self, request, course_slug, pk):
        plan = get_object_or_404(PlacementPlan, pk=pk, course=request.course_access.course)
        result = bulk.apply_plan(plan, request.user)
        return Response(PlanResultSerializer(result).data)


class PlanDiscard(RefusalsAsDetail, APIView):
    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses=PlacementPlanSerializer)
    def post(self, request, course_slug, pk):
        plan = get_object_or_404(PlacementPlan, pk=pk, course=request.course_access.course)
        plan = bulk.discard_plan(plan, request.user)
        return Response(PlacementPlanSerializer(plan).data)


class ExportTeams(APIView):
    """Staff: every student with their team, as CSV (team,email,name,locked,solo_approved,idea)."""

    permission_classes = [CourseStaff]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, course_slug):
        course = request.course_access.course
        response = HttpResponse(bulk.export_teams_csv(course), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{course.slug}-teams.csv"'
        return response


class ImportTeams(APIView):
    """Instructors: put students in teams from a CSV (team,email[,idea]); all rows or nothing."""

    permission_classes = [CourseInstructor]
    parser_classes = [MultiPartParser]

    @extend_schema(request=ImportSerializer, responses={200: ImportResultSerializer})
    def post(self, request, course_slug):
        upload = _valid(ImportSerializer, request)["file"]
        if upload.size > bulk.MAX_CSV_BYTES:
            raise APIValidationError({"file": [f"The file is larger than {bulk.MAX_CSV_BYTES // 1024} KB."]})
        result = bulk.import_teams_csv(request.course_access.course, request.user, upload.read())
        if not result.ok:
            raise APIValidationError({"file": result.errors})
        return Response(ImportResultSerializer(result).data)
