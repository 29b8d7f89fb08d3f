from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("teams/", views.index, name="index"),
]
