"""REST API of the labeling challenge: the same actions as the pages, through the same helpers.

Students: list/read challenges, download inputs, submit a file (multipart, e.g. with curl),
their submissions and their status, the leaderboard (private only after closing), final
picks, revealing hints. Staff: create/update challenges and hints, see every submission,
rescore, disqualify, close, export the standings.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courseproj.lib.api_errors import RefusalsByField
from courses.permissions import CourseMember, CourseStaff
from labeling import access as acl
from labeling import hints as hint_rules
from labeling import leaderboard as lb
from labeling import services
from labeling.forms import CHALLENGE_FIELDS, read_upload
from labeling.models import Challenge, Hint, Status, Submission
from labeling.serializers import (
    BenchmarkSerializer,
    ChallengeDetailSerializer,
    ChallengeSerializer,
    ChallengeStaffSerializer,
    ChallengeWriteSerializer,
    DisqualifySerializer,
    HintSerializer,
    HintWriteSerializer,
    LeaderboardSerializer,
    PicksSerializer,
    RescoreResultSerializer,
    SubmissionSerializer,
    SubmitSerializer,
)


# A service's refusal answers 400 with every problem, by field where it has fields (courseproj/lib/api_errors.py).
class ChallengeMixin(RefusalsByField):
    """Resolves the URL's challenge for the caller (404 if it is not in their course)."""

    permission_classes = [CourseMember]

    def get_challenge(self) -> Challenge:
        if not hasattr(self, "_challenge"):
            self._challenge = acl.get_challenge_for_user(self.request.course_access, self.kwargs["slug"])
        return self._challenge

    @property
    def access(self):
        return self.request.course_access

    def submission_context(self) -> dict:
        challenge = self.get_challenge()
        return {
            "request": self.request,
            "challenge": challenge,
            "private_visible": lb.private_visible(challenge, self.access.is_staff),
        }


class ChallengeList(RefusalsByField, generics.ListCreateAPIView):
    """The course's challenges (members); create one (staff, multipart with `inputs` and `gold`)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_permissions(self):
        return [CourseMember()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [CourseStaff()]

    def get_queryset(self):
        return Challenge.objects.filter(course=self.request.course_access.course).select_related("course")

    def get_serializer_class(self):
        if self.request.method == "POST":
            return ChallengeWriteSerializer
        access = getattr(self.request, "course_access", None)
        return ChallengeStaffSerializer if access and access.is_staff else ChallengeSerializer

    def get_serializer_context(self):
        access = getattr(self.request, "course_access", None)
        return {
            **super().get_serializer_context(),
            "is_staff": bool(access and access.is_staff),
            "course": access.course if access else None,
        }

    @extend_schema(request=ChallengeWriteSerializer, responses={201: ChallengeStaffSerializer})
    def post(self, request, *args, **kwargs):
        serializer = ChallengeWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        files = _file_args(data)
        fields = {k: v for k, v in data.items() if k in CHALLENGE_FIELDS and k != "slug"}
        challenge = services.create_challenge(request.course_access.course, slug=data["slug"], **fields, **files)
        body = ChallengeStaffSerializer(challenge, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


def _file_args(data: dict) -> dict:
    from django.conf import settings

    files = {}
    if data.get("inputs"):
        files["inputs"] = [(f.name, read_upload(f, settings.MAX_UPLOAD_BYTES)) for f in data["inputs"]]
    if data.get("gold"):
        files["gold"] = read_upload(data["gold"], settings.MAX_UPLOAD_BYTES)
    return files


class ChallengeDetail(ChallengeMixin, APIView):
    """A challenge with its hints (as the caller sees them) and the caller's quota for today."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_permissions(self):
        return [CourseMember()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [CourseStaff()]

    @extend_schema(responses=ChallengeDetailSerializer)
    def get(self, request, course_slug, slug):
        challenge = self.get_challenge()
        content_open = self.access.is_staff or acl.phase(challenge) != acl.UPCOMING
        challenge.hint_views = (
            hint_rules.visible_hints(challenge, request.user, is_staff=self.access.is_staff) if content_open else []
        )
        challenge.quota = None
        if not self.access.is_staff and acl.current_participant(challenge, request.user):
            q = services.submission_quota(challenge, request.user)
            challenge.quota = {"used": q.used, "limit": q.limit, "left": q.left, "resets_at": q.resets_at}
        from labeling.views import runtime_versions

        challenge.runtime = dict(runtime_versions())
        context = {"request": request, "is_staff": self.access.is_staff}
        return Response(ChallengeDetailSerializer(challenge, context=context).data)

    @extend_schema(request=ChallengeWriteSerializer, responses=ChallengeStaffSerializer)
    def patch(self, request, course_slug, slug):
        challenge = self.get_challenge()
        serializer = ChallengeWriteSerializer(
            challenge, data=request.data, partial=True, context={"request": request, "course": self.access.course}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        files = _file_args(data)
        fields = {k: v for k, v in data.items() if k in CHALLENGE_FIELDS and k != "slug"}
        challenge = services.update_challenge(Challenge.objects.get(pk=challenge.pk), **fields, **files)
        return Response(ChallengeStaffSerializer(challenge, context={"request": request, "is_staff": True}).data)


class InputDownload(ChallengeMixin, APIView):
    """Download an input file of the challenge (never the gold)."""

    # The file's own type (text/csv for a .csv, else application/octet-stream): see acl.content_type.
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request, course_slug, slug, name):
        item, path = acl.get_input_for_user(self.access, self.get_challenge(), name)
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=item.name, content_type=acl.content_type(item)
        )


