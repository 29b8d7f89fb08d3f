from django.apps import AppConfig


class LabelingConfig(AppConfig):
    name = "labeling"

    def ready(self) -> None:
        # Connects the sending of scoring jobs to services' submission_queued (labeling/tasks.py).
        from labeling import tasks  # noqa: F401
