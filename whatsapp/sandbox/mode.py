"""When the sandbox exists: settings.WHATSAPP_SANDBOX, and never with production credentials."""

from functools import wraps

from django.conf import settings
from django.http import Http404


def sandbox_enabled() -> bool:
    """On in sandbox mode, unless DEBUG is off and a real (not the stand-in's) access token is set.

    settings.py already refuses that combination; this re-checks at every request, so no later
    change of settings can open the sandbox on a production deployment.
    """
    if not getattr(settings, "WHATSAPP_SANDBOX", False):
        return False
    token = settings.WHATSAPP_ACCESS_TOKEN
    real_token = bool(token) and token != settings.WHATSAPP_SANDBOX_ACCESS_TOKEN
    return settings.DEBUG or not real_token


def sandbox_only(view):
    """A view that does not exist (404) outside sandbox mode."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sandbox_enabled():
            raise Http404("The sandbox is off.")
        return view(request, *args, **kwargs)

    return wrapped
