from courses.notifications import unread_count


def courses_nav(request):
    """The current course (set by the access decorators) and the unread count for the navigation bar."""
    access = getattr(request, "course_access", None)
    user = getattr(request, "user", None)
    unread = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"access": access, "course": access.course if access else None, "unread_notifications": unread}
