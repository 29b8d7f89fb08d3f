from courses.notifications import unread_count


def courses_nav(request):
    """The current course (set by the access decorators), the unread count for the navigation bar
    (read with the course when there is one: courses.permissions.get_course_access)."""
    access = getattr(request, "course_access", None)
    user = getattr(request, "user", None)
    unread = access.unread_notifications if access is not None else None
    if unread is None:
        unread = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"access": access, "course": access.course if access else None, "unread_notifications": unread}
