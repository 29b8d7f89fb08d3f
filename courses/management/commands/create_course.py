from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.services import create_course


class Command(BaseCommand):
    help = "Create a course: python manage.py create_course SLUG --title TITLE"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--title", required=True)
        parser.add_argument("--term", default="")
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--instructor", help="E-mail of an existing user to make the course's instructor.")

    def handle(self, *args, slug, title, term, time_zone, instructor, **options):
        user = None
        if instructor:
            user = get_user_model().objects.filter(email__iexact=instructor).first()
            if user is None:
                raise CommandError(f"No user has the e-mail {instructor}.")
        try:
            course = create_course(slug, title, term=term, time_zone=time_zone, instructor=user)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(f"Created course {course.slug} ({course.title}); join code {course.join_code}")
