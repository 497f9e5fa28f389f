from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self):
        from whatsapp import checks  # noqa: F401  (registers system checks)
        from whatsapp import signals  # noqa: F401  (a person's ids given by staff reach their conversations)
