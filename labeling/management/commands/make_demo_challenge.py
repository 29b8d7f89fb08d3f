from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from labeling import demo_data
from labeling.models import Submission


class Command(BaseCommand):
    help = (
        "Write a simulated MTurk crowd (raw_data.csv) and its gold (ground_truth.csv) in the seed challenge's "
        "layout, deterministic by seed, and set up the demo challenge with the reference solutions scored."
    )

    def add_arguments(self, parser):
        parser.add_argument("course", nargs="?", default="ml-bootcamp", help="The course's slug (default: the demo).")
        parser.add_argument("--slug", default=demo_data.DEMO_SLUG)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", help="Also write raw_data.csv and ground_truth.csv into this folder.")
        parser.add_argument("--data-only", action="store_true", help="Only write the files (needs --out).")

    def handle(self, *args, course, slug, seed, out, data_only, **options):
        if out:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            raw, gold = demo_data.generate(seed)
            (folder / "raw_data.csv").write_bytes(raw)
            (folder / "ground_truth.csv").write_bytes(gold)
            self.stdout.write(f"Wrote {folder / 'raw_data.csv'} and {folder / 'ground_truth.csv'} (seed {seed}).")
        elif data_only:
            raise CommandError("--data-only needs --out FOLDER.")
        if data_only:
            return
        found = Course.objects.filter(slug=course).first()
        if found is None:
            raise CommandError(f"No course has the slug {course} (python manage.py seed_demo makes ml-bootcamp).")
        challenge = demo_data.make_demo_challenge(found, slug=slug, seed=seed)
        self.stdout.write(f"Demo challenge {challenge.slug} in {found.slug}: {challenge.gold_rows} gold rows.")
        for sub in Submission.objects.filter(challenge=challenge, is_benchmark=True).order_by("pk"):
            score = f"{sub.score:.4f}" if sub.score is not None else "-"
            self.stdout.write(f"  {sub.benchmark_name:<48} {sub.status:<16} {score}")
