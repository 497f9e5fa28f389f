"""A person's number or business-scoped user id, however staff set it (admin, add_member), makes
the conversations it names theirs: the channel listens, since accounts never imports whatsapp."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import WHATSAPP_ID_FIELDS, User
from whatsapp.identity import conversations_link


@receiver(post_save, sender=User, dispatch_uid="whatsapp.conversations_link")
def user_saved(sender, instance: User, created: bool, update_fields=None, raw=False, **kwargs):
    if raw:
        return  # loading fixtures: save what they say
    if update_fields is not None and not WHATSAPP_ID_FIELDS & set(update_fields):
        return  # e.g. last_login: no id changed
    if instance.phone_number or instance.bsuid:
        conversations_link(user=instance)
