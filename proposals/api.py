"""REST API for proposals and weekly updates: the same services and access rules as the pages."""

from __future__ import annotations

import contextlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.permissions import CourseInstructor, CourseMember, CourseStaff
from proposals import queries, services
from proposals.access import get_proposal_access, get_update_access, my_team, visible_proposals
from proposals.diff import diff_revisions
from proposals.models import (
    PROPOSAL_TRANSITIONS,
    ProposalComment,
    ProposalRevision,
    ProposalStatus,
    UpdateComment,
    WeeklyUpdate,
)
from proposals.serializers import (
    CommentSerializer,
    DiffSerializer,
    DraftInputSerializer,
    DraftSectionSerializer,
    EventSerializer,
    FeedItemSerializer,
    GridRowSerializer,
    ProposalDetailSerializer,
    ProposalSerializer,
    ProposalTemplateSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    RevisionSerializer,
    RevisionSummarySerializer,
    UpdateCommentSerializer,
    WeeklyUpdateSerializer,
    WeekSerializer,
)
from proposals.weeks import course_weeks, current_week_number


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Someone else changed this first."
    default_code = "conflict"


@contextlib.contextmanager
def service_errors():
    """Service refusals as API errors: 409 for conflicts, 400 for the rest (403/404 pass through)."""
    try:
        yield
    except services.Conflict as exc:
        raise Conflict({"detail": exc.messages}) from None
    except ValidationError as exc:
        raise APIValidationError({"detail": exc.messages}) from None


def _access(request):
    return request.course_access


# ---------------------------------------------------------------- template


class ProposalTemplateView(APIView):
    """The course's proposal template. Members read it; instructors replace its sections (PUT)."""

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [CourseMember()]
        return [CourseInstructor()]

    @extend_schema(responses=ProposalTemplateSerializer)
    def get(self, request, course_slug):
        sections = services.template_sections(_access(request).course)
        return Response(ProposalTemplateSerializer({"sections": sections}).data)

    @extend_schema(request=ProposalTemplateSerializer, responses=ProposalTemplateSerializer)
    def put(self, request, course_slug):
        serializer = ProposalTemplateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        specs = [services.SectionSpec(**s) for s in serializer.validated_data["sections"]]
        with service_errors():
            sections = services.update_proposal_template(_access(request).course, specs, by=request.user)
        return Response(ProposalTemplateSerializer({"sections": sections}).data)


# ---------------------------------------------------------------- proposals


class ProposalList(generics.ListAPIView):
    """Proposals you may see: staff see all; students see their team's and, when the course
    shares them, other teams' submitted ones. POST starts your team's proposal."""

    serializer_class = ProposalSerializer
    permission_classes = [CourseMember]

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=ProposalStatus.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = visible_proposals(_access(self.request)).order_by("team_name", "pk")
        wanted = self.request.query_params.get("status")
        return qs.filter(status=wanted) if wanted in ProposalStatus.values else qs

    @extend_schema(request=None, responses={201: ProposalSerializer, 200: ProposalSerializer})
    def post(self, request, course_slug):
        team = my_team(_access(request))
        if team is None:
            raise APIValidationError({"detail": ["You are not in a team of this course; join one first."]})
        existed = hasattr(team, "proposal")
        with service_errors():
            proposal = services.start_proposal(team, by=request.user)
        return Response(ProposalSerializer(proposal).data, status=200 if existed else 201)


class MyProposal(APIView):
    permission_classes = [CourseMember]

    @extend_schema(responses=ProposalDetailSerializer)
    def get(self, request, course_slug):
        """Your team's proposal (404 until someone starts it with POST proposals/)."""
        team = my_team(_access(request))
        proposal = getattr(team, "proposal", None) if team else None
        if proposal is None:
            raise Http404("Your team has not started a proposal yet.")
        return Response(_detail(get_proposal_access(_access(request), proposal.pk)))


