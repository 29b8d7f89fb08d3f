from django.shortcuts import render

from courses.permissions import course_member


@course_member
def index(request, access):
    return render(request, "coming_soon.html", {"title": "Coming soon"})


@course_member
def updates(request, access):
    return render(request, "coming_soon.html", {"title": "Coming soon"})
