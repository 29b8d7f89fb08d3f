from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.course_home, name="home"),
    path("settings/", views.course_settings, name="settings"),
    path("roster/", views.roster, name="roster"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("roster/join-code/", views.new_join_code, name="new_join_code"),
    path("roster/<int:membership_id>/role/", views.member_role, name="member_role"),
]
