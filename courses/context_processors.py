def courses_nav(request):
    """The current course (set by the access decorators) for the navigation bar."""
    access = getattr(request, "course_access", None)
    return {"access": access, "course": access.course if access else None}
