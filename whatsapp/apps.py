from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self):
        from whatsapp import checks  # noqa: F401  (registers system checks)