def _detail(pa) -> dict:
    """The fields of ProposalDetailSerializer; reviews and history only for the team and staff."""
    proposal = pa.proposal
    revision = queries.latest_revision(proposal)
    review = queries.latest_review(proposal) if pa.can_see_reviews else None
    events = proposal.events.select_related("actor", "revision") if pa.can_see_reviews else []
    allowed = PROPOSAL_TRANSITIONS[proposal.status] if (pa.can_edit or pa.can_review) else set()
    return {
        **ProposalSerializer(proposal).data,
        "latest_revision": RevisionSerializer(revision).data if revision else None,
        "latest_review": ReviewSerializer(review).data if review else None,
        "events": EventSerializer(events, many=True).data,
        "allowed_transitions": sorted(allowed),
    }


class ProposalDetail(APIView):
    permission_classes = [CourseMember]

    @extend_schema(responses=ProposalDetailSerializer)
    def get(self, request, course_slug, pk):
        """A proposal with its latest revision; reviews and history for the team and staff."""
        return Response(_detail(get_proposal_access(_access(request), pk)))


class DraftView(APIView):
    """The team's working text, section by section (only the team sees it)."""

    permission_classes = [CourseMember]

    def _rows(self, proposal):
        drafts = queries.drafts_by_key(proposal)
        rows = []
        for section in services.template_sections(proposal.course):
            draft = drafts.get(section.key)
            rows.append(
                {
                    "key": section.key,
                    "title": section.title,
                    "body": draft.body if draft else "",
                    "version": draft.version if draft else None,
                    "updated_at": draft.updated_at if draft else None,
                    "updated_by": draft.updated_by if draft else None,
                }
            )
        return DraftSectionSerializer(rows, many=True).data

    @extend_schema(responses=DraftSectionSerializer(many=True))
    def get(self, request, course_slug, pk):
        pa = get_proposal_access(_access(request), pk, write=True)
        return Response(self._rows(pa.proposal))

    @extend_schema(request=DraftInputSerializer, responses={200: DraftSectionSerializer(many=True)})
    def put(self, request, course_slug, pk):
        """Save some sections. Send `version` to be refused (409) if a teammate saved since."""
        pa = get_proposal_access(_access(request), pk, write=True)
        serializer = DraftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data["sections"]
        bodies = {i["key"]: i["body"] for i in items}
        versions = {i["key"]: i["version"] for i in items if i.get("version") is not None}
        with service_errors():
            services.save_draft(pa.proposal, bodies, versions=versions, by=request.user)
        return Response(self._rows(pa.proposal))


class SubmitProposal(APIView):
    permission_classes = [CourseMember]

    @extend_schema(request=None, responses={201: RevisionSerializer})
    def post(self, request, course_slug, pk):
        """Freeze the draft as the next revision; the proposal becomes submitted (late after the deadline)."""
        pa = get_proposal_access(_access(request), pk, write=True)
        with service_errors():
            revision = services.submit_proposal(pa.proposal, by=request.user)
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)


class RevisionList(generics.ListAPIView):
    serializer_class = RevisionSummarySerializer
    permission_classes = [CourseMember]

    def get_queryset(self):
        pa = get_proposal_access(_access(self.request), self.kwargs["pk"])
        return pa.proposal.revisions.select_related("author").order_by("number")


class RevisionDetail(generics.RetrieveAPIView):
    serializer_class = RevisionSerializer
    permission_classes = [CourseMember]

    def get_object(self):
        pa = get_proposal_access(_access(self.request), self.kwargs["pk"])
        return get_object_or_404(
            ProposalRevision.objects.select_related("author").prefetch_related("sections"),
            proposal=pa.proposal,
            number=self.kwargs["number"],
        )


