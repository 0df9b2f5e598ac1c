from kanban import notifications


def unread_notifications(request):
    """The bell's count on every page of a logged-in person (its pages with a socket keep it live)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": notifications.unread_count(user=user)}
