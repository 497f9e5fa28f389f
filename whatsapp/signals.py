"""The channel follows changes to people, however staff make them (admin, add_member): accounts
never imports whatsapp, so the channel listens.

- A number or business-scoped user id given to a person makes the stranger's conversations it
  names theirs (identity.conversations_link).
- A team member who leaves the team (becomes a customer, loses superuser status, is deleted) keeps
  their conversations private (Conversation.private), whichever path made those conversations.
"""

from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from accounts.models import WHATSAPP_ID_FIELDS, User
from accounts.permissions import team_members
from whatsapp.identity import conversations_link
from whatsapp.models import Conversation

TEAM_FIELDS = {"role", "is_superuser"}


@receiver(post_save, sender=User, dispatch_uid="whatsapp.conversations_link")
def user_saved(sender, instance: User, created: bool, update_fields=None, raw=False, **kwargs):
    if raw:
        return  # loading fixtures: save what they say
    if update_fields is not None and not WHATSAPP_ID_FIELDS & set(update_fields):
        return  # e.g. last_login: no id changed
    if instance.phone_number or instance.bsuid:
        conversations_link(user=instance)


@receiver(pre_save, sender=User, dispatch_uid="whatsapp.conversations_keep_private")
def user_saving(sender, instance: User, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not TEAM_FIELDS & set(update_fields):
        return  # the role did not change
    _conversations_keep_private(instance.pk)


@receiver(pre_delete, sender=User, dispatch_uid="whatsapp.conversations_keep_private_on_delete")
def user_deleting(sender, instance: User, **kwargs):
    _conversations_keep_private(instance.pk)


def _conversations_keep_private(user_id: int) -> None:
    # Before the save (or the delete) the database still has the person as they were: if they were a
    # team member, their conversations are marked for good.
    Conversation.objects.filter(team_members("user__"), user_id=user_id, private=False).update(private=True)
