"""The login throttle's glue (django-axes, configured in settings.AXES_*): where an attempt came from,
and how a locked-out login is answered.

Failures are counted per username and address, so the address must be the client's: behind a
reverse proxy the connection comes from the proxy, and the client's address is in X-Forwarded-For.
Only the entries the trusted proxies appended count; anything further left was written by the client
and would let it pick a fresh address for every guess.
"""

from axes.signals import user_locked_out
from django.contrib import admin
from django.conf import settings
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render

LOCKED_OUT_TEMPLATE = "admin/login_locked_out.html"


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the N-th entry of
    X-Forwarded-For from the right (a header with fewer entries did not pass those proxies)."""
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-count] if len(forwarded) >= count else remote


def cool_off_minutes() -> int:
    return max(int(settings.AXES_COOLOFF_TIME.total_seconds() // 60), 1)


def lockout_response(request, original_response=None, credentials=None):
    """429: the admin gets a page, the API a JSON answer, both saying how long to wait."""
    wait = f"Too many failed logins. Try again in {cool_off_minutes()} minutes."
    if getattr(request, "axes_via_api", False):
        return JsonResponse({"detail": wait}, status=429)
    context = {**admin.site.each_context(request), "failure_limit": settings.AXES_FAILURE_LIMIT, "cool_off_minutes": cool_off_minutes(),
               "username": (credentials or {}).get("username", "")}
    return render(request, LOCKED_OUT_TEMPLATE, context, status=429)


@receiver(user_locked_out, dispatch_uid="accounts.login_throttle.api_lockout")
def api_lockout_flagged(sender, request, **kwargs):
    """DRF hands authenticate() its own Request wrapped around Django's: axes marks the wrapper, so the
    mark is copied to the HttpRequest its middleware answers (POST /api/auth/token/ gets a 429 too)."""
    django_request = getattr(request, "_request", None)
    if django_request is not None:
        django_request.axes_locked_out = True
        django_request.axes_credentials = getattr(request, "axes_credentials", None)
        django_request.axes_via_api = True
