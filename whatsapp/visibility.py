"""Which conversations, messages, statuses and webhook bodies a person may read in the back office.

The privacy rule (accounts.permissions): customers' and unknown senders' conversations are visible
to the whole team; a team member's own conversation with the assistant only to that person,
managers and superusers. What the conversation was decides, not only the person's role today: one
a team member wrote in stays private (`Conversation.private`, set for good at intake) when they
become a customer, leave, or are deleted. Everything the admin shows of a conversation is read through these
selectors, so the rule holds for the list, the transcript (with the assistant's tool results), the
media, the take-over and the raw webhook bodies alike.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.permissions import sees_private_conversations, sees_team_conversations, team_members
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent


def _others_private(viewer, prefix: str) -> Q:
    """Conversations (through `prefix`, e.g. "conversation__") that are, or ever were, a team member's
    other than `viewer`."""
    private = Q(**{f"{prefix}private": True}) | team_members(f"{prefix}user__")
    return private & ~Q(**{f"{prefix}user_id": viewer.pk})


def _visible(viewer, prefix: str = "") -> Q | None:
    """A filter for what `viewer` may read; None: everything."""
    if sees_private_conversations(viewer):
        return None
    if not sees_team_conversations(viewer):
        return Q(pk__in=[])
    return ~_others_private(viewer, prefix)


def conversations_visible_to(viewer, queryset: QuerySet | None = None) -> QuerySet:
    """The conversations `viewer` may read (optionally narrowing `queryset`)."""
    queryset = Conversation.objects.all() if queryset is None else queryset
    condition = _visible(viewer)
    return queryset if condition is None else queryset.filter(condition)


def messages_visible_to(viewer, queryset: QuerySet | None = None) -> QuerySet:
    """The messages of the conversations `viewer` may read."""
    queryset = Message.objects.all() if queryset is None else queryset
    condition = _visible(viewer, "conversation__")
    return queryset if condition is None else queryset.filter(condition)


def status_updates_visible_to(viewer, queryset: QuerySet | None = None) -> QuerySet:
    """Statuses of messages `viewer` may read, and those not attached to a message."""
    queryset = StatusUpdate.objects.all() if queryset is None else queryset
    condition = _visible(viewer, "message__conversation__")
    return queryset if condition is None else queryset.filter(Q(message__isnull=True) | condition)


def webhook_events_visible_to(viewer, queryset: QuerySet | None = None) -> QuerySet:
    """Raw webhook bodies `viewer` may read: none that carried a message, or a status of a message,
    of a conversation they may not read.

    Whose words a body holds is known from the rows stored from it, so a body not wholly stored
    (kept raw, rejected, or with items that could not be read) may hold anyone's: only managers and
    superusers read those."""
    queryset = WebhookEvent.objects.all() if queryset is None else queryset
    if sees_private_conversations(viewer):
        return queryset
    if not sees_team_conversations(viewer):
        return queryset.none()
    messages = Message.objects.filter(_others_private(viewer, "conversation__"), webhook_event=OuterRef("pk"))
    statuses = StatusUpdate.objects.filter(_others_private(viewer, "message__conversation__"),
                                           webhook_event=OuterRef("pk"))
    return (queryset.filter(status=WebhookEvent.Status.PROCESSED, error="")
            .exclude(Exists(messages)).exclude(Exists(statuses)))
