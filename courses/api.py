from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import services
from courses.models import Course, Membership
from courses.permissions import CourseInstructor, CourseMember, CourseStaff
from courses.serializers import (
    CourseSerializer,
    JoinSerializer,
    MembershipSerializer,
    RosterImportSerializer,
    RosterResultSerializer,
)
from courses.throttles import JoinCodeThrottle, record_wrong_join_code


class CourseList(generics.ListAPIView):
    """The courses the caller belongs to, with the caller's role in each."""

    serializer_class = CourseSerializer

    def get_queryset(self):
        return Course.objects.filter(memberships__user=self.request.user).order_by("-created_at")

    def get_serializer_context(self):
        roles = dict(Membership.objects.filter(user=self.request.user).values_list("course_id", "role"))
        return {**super().get_serializer_context(), "roles": roles}


class CourseDetail(generics.RetrieveUpdateAPIView):
    """A course's settings: members read them, instructors change them."""

    serializer_class = CourseSerializer

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [CourseMember()]
        return [CourseInstructor()]

    def get_object(self):
        return self.request.course_access.course

    def get_serializer_context(self):
        access = getattr(self.request, "course_access", None)
        roles = {access.course.id: access.role} if access else {}
        return {**super().get_serializer_context(), "roles": roles}


class JoinCourse(APIView):
    throttle_classes = [JoinCodeThrottle]

    @extend_schema(
        request=JoinSerializer,
        responses={201: CourseSerializer, 429: OpenApiResponse(description="Too many wrong join codes: `Retry-After`")},
    )
    def post(self, request):
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            membership = services.join_course(request.user, serializer.validated_data["code"])
        except ValidationError as exc:
            if exc.code == services.UNKNOWN_JOIN_CODE:
                record_wrong_join_code(request)
            raise APIValidationError({"code": exc.messages}) from None
        data = CourseSerializer(membership.course, context={"roles": {membership.course_id: membership.role}}).data
        return Response(data, status=status.HTTP_201_CREATED)


class MemberList(generics.ListAPIView):
    serializer_class = MembershipSerializer
    permission_classes = [CourseStaff]

    def get_queryset(self):
        return self.request.course_access.course.memberships.select_related("user").order_by("role", "user__email")


class MemberDetail(generics.RetrieveUpdateAPIView):
    serializer_class = MembershipSerializer
    permission_classes = [CourseInstructor]

    def get_object(self):
        return get_object_or_404(Membership, pk=self.kwargs["pk"], course=self.request.course_access.course)

    def perform_update(self, serializer):
        if serializer.instance.user_id == self.request.user.id:
            raise APIValidationError({"role": ["You cannot change your own role."]})
        try:
            services.set_member_role(serializer.instance, serializer.validated_data.get("role"))
        except ValidationError as exc:
            raise APIValidationError({"role": exc.messages}) from None


class RosterImport(APIView):
    permission_classes = [CourseInstructor]
    parser_classes = [MultiPartParser]

    @extend_schema(request=RosterImportSerializer, responses={201: RosterResultSerializer})
    def post(self, request, course_slug):
        serializer = RosterImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > services.MAX_ROSTER_BYTES:
            raise APIValidationError({"file": [f"The file is larger than {services.MAX_ROSTER_BYTES // 1024} KB."]})
        result = services.import_roster(request.course_access.course, upload.read(), invited_by=request.user)
        if not result.ok:
            raise APIValidationError({"file": result.errors})
        body = {"added": len(result.added), "unchanged": len(result.unchanged), "invited": result.invited}
        return Response(body, status=status.HTTP_201_CREATED)
