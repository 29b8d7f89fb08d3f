"""The project's Celery app with no warm sandbox in its worker processes (each run starts a
sandbox of its own, as before labeling/sandbox/warm.py): `celery -A bench.cold_worker worker`, used
by `bench/scoring_overhead.py --cold` and `bench/burst.py` to measure what the warm sandbox saves."""

from celery.signals import worker_process_init

from courseproj.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _no_warm_sandbox(**kwargs) -> None:
    from labeling import pipeline  # the app registry is ready only once the worker runs

    pipeline.warm_sandbox.warm_up = lambda challenge: None
