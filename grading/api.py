"""The REST API of peer evaluation and grades: the same services and access rules as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from courseproj.lib.api_errors import RefusalsAsDetail
from courses.permissions import CourseMember, CourseStaff
from grading import access as grading_access
from grading import lms, services
from grading.models import Dimension, Evaluation, EvaluationResponse
from grading.results import evaluation_results, feedback_for
from grading.serializers import (
    AnswerOutSerializer,
    AnswerSerializer,
    EvaluationSerializer,
    FeedbackSerializer,
    GradeRowSerializer,
    MyGradeSerializer,
    TeamResultSerializer,
)
from grading.sheet import build_sheet


def _name(user) -> str:
    return user.get_full_name() or user.email


class EvaluationList(RefusalsAsDetail, generics.ListCreateAPIView):
    """The course's evaluation windows; staff open new ones."""

    serializer_class = EvaluationSerializer

    def get_permissions(self):
        return [CourseMember()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [CourseStaff()]

    def get_queryset(self):
        return Evaluation.objects.filter(course=self.request.course_access.course)

    def perform_create(self, serializer):
        serializer.instance = services.create_evaluation(
            self.request.course_access.course, by=self.request.user, **serializer.validated_data
        )


class EvaluationDetail(RefusalsAsDetail, generics.RetrieveUpdateAPIView):
    serializer_class = EvaluationSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_permissions(self):
        return [CourseMember()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [CourseStaff()]

    def get_object(self):
        return grading_access.get_evaluation(self.request.course_access, self.kwargs["pk"])

    def perform_update(self, serializer):
        e = serializer.instance
        data = {"title": e.title, "opens_at": e.opens_at, "closes_at": e.closes_at, **serializer.validated_data}
        services.update_evaluation(e, **data)


class EvaluationAnswer(RefusalsAsDetail, APIView):
    """The caller's own answer (students): read it, or replace it while the window is open."""

    permission_classes = [CourseMember]

    def _out(self, evaluation, user, team):
        response = EvaluationResponse.objects.filter(evaluation=evaluation, rater=user).first()
        ratings = []
        if response:
            ratings = [
                {"ratee": r.ratee_id, "dimension": r.dimension, "score": r.score} for r in response.ratings.all()
            ]
        members = [{"id": u.pk, "name": _name(u)} for u in services.team_users(team)]
        return {
            "answered": response is not None,
            "updated_at": response.updated_at if response else None,
            "team": team.name,
            "members": members,
            "ratings": ratings,
            "team_comment": response.team_comment if response else "",
            "confidential_comment": response.confidential_comment if response else "",
        }

    @extend_schema(responses={200: AnswerOutSerializer})
    def get(self, request, course_slug, pk):
        evaluation = grading_access.get_evaluation(request.course_access, pk)
        team = grading_access.require_rater(request.course_access)
        return Response(self._out(evaluation, request.user, team))

    @extend_schema(request=AnswerSerializer, responses={200: AnswerOutSerializer})
    def put(self, request, course_slug, pk):
        evaluation = grading_access.get_evaluation(request.course_access, pk)
        team = grading_access.require_rater(request.course_access)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scores: dict[int, dict[str, int]] = {}
        for r in data["ratings"]:
            scores.setdefault(r["ratee"], {})[r["dimension"]] = r["score"]
        services.answer_evaluation(
            evaluation, request.user, team, scores,
            team_comment=data["team_comment"], confidential_comment=data["confidential_comment"],
        )  # fmt: skip
        return Response(self._out(evaluation, request.user, team))


class EvaluationResults(APIView):
    """Staff: every team's means, adjustment factors (as displayed, and raw) and flags, with all comments."""

    permission_classes = [CourseStaff]

    @extend_schema(responses={200: TeamResultSerializer(many=True)})
    def get(self, request, course_slug, pk):
        evaluation = grading_access.get_evaluation(request.course_access, pk)
        policy = services.grading_policy(evaluation.course)
        out = []
        for t in evaluation_results(evaluation, policy):
            members = [
                {
                    "user": m.user.pk, "name": _name(m.user), "email": m.user.email, "answered": m.answered,
                    "peer_means": m.result.peer_means, "self_scores": m.result.self_scores,
                    "peer_mean": m.result.peer_mean, "self_mean": m.result.self_mean,
                    "factor_with_self": m.factor_with_self, "factor_without_self": m.factor_without_self,
                    "raw_factor_with_self": m.result.factor_with_self,
                    "raw_factor_without_self": m.result.factor_without_self,
                }
                for m in t.members
            ]  # fmt: skip
            flags = [
                {"kind": f["kind"], "label": f["label"], "rule": f["rule"],
                 "member": f["member"].pk if f["member"] else None}
                for f in t.all_flags
            ]  # fmt: skip
            comments = [
                {"rater": c.rater_id, "team_comment": c.team_comment, "confidential_comment": c.confidential_comment}
                for c in t.comments
            ]
            out.append({"team": t.team.pk, "name": t.team.name, "members": members, "flags": flags,
                        "comments": comments})  # fmt: skip
        return Response(out)


def _action(method, doc: str):
    class Action(RefusalsAsDetail, APIView):
        permission_classes = [CourseStaff]

        @extend_schema(request=None, responses={200: EvaluationSerializer}, description=doc)
        def post(self, request, course_slug, pk):
            evaluation = grading_access.get_evaluation(request.course_access, pk)
            method(evaluation)
            evaluation.refresh_from_db()
            return Response(EvaluationSerializer(evaluation).data)

    return Action


EvaluationClose = _action(services.close_evaluation, "Close the window now.")
EvaluationRelease = _action(services.release_evaluation, "Release anonymous peer means and team comments.")
EvaluationRemind = _action(services.remind_evaluation, "Remind students who have not answered (once each).")
for _cls, _name_ in ((EvaluationClose, "EvaluationClose"), (EvaluationRelease, "EvaluationRelease"),
                     (EvaluationRemind, "EvaluationRemind")):  # fmt: skip
    _cls.__name__ = _cls.__qualname__ = _name_


class EvaluationFeedback(APIView):
    """A student's released feedback: their peers' anonymous means per dimension and the team comments."""

    permission_classes = [CourseMember]

    @extend_schema(responses={200: FeedbackSerializer})
    def get(self, request, course_slug, pk):
        evaluation = grading_access.get_evaluation(request.course_access, pk)
        if not request.course_access.is_student:
            raise PermissionDenied("Feedback is the students' own; staff read the results.")
        feedback = feedback_for(evaluation, request.user) if evaluation.released_at else None
        if feedback is None:
            return Response({"released": bool(evaluation.released_at), "peer_means": None, "peer_mean": None,
                             "raters": 0, "team_comments": []})  # fmt: skip
        labels = dict(Dimension.choices)
        by_key = {k: v for k in Dimension.values for label, v in feedback.peer_means if label == labels[k]}
        return Response({"released": True, "peer_means": by_key, "peer_mean": feedback.peer_mean,
                         "raters": feedback.raters, "team_comments": feedback.team_comments})  # fmt: skip


def _row(sheet, row) -> dict:
    return {
        "user": row.user.pk, "name": _name(row.user), "email": row.user.email,
        "sis_id": row.membership.sis_id, "section": row.membership.section, "team": row.team_name,
        "factor": row.factor, "total": row.total,
        "cells": [
            {"component": c.key, "name": c.name, "weight": c.weight, "team": c.team,
             "percent": row.cells[c.key].percent, "adjusted": row.cells[c.key].adjusted,
             "detail": row.cells[c.key].detail}
            for c in sheet.components
        ],
    }  # fmt: skip


class GradeSheet(APIView):
    """Staff: every student's grade row with its breakdown."""

    permission_classes = [CourseStaff]

    @extend_schema(responses={200: GradeRowSerializer(many=True)})
    def get(self, request, course_slug):
        sheet = build_sheet(request.course_access.course)
        return Response([_row(sheet, r) for r in sheet.rows])


class MyGrade(APIView):
    """A student's own row, once the staff have released grades."""

    permission_classes = [CourseMember]

    @extend_schema(responses={200: MyGradeSerializer})
    def get(self, request, course_slug):
        course = request.course_access.course
        if not request.course_access.is_student:
            raise PermissionDenied("Staff read the grade sheet.")
        policy = services.grading_policy(course)
        if not policy.released_at:
            return Response({"released": False, "row": None})
        sheet = build_sheet(course, policy)
        row = sheet.row_for(request.user)
        return Response({"released": True, "row": _row(sheet, row) if row else None})


class GradeExport(APIView):
    """Staff: the grade sheet as a CSV for Canvas's gradebook import or Moodle's grade import."""

    permission_classes = [CourseStaff]

    @extend_schema(
        parameters=[OpenApiParameter("lms", str, enum=["canvas", "moodle"], description="default canvas")],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, course_slug):
        kind = request.query_params.get("lms", "canvas")
        if kind not in ("canvas", "moodle"):
            raise APIValidationError({"lms": ["Use canvas or moodle."]})
        course = request.course_access.course
        sheet = build_sheet(course)
        text = lms.canvas_csv(sheet) if kind == "canvas" else lms.moodle_csv(sheet)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8", status=status.HTTP_200_OK)
        response["Content-Disposition"] = f'attachment; filename="{course.slug}-{kind}-grades.csv"'
        return response
