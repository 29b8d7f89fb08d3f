import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from courses.models import Membership
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


class TestJoinPage:
    def test_a_user_joins_with_the_code(self, people, client_for):
        newcomer = make_user("nora@example.com")
        response = client_for(newcomer).post(reverse("join"), {"code": people.course.join_code.lower()})
        assert response.status_code == 302
        assert Membership.objects.get(user=newcomer, course=people.course).role == "student"

    def test_a_wrong_code_is_refused(self, people, client_for):
        newcomer = make_user("nora@example.com")
        response = client_for(newcomer).post(reverse("join"), {"code": "NOPE1234"})
        assert response.status_code == 400
        assert "No course has this join code" in response.content.decode()
        assert not Membership.objects.filter(user=newcomer).exists()

    def test_a_member_reusing_the_code_is_told_so(self, people, client_for):
        response = client_for(people.member).post(reverse("join"), {"code": people.course.join_code})
        assert response.status_code == 400
        assert "already a member" in response.content.decode()
        assert Membership.objects.filter(user=people.member, course=people.course).count() == 1

    def test_an_instructor_keeps_their_role(self, people, client_for):
        client_for(people.instructor).post(reverse("join"), {"code": people.course.join_code})
        assert Membership.objects.get(user=people.instructor, course=people.course).role == "instructor"

    def test_a_new_join_code_retires_the_old_one(self, people, client_for):
        old = people.course.join_code
        client_for(people.instructor).post(reverse("courses:new_join_code", args=[people.course.slug]))
        people.course.refresh_from_db()
        assert people.course.join_code != old
        newcomer = make_user("nora@example.com")
        assert client_for(newcomer).post(reverse("join"), {"code": old}).status_code == 400

    def test_a_student_cannot_rotate_the_code(self, people, client_for):
        old = people.course.join_code
        url = reverse("courses:new_join_code", args=[people.course.slug])
        assert client_for(people.member).post(url).status_code == 403
        people.course.refresh_from_db()
        assert people.course.join_code == old


class TestJoinAPI:
    def test_join_with_the_api(self, people, api_for):
        newcomer = make_user("nora@example.com")
        response = api_for(newcomer).post("/api/courses/join/", {"code": people.course.join_code}, format="json")
        assert response.status_code == 201
        assert response.json()["role"] == "student"

    def test_reuse_by_a_member_is_a_400(self, people, api_for):
        response = api_for(people.member).post("/api/courses/join/", {"code": people.course.join_code}, format="json")
        assert response.status_code == 400
        assert "already a member" in response.json()["code"][0]


class TestSignupWithCode:
    def test_signup_with_a_code_joins_the_course(self, people, client):
        data = {
            "email": "Lena@Example.com",
            "first_name": "Lena",
            "last_name": "Lee",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "join_code": people.course.join_code,
        }
        assert client.post(reverse("signup"), data).status_code == 302
        user = get_user_model().objects.get(email="lena@example.com")
        assert Membership.objects.filter(user=user, course=people.course, role="student").exists()

    def test_a_bad_code_creates_no_account(self, people, client):
        data = {
            "email": "lena@example.com",
            "first_name": "Lena",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "join_code": "WRONG999",
        }
        response = client.post(reverse("signup"), data)
        assert response.status_code == 400
        assert "No course has this join code" in response.content.decode()
        assert not get_user_model().objects.filter(email="lena@example.com").exists()
