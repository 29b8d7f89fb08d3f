import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling import pipeline
from labeling.models import Challenge, Status


class Command(BaseCommand):
    help = (
        "Score a file against a challenge now, in the same sandbox as submissions (no broker, nothing stored). "
        'The last line of stdout is one JSON object: {"status", "score", "public_score", "private_score", '
        '"error", "runtime_s"}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("course", help="The course's slug.")
        parser.add_argument("challenge", help="The challenge's slug.")
        parser.add_argument("file", help="The Python file to run.")
        parser.add_argument("--json", action="store_true", dest="json_only", help="Print only the JSON line.")

    def handle(self, *args, course, challenge, file, json_only: bool, **options):
        found = Challenge.objects.filter(course__slug=course, slug=challenge).select_related("course").first()
        if found is None:
            raise CommandError(f"No challenge {challenge} in course {course}.")
        try:
            code = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            outcome = pipeline.evaluate(found, code=code)
        except pipeline.ScorerFault as exc:
            self.stdout.write(
                json.dumps(
                    {
                        "status": str(Status.FAILED),
                        "score": None,
                        "public_score": None,
                        "private_score": None,
                        "error": f"Not run: {exc}",
                        "runtime_s": None,
                    }
                )
            )
            raise CommandError(f"The scorer cannot run code on this machine: {exc}") from None
        scores = outcome.scores
        result = {
            "status": str(outcome.status),
            "score": scores.score if scores else None,
            "public_score": scores.public_score if scores else None,
            "private_score": scores.private_score if scores else None,
            "error": (outcome.message or None) if outcome.status != Status.SCORED else None,
            "runtime_s": outcome.runtime_s,
        }
        if not json_only:
            self.stdout.write(f"status: {result['status']}")
            if scores:
                self.stdout.write(
                    f"{found.metric}: {scores.score} (public {scores.public_score}, private {scores.private_score})"
                )
            if outcome.message:
                self.stdout.write(outcome.message)
            if outcome.log_tail:
                self.stdout.write(outcome.log_tail)
        self.stdout.write(json.dumps(result))
