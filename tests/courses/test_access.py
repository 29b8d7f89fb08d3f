import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


class TestCourseHome:
    def test_every_member_sees_the_course(self, people, client_for):
        url = reverse("courses:home", args=[people.course.slug])
        for user in (people.instructor, people.ta, people.member, people.outsider):
            assert client_for(user).get(url).status_code == 200

    def test_a_student_of_another_course_gets_404(self, people, client_for):
        response = client_for(people.stranger).get(reverse("courses:home", args=[people.course.slug]))
        assert response.status_code == 404
        assert b"Deep Learning Projects" not in response.content

    def test_anonymous_is_sent_to_log_in(self, people, client_for):
        response = client_for(None).get(reverse("courses:home", args=[people.course.slug]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_only_staff_see_the_join_code(self, people, client_for):
        url = reverse("courses:home", args=[people.course.slug])
        assert people.course.join_code in client_for(people.ta).get(url).content.decode()
        assert people.course.join_code not in client_for(people.member).get(url).content.decode()

    def test_the_home_page_lists_only_my_courses(self, people, client_for):
        body = client_for(people.stranger).get(reverse("home")).content.decode()
        assert "NLP Projects" in body
        assert "Deep Learning Projects" not in body


class TestRoles:
    def test_roster_is_for_staff(self, people, client_for):
        url = reverse("courses:roster", args=[people.course.slug])
        assert client_for(people.instructor).get(url).status_code == 200
        assert client_for(people.ta).get(url).status_code == 200
        assert client_for(people.member).get(url).status_code == 403
        assert client_for(people.stranger).get(url).status_code == 404

    def test_settings_are_for_instructors(self, people, client_for):
        url = reverse("courses:settings", args=[people.course.slug])
        assert client_for(people.instructor).get(url).status_code == 200
        assert client_for(people.ta).get(url).status_code == 403
        assert client_for(people.member).get(url).status_code == 403

    def test_the_403_page_says_why(self, people, client_for, settings):
        settings.DEBUG = False
        response = client_for(people.member).get(reverse("courses:settings", args=[people.course.slug]))
        assert response.status_code == 403
        assert "Only the course&#x27;s instructors can do this." in response.content.decode()

    def test_an_instructor_changes_a_role(self, people, client_for):
        membership = people.course.memberships.get(user=people.outsider)
        url = reverse("courses:member_role", args=[people.course.slug, membership.pk])
        client_for(people.instructor).post(url, {"role": "ta"})
        membership.refresh_from_db()
        assert membership.role == "ta"

    def test_a_ta_cannot_change_roles(self, people, client_for):
        membership = people.course.memberships.get(user=people.outsider)
        url = reverse("courses:member_role", args=[people.course.slug, membership.pk])
        assert client_for(people.ta).post(url, {"role": "instructor"}).status_code == 403
        membership.refresh_from_db()
        assert membership.role == "student"

    def test_settings_validate_team_sizes(self, people, client_for):
        url = reverse("courses:settings", args=[people.course.slug])
        data = {
            "title": "DL",
            "time_zone": "Europe/Berlin",
            "min_team_size": 4,
            "max_team_size": 2,
            "update_due_weekday": 4,
            "update_due_time": "17:00",
        }
        response = client_for(people.instructor).post(url, data)
        assert response.status_code == 400
        people.course.refresh_from_db()
        assert people.course.max_team_size == 4


class TestCourseAPI:
    def test_the_list_shows_only_my_courses_with_my_role(self, people, api_for):
        body = api_for(people.ta).get("/api/courses/").json()
        assert [(c["slug"], c["role"]) for c in body["results"]] == [("dl-fall", "ta")]

    def test_another_course_is_invisible(self, people, api_for):
        assert api_for(people.stranger).get("/api/courses/dl-fall/").status_code == 404
        assert api_for(people.stranger).get("/api/courses/dl-fall/members/").status_code == 404

    def test_members_are_for_staff(self, people, api_for):
        assert api_for(people.member).get("/api/courses/dl-fall/members/").status_code == 403
        body = api_for(people.ta).get("/api/courses/dl-fall/members/").json()
        assert body["count"] == 5

    def test_only_instructors_change_settings(self, people, api_for):
        assert api_for(people.ta).patch("/api/courses/dl-fall/", {"max_team_size": 5}).status_code == 403
        response = api_for(people.instructor).patch("/api/courses/dl-fall/", {"max_team_size": 5}, format="json")
        assert response.status_code == 200
        assert response.json()["max_team_size"] == 5

    def test_bad_settings_are_refused(self, people, api_for):
        api = api_for(people.instructor)
        response = api.patch("/api/courses/dl-fall/", {"min_team_size": 6}, format="json")
        assert response.status_code == 400
        people.course.refresh_from_db()
        assert people.course.min_team_size == 2

    def test_anonymous_gets_401(self, people, api_for):
        assert api_for(None).get("/api/courses/").status_code == 401

    def test_a_superuser_acts_as_instructor_everywhere(self, people, api_for):
        admin = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw-12345678")
        assert api_for(admin).get("/api/courses/dl-fall/members/").status_code == 200


class TestCourseTimeZone:
    def test_course_pages_show_times_in_the_course_time_zone(self, people, client_for):
        import datetime

        people.course.team_formation_deadline = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
        people.course.save()
        body = client_for(people.member).get(reverse("courses:home", args=[people.course.slug])).content.decode()
        assert "1 p.m." in body  # 12:00 UTC is 13:00 in Berlin


class TestTheAccessRead:
    """The access check reads the membership and the course with plain SQL
    (courses.permissions._read_membership): the same objects and values as the ORM's, on SQLite
    (naive datetimes and 0/1 booleans from the driver) as on PostgreSQL."""

    def test_the_course_and_the_membership_are_the_orms(self, people):
        import datetime

        from django.utils import timezone

        from courses.models import Course, Membership
        from courses.permissions import get_course_access

        deadline = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
        Course.objects.filter(pk=people.course.pk).update(team_formation_deadline=deadline)
        access = get_course_access(people.member, people.course.slug, page_stamps=True)
        orm = Membership.objects.select_related("course").get(user=people.member, course=people.course)
        for read, expected in ((access.membership, orm), (access.course, orm.course)):
            for field in type(expected)._meta.concrete_fields:
                value = getattr(read, field.attname)
                assert value == getattr(expected, field.attname), field.name
                assert type(value) is type(getattr(expected, field.attname)), field.name
        assert access.course.team_formation_deadline == deadline
        assert timezone.is_aware(access.course.team_formation_deadline)
        assert timezone.is_aware(access.membership.joined_at)
        # The stamps: set on SQLite at once, on PostgreSQL at commit (this test's transaction never does).
        assert hasattr(access.course, "page_stamps") and access.unread_notifications == 0
        assert not access.membership._state.adding and access.membership.course is access.course

    def test_a_page_with_a_formation_deadline_shows_it(self, people, client_for):
        import datetime

        from django.utils import timezone

        from courses.models import Course

        deadline = timezone.now() + datetime.timedelta(days=3)
        Course.objects.filter(pk=people.course.pk).update(team_formation_deadline=deadline)
        response = client_for(people.member).get(reverse("teams:index", args=[people.course.slug]))
        assert response.status_code == 200