class RevisionDiff(APIView):
    permission_classes = [CourseMember]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="Older revision number (default: the one before the latest)"),
            OpenApiParameter("to", int, description="Newer revision number (default: the latest)"),
        ],
        responses=DiffSerializer,
    )
    def get(self, request, course_slug, pk):
        """Section-by-section unified diff between any two revisions."""
        pa = get_proposal_access(_access(request), pk)
        count = pa.proposal.revision_count
        try:
            old_n = int(request.query_params.get("from", count - 1))
            new_n = int(request.query_params.get("to", count))
        except ValueError:
            raise APIValidationError({"detail": ["`from` and `to` must be revision numbers."]}) from None
        if not (1 <= old_n <= count and 1 <= new_n <= count):  # before the query: huge numbers overflow it
            raise APIValidationError({"detail": [f"Choose two revisions between 1 and {count}."]})
        found = pa.proposal.revisions.filter(number__in=[old_n, new_n]).prefetch_related("sections")
        revs = {r.number: r for r in found}
        if old_n not in revs or new_n not in revs:
            raise APIValidationError({"detail": [f"Choose two revisions between 1 and {count}."]})
        sections = [
            {
                "key": s.key,
                "title": s.title,
                "old_title": s.old_title,
                "status": s.status,
                "unified": [("@@" + line[2:] if kind == "@" else kind + line) for kind, line in s.unified],
            }
            for s in diff_revisions(revs[old_n], revs[new_n])
        ]
        return Response(DiffSerializer({"from_number": old_n, "to_number": new_n, "sections": sections}).data)


