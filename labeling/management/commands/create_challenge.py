from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from labeling import services
from labeling.models import Metric, Participation


def read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} {path}: {exc.strerror}") from None


class Command(BaseCommand):
    help = (
        "Create a labeling challenge: create_challenge COURSE SLUG --title T --input FILE [--input FILE ...] "
        "--gold FILE --keys a,b --label COL --output NAME --metric accuracy --public-fraction 0.5 --split-seed 0 "
        "--time-limit SECONDS --memory-limit MB"
    )

    def add_arguments(self, parser):
        parser.add_argument("course", help="The course's slug.")
        parser.add_argument("slug", help="The challenge's slug (part of its URL).")
        parser.add_argument("--title", required=True)
        parser.add_argument("--input", action="append", required=True, dest="inputs", help="An input file; repeat.")
        parser.add_argument("--gold", required=True, help="The hidden gold CSV (key columns and the label column).")
        parser.add_argument("--keys", default="attr_id,adj", help="Comma-separated key columns.")
        parser.add_argument("--label", default="label", help="The label column.")
        parser.add_argument("--output", default="summarized_data.csv", help="The file submissions must write.")
        parser.add_argument("--metric", default=Metric.ACCURACY, choices=Metric.values)
        parser.add_argument("--public-fraction", type=float, default=0.5)
        parser.add_argument("--split-seed", type=int, default=0)
        parser.add_argument("--time-limit", type=int, default=60, help="Wall-clock seconds per run.")
        parser.add_argument("--memory-limit", type=int, default=1024, help="MB per run.")
        parser.add_argument("--daily-limit", type=int, default=5, help="Submissions per participant per day.")
        parser.add_argument("--team", action="store_true", help="Teams take part (default: individuals).")
        parser.add_argument("--instructions", help="A Markdown file with the instructions.")

    def handle(self, *args, **o):
        course = Course.objects.filter(slug=o["course"]).first()
        if course is None:
            raise CommandError(f"No course has the slug {o['course']}.")
        inputs = [(Path(path).name, read(path, "input")) for path in o["inputs"]]
        instructions = read(o["instructions"], "instructions").decode("utf-8") if o["instructions"] else ""
        try:
            challenge = services.create_challenge(
                course,
                slug=o["slug"],
                title=o["title"],
                inputs=inputs,
                gold=read(o["gold"], "gold"),
                key_columns=o["keys"],
                label_column=o["label"],
                output_filename=o["output"],
                metric=o["metric"],
                public_fraction=o["public_fraction"],
                split_seed=o["split_seed"],
                time_limit_s=o["time_limit"],
                memory_limit_mb=o["memory_limit"],
                daily_limit=o["daily_limit"],
                participation=Participation.TEAM if o["team"] else Participation.INDIVIDUAL,
                instructions=instructions,
            )
        except ValidationError as exc:
            lines = [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
            raise CommandError("The challenge was not created:\n  " + "\n  ".join(lines)) from None
        self.stdout.write(
            f"Created challenge {challenge.slug} in {course.slug}: {challenge.gold_rows} gold rows, "
            f"inputs {', '.join(name for name, _ in inputs)}, metric {challenge.metric}."
        )
