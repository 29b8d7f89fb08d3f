from django.urls import path

from proposals import views

app_name = "proposals"

urlpatterns = [
    path("proposals/", views.index, name="index"),
    path("updates/", views.updates, name="updates"),
]