class ReviewList(generics.ListCreateAPIView):
    """Reviews of the proposal (the team and staff read them); staff POST a review with a decision."""

    serializer_class = ReviewSerializer
    permission_classes = [CourseMember]

    def get_queryset(self):
        pa = get_proposal_access(_access(self.request), self.kwargs["pk"])
        if not pa.can_see_reviews:
            raise Http404("No such proposal")
        return queries.reviews_with_comments(pa.proposal)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def post(self, request, course_slug, pk):
        pa = get_proposal_access(_access(request), pk)
        if not pa.can_review:
            raise PermissionDenied("Only the course's instructors and TAs can review proposals.")
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            review = services.review_proposal(
                pa.proposal,
                by=request.user,
                decision=data["decision"],
                comment=data["comment"],
                section_comments=data["section_comments"],
                revision_number=data["revision"],
            )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ProposalCommentList(generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    permission_classes = [CourseMember]

    def get_queryset(self):
        pa = get_proposal_access(_access(self.request), self.kwargs["pk"])
        return ProposalComment.objects.filter(proposal=pa.proposal).select_related("author", "revision")

    def create(self, request, course_slug, pk):
        pa = get_proposal_access(_access(request), pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            comment = services.comment_on_proposal(pa.proposal, by=request.user, body=serializer.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- weekly updates


class WeekList(APIView):
    permission_classes = [CourseMember]

    @extend_schema(responses=WeekSerializer(many=True))
    def get(self, request, course_slug):
        """The course's weeks with due times, and your team's status for each."""
        access = _access(request)
        team = my_team(access)
        cells = {c.week.number: c for c in queries.team_weeks(access.course, team)}
        rows = []
        for week in course_weeks(access.course):
            cell = cells.get(week.number)
            rows.append(
                {
                    "number": week.number,
                    "starts": week.starts,
                    "ends": week.ends,
                    "due": week.due,
                    "status": cell.status if cell else None,
                    "update_id": cell.update_id if cell else None,
                }
            )
        return Response(WeekSerializer(rows, many=True).data)


class UpdateList(generics.ListCreateAPIView):
    """Weekly updates of the course (every member reads them); POST your team's update for a week."""

    serializer_class = WeeklyUpdateSerializer
    permission_classes = [CourseMember]

    @extend_schema(parameters=[OpenApiParameter("team", int), OpenApiParameter("week", int)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = WeeklyUpdate.objects.filter(course=_access(self.request).course).select_related(
            "team", "author", "updated_by"
        )
        for name in ("team", "week"):
            value = self.request.query_params.get(name)
            if value and value.isdigit():
                qs = qs.filter(**{name: int(value)})
        return qs.order_by("-week", "team__name")

    def create(self, request, course_slug):
        team = my_team(_access(request))
        if team is None:
            raise APIValidationError({"detail": ["You are not in a team of this course; join one first."]})
        serializer = WeeklyUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fields = {name: data.get(name, "") for name in services.UPDATE_FIELDS}
        with service_errors():
            update = services.post_weekly_update(team, data["week"], fields, by=request.user)
        return Response(WeeklyUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class UpdateDetail(generics.RetrieveUpdateAPIView):
    """One update; its team edits it (PATCH/PUT) until the week's due time."""

    serializer_class = WeeklyUpdateSerializer
    permission_classes = [CourseMember]

    def get_object(self):
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return get_update_access(_access(self.request), self.kwargs["pk"], write=write).update

    def update(self, request, *args, **kwargs):
        update = self.get_object()
        serializer = WeeklyUpdateSerializer(update, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields = {name: serializer.validated_data.get(name, getattr(update, name)) for name in services.UPDATE_FIELDS}
        with service_errors():
            update = services.edit_weekly_update(update, fields, by=request.user)
        return Response(WeeklyUpdateSerializer(update).data)


class UpdateCommentList(generics.ListCreateAPIView):
    """Comments on an update, oldest first; `parent` makes a reply (threads are one level deep)."""

    serializer_class = UpdateCommentSerializer
    permission_classes = [CourseMember]

    def get_queryset(self):
        ua = get_update_access(_access(self.request), self.kwargs["pk"])
        return ua.update.comments.select_related("author")

    def create(self, request, course_slug, pk):
        ua = get_update_access(_access(request), pk)
        serializer = UpdateCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent_id = serializer.validated_data.get("parent_id")
        parent = None
        if parent_id:
            parent = UpdateComment.objects.filter(pk=parent_id, update=ua.update).first()
            if parent is None:
                raise APIValidationError({"parent": ["No such comment on this update."]})
        with service_errors():
            comment = services.comment_on_update(
                ua.update, by=request.user, body=serializer.validated_data["body"], parent=parent
            )
        return Response(UpdateCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class UpdateGrid(APIView):
    permission_classes = [CourseStaff]

    @extend_schema(
        parameters=[OpenApiParameter("missing", bool, description="Only teams without an update this week")],
        responses=inline_serializer(
            "UpdateGrid",
            {
                "current_week": serializers.IntegerField(),
                "weeks": WeekSerializer(many=True),
                "rows": GridRowSerializer(many=True),
            },
        ),
    )
    def get(self, request, course_slug):
        """Teams × weeks: posted, late, missing, pending (this week, not due yet) or upcoming."""
        course = _access(request).course
        now = timezone.now()
        current = current_week_number(course, now)
        missing = request.query_params.get("missing") in ("1", "true") and current > 0
        teams = queries.grid_teams(course, missing_week=current if missing else None)
        weeks, rows = queries.update_grid(course, teams, now)
        week_rows = [
            {"number": w.number, "starts": w.starts, "ends": w.ends, "due": w.due, "status": None, "update_id": None}
            for w in weeks
        ]
        return Response(
            {
                "current_week": current,
                "weeks": WeekSerializer(week_rows, many=True).data,
                "rows": GridRowSerializer(rows, many=True).data,
            }
        )


class Feed(APIView):
    permission_classes = [CourseMember]

    @extend_schema(
        parameters=[OpenApiParameter("before", OpenApiTypes.DATETIME, description="Items older than this")],
        responses=FeedItemSerializer(many=True),
    )
    def get(self, request, course_slug):
        """Recent updates and comments of the course, newest first (30 at a time)."""
        try:
            before = queries.parse_cursor(request.query_params.get("before"))
        except ValueError as exc:
            raise APIValidationError({"before": [f"{exc}; use e.g. 2026-09-11T17:00:00Z."]}) from None
        items = queries.course_feed(_access(request).course, before=before, limit=30)
        return Response(FeedItemSerializer(items, many=True).data)
