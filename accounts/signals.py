"""A person's role keeps their admin group and admin access in step, however they were saved."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.groups import user_role_sync
from accounts.models import User

ROLE_FIELDS = {"role", "is_staff", "is_superuser"}


@receiver(post_save, sender=User, dispatch_uid="accounts.user_role_sync")
def user_saved(sender, instance: User, created: bool, update_fields=None, raw=False, **kwargs):
    if raw:
        return  # loading fixtures: save what they say
    if update_fields is not None and not ROLE_FIELDS & set(update_fields):
        return  # e.g. last_login: the role did not change
    user_role_sync(user=instance)
