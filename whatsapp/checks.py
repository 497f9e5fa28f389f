"""Missing channel settings show up in `manage.py check`, not as a crash on the first message."""

from django.conf import settings
from django.core.checks import Warning, register

REQUIRED = {
    "WHATSAPP_VERIFY_TOKEN": "Meta cannot verify the webhook URL.",
    "WHATSAPP_APP_SECRET": "every webhook POST will be refused (its signature cannot be checked).",
    "WHATSAPP_ACCESS_TOKEN": "no reply can be sent.",
    "WHATSAPP_PHONE_NUMBER_ID": "no reply can be sent.",
}


@register()
def whatsapp_settings(app_configs, **kwargs):
    return [
        Warning(f"{name} is not set: {consequence}", hint=f"Set {name} in the environment (see .env.example).",
                id=f"whatsapp.W00{i}")
        for i, (name, consequence) in enumerate(REQUIRED.items(), start=1)
        if not getattr(settings, name, "")
    ]
