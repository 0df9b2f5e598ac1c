from django.conf import settings


def site(request):
    """Settings the base template needs on every page."""
    return {"signup_enabled": settings.SIGNUP_ENABLED}