class HintList(ChallengeMixin, APIView):
    """The challenge's hints as the caller sees them (GET); add a hint (POST, staff)."""

    def get_permissions(self):
        return [CourseMember()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [CourseStaff()]

    @extend_schema(responses=HintSerializer(many=True))
    def get(self, request, course_slug, slug):
        challenge = self.get_challenge()
        acl.require_open_content(self.access, challenge)
        views = hint_rules.visible_hints(challenge, request.user, is_staff=self.access.is_staff)
        return Response(HintSerializer(views, many=True).data)

    @extend_schema(request=HintWriteSerializer, responses={201: HintWriteSerializer})
    def post(self, request, course_slug, slug):
        serializer = HintWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hint = serializer.save(challenge=self.get_challenge())
        return Response(HintWriteSerializer(hint).data, status=status.HTTP_201_CREATED)


class HintDetail(ChallengeMixin, generics.RetrieveUpdateDestroyAPIView):
    """Read, change or delete a hint (staff)."""

    permission_classes = [CourseStaff]
    serializer_class = HintWriteSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        return get_object_or_404(Hint, pk=self.kwargs["hint_id"], challenge=self.get_challenge())


class HintReveal(ChallengeMixin, APIView):
    """Reveal a hint early (if it allows it and every earlier hint is visible to you); recorded."""

    @extend_schema(request=None, responses=HintSerializer)
    def post(self, request, course_slug, slug, hint_id):
        challenge = self.get_challenge()
        acl.require_open_content(self.access, challenge)
        hint = get_object_or_404(Hint, pk=hint_id, challenge=challenge)
        hint_rules.reveal_hint(hint, request.user)
        views = hint_rules.visible_hints(challenge, request.user, is_staff=self.access.is_staff)
        view = next(v for v in views if v.hint.pk == hint.pk)
        return Response(HintSerializer(view).data)


class SubmissionList(ChallengeMixin, generics.ListAPIView):
    """Your submissions (students; the team's in a team challenge) or all of them (staff, with filters).
    POST a file to submit: `curl -H "Authorization: Token …" -F "file=@solution.py" <this url>`."""

    serializer_class = SubmissionSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        challenge = self.get_challenge()
        if not self.access.is_staff:
            return acl.own_submissions(challenge, self.request.user).select_related("team")
        qs = Submission.objects.filter(challenge=challenge).select_related("submitter", "team")
        params = self.request.query_params
        return acl.filter_submissions(
            qs,
            status=params.get("status", "") if params.get("status") in Status.values else "",
            who=params.get("who", "")[:100],
            kind=params.get("kind", ""),
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self.submission_context()}

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Status.values, description="Staff: only this status."),
            OpenApiParameter("who", str, description="Staff: name, e-mail, team, benchmark or participant id."),
            OpenApiParameter("kind", str, enum=["students", "benchmarks", "disqualified"], description="Staff."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=SubmitSerializer, responses={201: SubmissionSerializer})
    def post(self, request, course_slug, slug):
        challenge = self.get_challenge()
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        submission = services.submit(
            challenge, request.user, read_upload(upload, challenge.max_code_bytes), upload.name
        )
        body = SubmissionSerializer(submission, context=self.submission_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class SubmissionMixin(ChallengeMixin):
    def get_submission(self) -> Submission:
        return acl.get_submission_for_user(self.access, self.get_challenge(), self.kwargs["pk"]).submission

    def respond(self, submission) -> Response:
        submission.refresh_from_db()
        return Response(SubmissionSerializer(submission, context=self.submission_context()).data)


class SubmissionDetail(SubmissionMixin, APIView):
    """A submission's status, scores, message and log tail (its participant and staff only)."""

    @extend_schema(responses=SubmissionSerializer)
    def get(self, request, course_slug, slug, pk):
        submission = self.get_submission()
        return Response(SubmissionSerializer(submission, context=self.submission_context()).data)


class SubmissionCode(SubmissionMixin, APIView):
    """The submitted code (its participant and staff only)."""

    @extend_schema(responses={(200, "text/x-python"): OpenApiTypes.BINARY})
    def get(self, request, course_slug, slug, pk):
        submission = self.get_submission()
        path = acl.data_file(submission.code_path)
        filename = submission.original_filename or f"submission-{submission.pk}.py"
        return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type="text/x-python")


