from django.utils import timezone

from grading.models import Evaluation, EvaluationResponse


def home_card(access):
    """The course home page card: the open peer evaluation (answered or not), or the staff's counts."""
    now = timezone.now()
    evaluation = Evaluation.objects.filter(course=access.course, opens_at__lte=now, closes_at__gt=now).first()
    released = None
    if access.is_student:
        released = Evaluation.objects.filter(course=access.course, released_at__isnull=False).first()
    if evaluation is None and released is None:
        return None
    card = {"template": "grading/_home_card.html", "evaluation": evaluation, "released": released,
            "staff": access.is_staff}  # fmt: skip
    if evaluation and access.is_staff:
        from grading.services import students_yet_to_answer

        card["pending"] = students_yet_to_answer(evaluation).count()
    elif evaluation:
        card["answered"] = EvaluationResponse.objects.filter(evaluation=evaluation, rater=access.user).exists()
    return card
