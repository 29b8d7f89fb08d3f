from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from courses.demo import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Fill a demo course (once) and print its logins."

    def handle(self, *args, **options):
        # The demo people have made-up addresses: the notifications the seeders cause send no e-mail.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            course, created = seed_demo()
        verb = "Created" if created else "Found existing"
        self.stdout.write(
            f"{verb} demo course '{course.title}' at /courses/{course.slug}/ (join code {course.join_code})"
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role, email in demo_logins(course):
            self.stdout.write(f"  {role:<10} {email}")
