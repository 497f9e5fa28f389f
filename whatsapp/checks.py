"""Missing channel settings show up in `manage.py check`, not as a crash on the first message."""

from django.conf import settings
from django.core.checks import Info, Warning, register

REQUIRED = {
    "WHATSAPP_VERIFY_TOKEN": "Meta cannot verify the webhook URL.",
    "WHATSAPP_APP_SECRET": "every webhook POST will be refused (its signature cannot be checked).",
    "WHATSAPP_ACCESS_TOKEN": "no reply can be sent.",
    "WHATSAPP_PHONE_NUMBER_ID": "no reply can be sent, and every message is stored as another number's.",
}
SANDBOX = ("Sandbox mode: replies go to the built-in Graph API stand-in and nothing reaches WhatsApp. "
           "Chat with the assistant at /sandbox/; the worker reaches the web server at WHATSAPP_SANDBOX_URL "
           "(replies stay pending if that is not where it runs).")
SANDBOX_HINT = "Set WHATSAPP_ACCESS_TOKEN and the other WHATSAPP_* settings (see .env.example) to connect a number."


@register()
def whatsapp_settings(app_configs, **kwargs):
    if getattr(settings, "WHATSAPP_SANDBOX", False):
        # Fine on a laptop; worth a warning where DEBUG is off (a deployment that sends nothing).
        level = Info if settings.DEBUG else Warning
        return [level(SANDBOX, hint=SANDBOX_HINT, id="whatsapp.W005")]
    warnings = [
        Warning(f"{name} is not set: {consequence}", hint=f"Set {name} in the environment (see .env.example).",
                id=f"whatsapp.W00{i}")
        for i, (name, consequence) in enumerate(REQUIRED.items(), start=1)
        if not getattr(settings, name, "")
    ]
    if not settings.WHATSAPP_BUSINESS_ACCOUNT_ID:
        warnings.append(Warning(
            "WHATSAPP_BUSINESS_ACCOUNT_ID is not set: the template catalogue cannot be synced, so every template "
            "(re-engagement, reminders, summaries) is held instead of sent.",
            hint="Set WHATSAPP_BUSINESS_ACCOUNT_ID (WhatsApp Manager, account tools), then run "
                 "`manage.py whatsapp_templates create` and `manage.py whatsapp_templates sync`.", id="whatsapp.W006"))
    return warnings
