"""Short leases on a conversation row, so that one worker at a time works on it.

A lease is a conditional UPDATE with an expiry (the same on SQLite and PostgreSQL): a worker
killed mid-task lets go by itself, and no transaction stays open across network calls.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from whatsapp.models import Conversation


def lease_acquire(conversation_id: int, field: str, seconds: int) -> datetime | None:
    """Take the lease; returns its token (the expiry) or None when another worker holds it."""
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    free = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})
    taken = Conversation.objects.filter(Q(pk=conversation_id) & free).update(**{field: until})
    return until if taken else None


def lease_renew(conversation_id: int, field: str, token: datetime, seconds: int) -> datetime | None:
    until = timezone.now() + timedelta(seconds=seconds)
    renewed = Conversation.objects.filter(pk=conversation_id, **{field: token}).update(**{field: until})
    return until if renewed else None


def lease_release(conversation_id: int, field: str, token: datetime) -> None:
    """Let go, unless the lease expired and someone else holds it now."""
    Conversation.objects.filter(pk=conversation_id, **{field: token}).update(**{field: None})
