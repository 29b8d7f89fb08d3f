"""The labeling challenge's signal: services.py says that a submission is waiting to be scored, and
labeling/tasks.py (connected when the app is ready) sends the scoring job after the commit. So the
rules never import the Celery tasks, and the tasks import the rules and the scorer."""

from django.dispatch import Signal

# Sent with submission_id= while the transaction that queued the submission is open.
submission_queued = Signal()
