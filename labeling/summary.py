"""The labeling challenge's card on the course home page."""

from django.db.models import Count, Q

from labeling import access as acl
from labeling import health, services
from labeling.leaderboard import standing_of
from labeling.models import Challenge, Status, Submission


def home_card(access):
    """Open (else the latest) challenges: a student's rank and submissions left; staff's queue."""
    challenges = list(Challenge.objects.filter(course=access.course).order_by("-created_at")[:20])
    if not challenges and not access.is_staff:
        return None
    items = [{"challenge": c, "phase": acl.phase(c)} for c in challenges]
    live = ([i for i in items if i["phase"] != acl.CLOSED] or items[:1])[:3]
    if access.is_staff:
        ids = [i["challenge"].pk for i in live]
        counts = {
            row["challenge_id"]: row
            for row in Submission.objects.filter(challenge_id__in=ids)
            .values("challenge_id")
            .annotate(
                waiting=Count("id", filter=Q(status__in=[Status.QUEUED, Status.RUNNING])),
                scored=Count("id", filter=Q(status=Status.SCORED, is_benchmark=False)),
            )
        }
        for item in live:
            item["counts"] = counts.get(item["challenge"].pk, {"waiting": 0, "scored": 0})
    else:
        for item in live:
            challenge = item["challenge"]
            if item["phase"] == acl.UPCOMING:
                continue
            item["standing"] = standing_of(challenge, acl.viewer_participants(challenge, access.user))
            if item["phase"] == acl.OPEN and acl.current_participant(challenge, access.user):
                item["quota"] = services.submission_quota(challenge, access.user)
    card = {"template": "labeling/_home_card.html", "items": live, "access": access}
    if access.is_staff:
        card["banner"] = "labeling/_scorer_banner.html"
        card["banner_context"] = {"problems": health.active_problems(), "remedy": health.REMEDY}
    return card
