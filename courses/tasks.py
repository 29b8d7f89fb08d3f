import socket

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from courses.models import WorkerHeartbeat


@shared_task
def record_heartbeat(hostname: str | None = None) -> str:
    """Note that a worker is alive; staff see the last beat of each worker on the roster page."""
    name = hostname or record_heartbeat.request.hostname or socket.gethostname()
    now = timezone.now()
    beat, created = WorkerHeartbeat.objects.get_or_create(hostname=name, defaults={"last_seen": now, "beats": 1})
    if not created:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(last_seen=now, beats=F("beats") + 1)
    return name
