from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and numbers"

    def ready(self):
        from accounts import login_throttle, signals  # noqa: F401  (connect their receivers)
