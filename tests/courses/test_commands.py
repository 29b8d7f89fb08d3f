import pytest
from django.core.management import CommandError, call_command

from courses.demo import DEMO_SLUG
from courses.models import Course, Membership

pytestmark = pytest.mark.django_db


class TestCreateCourse:
    def test_it_creates_a_course(self, capsys):
        call_command("create_course", "cv-2027", "--title", "Computer Vision Projects")
        course = Course.objects.get(slug="cv-2027")
        assert course.title == "Computer Vision Projects"
        assert course.join_code in capsys.readouterr().out

    def test_it_refuses_a_duplicate_slug(self):
        call_command("create_course", "cv-2027", "--title", "CV")
        with pytest.raises(CommandError, match="slug"):
            call_command("create_course", "cv-2027", "--title", "CV again")

    def test_it_refuses_an_unknown_time_zone(self):
        with pytest.raises(CommandError, match="time zone"):
            call_command("create_course", "cv-2027", "--title", "CV", "--time-zone", "Mars/Olympus")


class TestSeedDemo:
    def test_it_seeds_once_and_prints_logins(self, capsys):
        call_command("seed_demo")
        out = capsys.readouterr().out
        assert "ada@demo.courseproj.test" in out and "demo-password-2026" in out
        course = Course.objects.get(slug=DEMO_SLUG)
        assert Membership.objects.filter(course=course, role="student").count() >= 12
        assert course.teams.count() >= 3
        call_command("seed_demo")
        assert "Found existing" in capsys.readouterr().out
        assert Course.objects.filter(slug=DEMO_SLUG).count() == 1
