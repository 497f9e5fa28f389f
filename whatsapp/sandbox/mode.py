"""When the sandbox exists: settings.WHATSAPP_SANDBOX, and only with the stand-in's own credentials."""

from functools import wraps

from django.conf import settings
from django.http import Http404


def sandbox_enabled() -> bool:
    """On in sandbox mode, and only while the channel uses the stand-in's derived credentials.

    settings.py never turns the sandbox on with DEBUG off and a real WhatsApp credential, and in
    sandbox mode it replaces every credential with a derived one. This re-checks at each request,
    so no later change of settings can open the sandbox next to real credentials.
    """
    return (bool(getattr(settings, "WHATSAPP_SANDBOX", False))
            and settings.WHATSAPP_ACCESS_TOKEN == settings.WHATSAPP_SANDBOX_ACCESS_TOKEN
            and settings.WHATSAPP_APP_SECRET == settings.WHATSAPP_SANDBOX_APP_SECRET)


def sandbox_only(view):
    """A view that does not exist (404) outside sandbox mode."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sandbox_enabled():
            raise Http404("The sandbox is off.")
        return view(request, *args, **kwargs)

    return wrapped