class SubmissionCancel(SubmissionMixin, APIView):
    """Cancel a submission that is still queued (its participant or staff)."""

    @extend_schema(request=None, responses=SubmissionSerializer)
    def post(self, request, course_slug, slug, pk):
        submission = self.get_submission()
        services.cancel_submission(submission, request.user)
        return self.respond(submission)


class SubmissionRescore(SubmissionMixin, APIView):
    """Score a submission again (staff), e.g. after a gold fix."""

    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses=SubmissionSerializer)
    def post(self, request, course_slug, slug, pk):
        submission = self.get_submission()
        services.rescore_submission(submission, request.user)
        return self.respond(submission)


class SubmissionDisqualify(SubmissionMixin, APIView):
    """Take a submission off the leaderboard (staff); it is kept, with the reason."""

    permission_classes = [CourseStaff]

    @extend_schema(request=DisqualifySerializer, responses=SubmissionSerializer)
    def post(self, request, course_slug, slug, pk):
        submission = self.get_submission()
        serializer = DisqualifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.disqualify_submission(submission, request.user, serializer.validated_data["reason"])
        return self.respond(submission)


class SubmissionRequalify(SubmissionMixin, APIView):
    """Put a disqualified submission back on the leaderboard (staff)."""

    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses=SubmissionSerializer)
    def post(self, request, course_slug, slug, pk):
        submission = self.get_submission()
        services.requalify_submission(submission, request.user)
        return self.respond(submission)


