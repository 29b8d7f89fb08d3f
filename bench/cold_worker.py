"""The project's Celery app with no sandbox started ahead in its worker processes (each run starts
its own, as before labeling.sandbox.Prestarted): `celery -A bench.cold_worker worker`, used by
`bench/scoring_overhead.py --cold` to measure what starting ahead saves."""

from celery.signals import worker_process_init

from courseproj.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _no_sandbox_ahead(**kwargs) -> None:
    from labeling import pipeline

    pipeline.prestart = lambda challenge: None
