from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from accounts.bsuid import BSUID_MAX_LENGTH


# The fields that say who a person is on WhatsApp: whoever sets them decides whom messages reach.
WHATSAPP_ID_FIELDS = frozenset({"phone_number", "bsuid"})


class User(AbstractUser):
    """A person of the business. Those with a phone number are the WhatsApp allow-list."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        MANAGER = "manager", "Manager"

    # E.164, e.g. "+15550102030"; NULL (not "") when unset so that uniqueness holds only for real numbers.
    phone_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # Meta's business-scoped user id: how WhatsApp names the person when it withholds the number
    # (WhatsApp usernames). NULL when unknown; two people never share one.
    bsuid = models.CharField(
        "business-scoped user id", max_length=BSUID_MAX_LENGTH, unique=True, null=True, blank=True,
        help_text="WhatsApp's id for this person when they hide their number behind a username, "
                  "e.g. US.13491208655302741918. Learned from their messages; set it to recognise "
                  "someone who writes without a number.",
        error_messages={"unique": "Another person already has this business-scoped user id."},
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    # Who last gave this person their number or business-scoped user id in the admin (NULL: the
    # command line, or not known). Four eyes counts their expenses as that reviewer's own.
    identity_set_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="number set by",
        help_text="Who last set the phone number or business-scoped user id (empty: the command line).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone_number__isnull=True) | models.Q(phone_number__startswith="+"),
                name="user_phone_number_e164",
            ),
            # Never "": an empty id must not match a message that carries none.
            models.CheckConstraint(
                condition=models.Q(bsuid__isnull=True) | models.Q(bsuid__contains="."),
                name="user_bsuid_format",
            ),
        ]

    def __str__(self):
        name = self.get_full_name() or self.username
        if self.phone_number:
            return f"{name} ({self.phone_number})"
        return f"{name} ({self.bsuid})" if self.bsuid else name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def public_name(self) -> str:
        """How people on WhatsApp are told who answered or decided: the person's name, never a login
        name ("approved by admin"); without a name, the business's team."""
        return self.get_full_name() or f"the {settings.BUSINESS_NAME} team"
