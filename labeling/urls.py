from django.urls import path

from labeling import views

app_name = "labeling"

urlpatterns = [
    path("challenges/", views.index, name="index"),
]
