"""Inbound pipeline: a stored message from an allowed person -> read receipt -> reply -> outbox.

Messages of one conversation are handled one at a time, in Meta's timestamp order, under a lease
on the conversation; different conversations run in parallel. Handling is idempotent: the reply
is keyed by the inbound message, and a message is marked handled in the same transaction that
queues its reply, so a retried or redelivered task never answers twice.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, transaction
from django.db.models import F
from django.utils import timezone

from whatsapp.outbound.client import GraphClient
from whatsapp.outbound.errors import GraphError
from whatsapp.leases import BUSY_RETRY_SECONDS, LeaseKept, lease_acquire, lease_release
from whatsapp.models import Conversation, Message
from whatsapp.outbound.queue import held_release, outbound_queue
from whatsapp.replies import Reply, as_reply, reply_handler

logger = logging.getLogger(__name__)

FALLBACK_TEXT = "Sorry, I could not process that just now. Your message is saved; please try again in a moment."
GAVE_UP_TEXT = ("Sorry, I couldn't process that message. It is saved and the team can see it; "
                "could you send it another way (for example as text, or a smaller file)?")


def inbound_handle(*, message_id: int, client: GraphClient | None = None) -> float | None:
    """Handle this message and any earlier ones of its conversation still waiting.

    Returns None when done, or seconds after which to try again (another worker holds the
    conversation right now).
    """
    message = Message.objects.filter(pk=message_id).only("id", "conversation_id", "status").first()
    if message is None or message.status != Message.Status.RECEIVED:
        return None
    conversation_id = message.conversation_id
    lease_seconds = settings.WHATSAPP_INBOUND_LEASE_SECONDS
    token = lease_acquire(conversation_id, "inbound_lease_until", lease_seconds)
    if token is None:
        return BUSY_RETRY_SECONDS
    # The lease is short (a dead worker's messages are taken over soon) and kept renewed while the
    # turns run (a live one, however slow, never is).
    kept = LeaseKept(conversation_id, "inbound_lease_until", token, lease_seconds,
                     longest=settings.CELERY_TASK_TIME_LIMIT)
    try:
        with kept:
            client = client or GraphClient()
            conversation = Conversation.objects.select_related("user").get(pk=conversation_id)
            with transaction.atomic():
                held_release(conversation=conversation)
            while True:
                pending = (Message.objects.filter(conversation_id=conversation_id,
                                                  direction=Message.Direction.INBOUND,
                                                  status=Message.Status.RECEIVED)
                           .order_by("timestamp", "id").first())
                if pending is None:
                    return None
                _handle_one(conversation, pending, client)
                if not kept.renew():
                    return BUSY_RETRY_SECONDS  # another worker holds the conversation now: it answers the rest
                conversation.refresh_from_db()
    finally:
        lease_release(conversation_id, "inbound_lease_until", kept.token)


def _handle_one(conversation: Conversation, message: Message, client: GraphClient) -> None:
    if message.type == "system":
        # WhatsApp's notice (a changed number), not something the person wrote: nothing to answer.
        _mark_handled(message, reply=None, conversation=conversation)
        return
    if conversation.bot_paused:
        # A person took the conversation over: the message waits for them in the admin.
        _mark_handled(message, reply=None, conversation=conversation)
        return
    # Counted (and committed) before the work: a message whose handling kills the worker (out of
    # memory on a huge file, say) is redelivered, and would otherwise be retried for ever.
    Message.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1)
    attempt = message.attempts + 1
    if attempt > settings.WHATSAPP_INBOUND_MAX_ATTEMPTS:
        logger.error("Giving up on inbound message %s: handling started %s times and never finished",
                     message.pk, attempt - 1)
        _mark_handled(message, reply=Reply(text=GAVE_UP_TEXT), conversation=conversation,
                      error=f"Gave up: handling was started {attempt - 1} times and never finished "
                            "(the worker stopped each time).")
        return
    try:
        _answer(conversation, message, client)
    except (DatabaseError, InterfaceError, SystemExit, KeyboardInterrupt):
        # The database failing at the end, or a shutdown: the task tries again, and that is not the
        # message's fault. Only a start that died with its worker (or a bug) stays counted.
        Message.objects.filter(pk=message.pk, attempts__gt=0).update(attempts=F("attempts") - 1)
        raise


def _answer(conversation: Conversation, message: Message, client: GraphClient) -> None:
    if message.type != "reaction":
        try:
            client.mark_read(message.wamid, typing=True, phone_number_id=conversation.phone_number_id)
        except GraphError as exc:
            logger.warning("Could not mark message %s read: %s", message.pk, exc)
    error = ""
    try:
        reply = as_reply(reply_handler()(conversation, message))
    except Exception as exc:  # the person still gets an answer, and the failure is recorded
        logger.exception("Reply handler failed for message %s", message.pk)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        reply = Reply(text=FALLBACK_TEXT)
    _mark_handled(message, reply=reply, conversation=conversation, error=error)


@transaction.atomic
def _mark_handled(message: Message, *, reply: Reply | None, conversation: Conversation, error: str = "") -> None:
    # Lock the conversation before the message, in the same order as intake (which upserts the
    # conversation, then inserts the message): a redelivery racing this cannot deadlock with it.
    list(Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk", flat=True))
    claimed = Message.objects.filter(pk=message.pk, status=Message.Status.RECEIVED).update(
        status=Message.Status.HANDLED, handled_at=timezone.now(), error_details=error,
    )
    if claimed and reply is not None:
        outbound_queue(conversation=conversation, reply=reply, in_reply_to=message)
