from django.apps import AppConfig

from whatsapp import checks  # noqa: F401  (registers the system checks; imports no model)


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self):
        from whatsapp import signals  # noqa: F401  (a person's ids given by staff reach their conversations)
