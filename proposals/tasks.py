from celery import shared_task

from proposals import services


@shared_task
def send_update_reminders() -> int:
    """Beat job: remind teams that have not posted this week's update (a day before and once after
    the due time). Safe to run twice or from two beats: each reminder is recorded before it is sent."""
    return services.send_update_reminders()
