from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import ObtainToken
from courses import api as courses_api
from courses import views as courses_views

course_pages = [
    path("", include("courses.urls")),
    path("", include("teams.urls")),
    path("", include("proposals.urls")),
    path("", include("labeling.urls")),
    path("", include("grading.urls")),
]

course_api = [
    path("", courses_api.CourseDetail.as_view(), name="api-course-detail"),
    path("members/", courses_api.MemberList.as_view(), name="api-member-list"),
    path("members/<int:pk>/", courses_api.MemberDetail.as_view(), name="api-member-detail"),
    path("roster/", courses_api.RosterImport.as_view(), name="api-roster-import"),
    path("", include("teams.api_urls")),
    path("", include("proposals.api_urls")),
    path("", include("labeling.api_urls")),
    path("", include("grading.api_urls")),
]

urlpatterns = [
    path("", courses_views.home, name="home"),
    path("join/", courses_views.join, name="join"),
    path("notifications/", courses_views.notification_list, name="notifications"),
    path("notifications/read/", courses_views.notifications_read, name="notifications_read"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("courses/<slug:course_slug>/", include(course_pages)),
    path("api/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("api/courses/", courses_api.CourseList.as_view(), name="api-course-list"),
    path("api/courses/join/", courses_api.JoinCourse.as_view(), name="api-course-join"),
    path("api/courses/<slug:course_slug>/", include(course_api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
