from django.conf import settings

import boardsite


def site(request):
    """Settings the base template needs on every page."""
    return {"signup_enabled": settings.SIGNUP_ENABLED, "boardsite_version": boardsite.__version__}
