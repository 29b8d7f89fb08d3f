"""Who may see what of peer evaluations and grades; built on courses.permissions.

Members of a course see its evaluations. A student answers for their own team only and reads
only their own answer and, once released, the anonymous means of their peers' ratings and the
team comments of their team. Staff read every answer and every comment (confidential ones too),
the results and the grade sheet. A student sees their own grade row only once grades are released.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courses.permissions import CourseAccess
from grading.models import Evaluation, GradeItem
from teams.services import team_of


def get_evaluation(access: CourseAccess, pk: int) -> Evaluation:
    """The course's evaluation `pk`: 404 outside the course."""
    evaluation = Evaluation.objects.filter(course=access.course, pk=pk).first()
    if evaluation is None:
        raise Http404("No such evaluation")
    return evaluation


def require_rater(access: CourseAccess):
    """The student's team, for answering: staff are refused (403), a student without a team too."""
    if not access.is_student:
        raise PermissionDenied("Only students answer peer evaluations.")
    team = team_of(access.user, access.course)
    if team is None:
        raise PermissionDenied("You are not in a team, so there is nobody to rate.")
    if team.memberships.count() < 2:
        raise PermissionDenied("Your team has no other member, so there is nobody to rate.")
    return team


def get_grade_item(access: CourseAccess, pk: int) -> GradeItem:
    item = GradeItem.objects.filter(course=access.course, pk=pk).first()
    if item is None:
        raise Http404("No such grade item")
    return item
