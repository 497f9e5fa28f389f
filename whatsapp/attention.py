"""Conversations that need a person: the assistant could not answer (AI replies off, the model
down), so the person was told a team member will, and the admin shows it until one does.

The answering side flags (agent.runner); a team member's reply by hand clears (whatsapp.takeover).
"""

from django.db.models import Q
from django.utils import timezone

from whatsapp.models import Conversation

NEEDS_PERSON = Q(needs_person_since__isnull=False)


def conversation_flag_for_person(*, conversation: Conversation, reason: str) -> None:
    """Mark the conversation as waiting for a person, since now unless it already was (the first
    unanswered message is how long they have waited); the reason is the newest."""
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk, needs_person_since__isnull=True).update(needs_person_since=now)
    Conversation.objects.filter(pk=conversation.pk).update(needs_person_reason=reason[:200])


def conversation_flag_clear(*, conversation: Conversation) -> None:
    """A team member answered: the conversation no longer waits for a person."""
    Conversation.objects.filter(pk=conversation.pk).update(needs_person_since=None, needs_person_reason="")