class BenchmarkList(ChallengeMixin, generics.ListAPIView):
    """The challenge's reference solutions (GET) and adding one (POST, multipart `name` and `file`);
    it is scored like a submission and shown as a benchmark row. Staff only."""

    permission_classes = [CourseStaff]
    serializer_class = SubmissionSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return Submission.objects.filter(challenge=self.get_challenge(), is_benchmark=True).order_by("id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self.submission_context()}

    @extend_schema(request=BenchmarkSerializer, responses={201: SubmissionSerializer})
    def post(self, request, course_slug, slug):
        challenge = self.get_challenge()
        serializer = BenchmarkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        sub = services.add_benchmark(
            challenge,
            serializer.validated_data["name"],
            read_upload(upload, challenge.max_code_bytes),
            upload.name,
        )
        body = SubmissionSerializer(sub, context=self.submission_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class ChallengeRescore(ChallengeMixin, APIView):
    """Score every finished submission of the challenge again (staff)."""

    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses=RescoreResultSerializer)
    def post(self, request, course_slug, slug):
        count = services.rescore_challenge(self.get_challenge(), request.user)
        return Response({"requeued": count})


class ChallengeClose(ChallengeMixin, APIView):
    """Close the challenge now (staff): submissions stop, the private leaderboard is revealed."""

    permission_classes = [CourseStaff]

    @extend_schema(request=None, responses=ChallengeStaffSerializer)
    def post(self, request, course_slug, slug):
        challenge = lb.close_challenge(self.get_challenge(), request.user)
        return Response(ChallengeStaffSerializer(challenge, context={"request": request, "is_staff": True}).data)


class ChallengeExport(ChallengeMixin, APIView):
    """The final standings as CSV (staff): private board order, public rank and score alongside."""

    permission_classes = [CourseStaff]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, course_slug, slug):
        challenge = self.get_challenge()
        response = HttpResponse(lb.standings_csv(challenge), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime(timezone.now(), challenge.course.tz).strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{course_slug}-{challenge.slug}-{stamp}.csv"'
        return response


class Leaderboard(ChallengeMixin, APIView):
    """The leaderboard: `board=public` (default while open) or `private` (after closing; staff any time)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("board", str, enum=["public", "private"]),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="Rows per page, at most 200."),
        ],
        responses={200: LeaderboardSerializer, 403: OpenApiResponse(description="Private board before closing.")},
    )
    def get(self, request, course_slug, slug):
        challenge = self.get_challenge()
        closed = acl.is_closed(challenge)
        kind = request.query_params.get("board") or (lb.PRIVATE if closed else lb.PUBLIC)
        if kind not in (lb.PUBLIC, lb.PRIVATE):
            raise ValidationError({"board": ["Choose public or private."]})
        if kind == lb.PRIVATE and not lb.private_visible(challenge, self.access.is_staff):
            raise PermissionDenied("The private leaderboard is revealed when the challenge closes.")
        try:
            per_page = max(1, min(200, int(request.query_params.get("page_size", lb.ROWS_PER_PAGE))))
        except ValueError:
            per_page = lb.ROWS_PER_PAGE
        own = set() if self.access.is_staff else acl.viewer_participants(challenge, request.user)
        board = lb.build_board(
            challenge,
            kind,
            own=own,
            page_number=request.query_params.get("page"),
            per_page=per_page,
            with_public_rank=kind == lb.PRIVATE,
        )
        body = {
            "board": kind,
            "closed": closed,
            "count": board.total,
            "page": board.page.number,
            "pages": board.page.paginator.num_pages,
            "rows": board.rows,
        }
        return Response(LeaderboardSerializer(body).data)


class Picks(ChallengeMixin, APIView):
    """Your final picks for the private leaderboard (GET); replace them (PUT; [] for the default)."""

    def _body(self, challenge):
        participant = acl.current_participant(challenge, self.request.user)
        ids, picked = lb.final_pick_ids(challenge, participant)
        return {"submission_ids": ids, "picked": picked, "limit": challenge.final_picks}

    @extend_schema(responses=PicksSerializer)
    def get(self, request, course_slug, slug):
        return Response(PicksSerializer(self._body(self.get_challenge())).data)

    @extend_schema(request=PicksSerializer, responses=PicksSerializer)
    def put(self, request, course_slug, slug):
        challenge = self.get_challenge()
        if self.access.is_staff:
            raise PermissionDenied("Only participants pick final submissions.")
        serializer = PicksSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lb.pick_final(challenge, request.user, serializer.validated_data["submission_ids"])
        return Response(PicksSerializer(self._body(challenge)).data)
