from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person of the business. Those with a phone number are the WhatsApp allow-list."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        MANAGER = "manager", "Manager"

    # E.164, e.g. "+15550102030"; NULL (not "") when unset so that uniqueness holds only for real numbers.
    phone_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone_number__isnull=True) | models.Q(phone_number__startswith="+"),
                name="user_phone_number_e164",
            ),
        ]

    def __str__(self):
        name = self.get_full_name() or self.username
        return f"{name} ({self.phone_number})" if self.phone_number else name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
