from django.core.management.base import BaseCommand, CommandError

from labeling.sandbox import check as sandbox_check


class Command(BaseCommand):
    help = (
        "Check the scoring sandbox on this machine, as a worker does when it starts: bubblewrap, user "
        "namespaces, the sandbox user, the runtime (key, Python, packages) and a run of a trivial submission. "
        "Exit status 1 if any part does not work."
    )

    def handle(self, *args, **options):
        report = sandbox_check.diagnose()
        width = max(len(line.name) for line in report.lines)
        for line in report.lines:
            mark = "ok  " if line.ok else "FAIL"
            self.stdout.write(f"{mark} {line.name.ljust(width)}  {line.detail}")
        if not report.ok:
            raise CommandError(
                "The sandbox cannot run submissions here; submissions wait in the queue until it can. "
                "Fix what FAIL says (make sandbox builds the runtime), then restart the worker."
            )
        self.stdout.write("The sandbox works: submissions can be scored on this machine.")
