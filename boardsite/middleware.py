"""
`/healthz` for a per-process probe.

A load balancer or a container's HEALTHCHECK probes each server process by its
own address (`Host: 10.0.0.5:8001`, `127.0.0.1:8000`), which is not in
ALLOWED_HOSTS, and over plain HTTP, which SECURE_SSL_REDIRECT answers with a
301. Behind the production settings such a probe could never pass: Django
answered 400 (DisallowedHost, with a traceback per probe) or 301. The health
view builds no URL from the Host header and has nothing a redirect to HTTPS
protects, so this middleware, first in MIDDLEWARE, answers that one path
before the host check and the redirect; every other path keeps both.
"""

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.urls import reverse
from django.utils.decorators import sync_and_async_middleware


@sync_and_async_middleware
def health_probe_middleware(get_response):
    from boardsite.views import healthz  # the views import models: not at settings time

    path = reverse("healthz")  # the URLconf's path, not a copy of it
    if iscoroutinefunction(get_response):

        async def middleware(request):
            if request.path_info == path:
                return await healthz(request)
            return await get_response(request)

    else:

        def middleware(request):
            if request.path_info == path:
                return async_to_sync(healthz)(request)
            return get_response(request)

    return middleware
