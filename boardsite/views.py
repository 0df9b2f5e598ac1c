from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import boardsite
from boardsite import health, throttling, twilio_sync
from boardsite.forms import SignupForm
from kanban import selectors as kanban_selectors
from whiteboard import selectors as whiteboard_selectors


def home(request):
    return render(
        request,
        "home.html",
        {
            "whiteboards": whiteboard_selectors.boards_for_user(user=request.user),
            "kanban_boards": kanban_selectors.boards_for_user(user=request.user),
        },
    )


@login_not_required
@never_cache
def signup(request):
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is turned off on this site.")
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        wait = throttling.signup_attempt_wait(request=request)
        if wait is not None:
            return throttling.too_many_attempts(request, template="registration/signup_throttled.html", wait_seconds=wait)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_not_required
@never_cache
@require_GET
async def healthz(request):
    healthy, report = await health.health_report()
    body = {"status": "ok" if healthy else "unavailable", "version": boardsite.__version__, **report}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def twilio_sync_token(request):
    missing = twilio_sync.missing_twilio_settings()
    if missing:
        response = JsonResponse(
            {"error": "Twilio Sync is not configured on this server.", "missing": missing},
            status=503,
        )
        twilio_sync.log_not_configured(request=request, response=response, missing=missing)
        return response
    identity = request.user.get_username()
    return JsonResponse({"identity": identity, "token": twilio_sync.sync_access_token(identity=identity)})
