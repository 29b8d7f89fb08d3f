from celery import shared_task

from grading import services


@shared_task
def send_evaluation_reminders() -> int:
    """Beat job: remind students who have not answered an evaluation that closes within two days.
    Safe to run twice or from two beats: each reminder is recorded before it is sent."""
    return services.send_evaluation_reminders()
