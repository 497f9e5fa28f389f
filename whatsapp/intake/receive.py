"""Intake's flow: a signed body in, rows stored, work queued. One short transaction, no network.

The same on every database: which path a body takes, the raw-body fallback, what happens once a
message is stored. Only the writes differ, and they go through the store chosen once, at first
use, by the connection's vendor (whatsapp.intake.store).
"""

import logging
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from whatsapp import alerts, identity
from whatsapp.catalogue.sync import template_update_apply
from whatsapp.intake.orm import OrmStore
from whatsapp.intake.postgres import PostgresStore
from whatsapp.intake.store import IntakeStore, Stored
from whatsapp.models import Message, WebhookEvent, on_our_number
from whatsapp.outage import database_unavailable
from whatsapp.outbound.queue import not_registered_reply_queue
from whatsapp.payload_values import clean_text
from whatsapp.payloads import InboundMessage, MalformedPayload, StatusReport, WebhookBody, parse_body
from whatsapp.statuses import STATUS_RANK, status_apply

logger = logging.getLogger(__name__)

# The store of each database vendor; any other takes the ORM's.
STORES = {"postgresql": PostgresStore}
_store: IntakeStore | None = None


def intake_store() -> IntakeStore:
    """The store of this process's database, chosen once, at first use."""
    global _store
    if _store is None:
        _store = STORES.get(connection.vendor, OrmStore)()
    return _store


@dataclass
class IntakeResult:
    event: WebhookEvent
    new_messages: int = 0
    duplicates: int = 0
    statuses: int = 0
    template_updates: int = 0
    kept_raw: bool = False  # not stored: the raw body only, to replay after a fix


def webhook_receive(*, body: bytes) -> IntakeResult:
    """Store a signed body and everything in it.

    Raises MalformedPayload (after keeping the body) when it is not a WhatsApp webhook, and lets a
    database outage through (whatsapp.outage): the view answers 503 and Meta delivers it again.
    Anything else that keeps its items from being stored (a value the database refuses, a bug)
    keeps the raw body as a NOT_STORED event, shown in the admin, to replay after a fix.
    """
    try:
        parsed = parse_body(body)
    except MalformedPayload as exc:
        webhook_event_keep_raw(body=body, status=WebhookEvent.Status.REJECTED, reason=str(exc))
        raise
    except Exception as exc:  # a bug in reading: the body is kept all the same
        return _kept_raw(body=body, exc=exc)
    try:
        with _savepoint():
            return _store_body(body=body, parsed=parsed)
    except Exception as exc:
        if database_unavailable(exc):
            raise
        return _kept_raw(body=body, exc=exc)


def webhook_event_keep_raw(*, body: bytes, status: str, reason: str) -> WebhookEvent:
    """The minimal row: the bytes as they came and why. Nothing in it can fail for its data."""
    return WebhookEvent.objects.create(body=body, status=status, error=clean_text(reason)[:5000])


def webhook_replay(*, event: WebhookEvent) -> IntakeResult:
    """Process a stored body again. Idempotent: what was stored before is not stored twice."""
    parsed = parse_body(bytes(event.body))
    with transaction.atomic():
        result = webhook_apply(event=event, parsed=parsed)
        WebhookEvent.objects.filter(pk=event.pk).update(
            replayed_at=timezone.now(), status=WebhookEvent.Status.PROCESSED,
            message_count=len(parsed.messages), status_count=len(parsed.statuses), error=parsed.reasons,
        )
    return result


def _kept_raw(*, body: bytes, exc: Exception) -> IntakeResult:
    logger.exception("Webhook body kept raw, not stored: %s", type(exc).__name__)
    event = webhook_event_keep_raw(body=body, status=WebhookEvent.Status.NOT_STORED,
                                   reason=f"Not stored: {type(exc).__name__}: {exc}")
    return IntakeResult(event=event, kept_raw=True)


# Nearly every body Meta sends holds one message, or one status, and nothing else: the store writes
# it, event row included, in one go (on PostgreSQL one statement, its own transaction, with no BEGIN
# or COMMIT round trip). Anything else takes the general path: a not-registered reply needs more
# rows in the same transaction, and a failed status more work.
def _store_body(*, body: bytes, parsed: WebhookBody) -> IntakeResult:
    if _one_message_only(parsed):
        return _lost_race_retried(lambda: _single_message_receive(body=body, parsed=parsed))
    if _one_status_only(parsed):
        return _single_status_receive(body=body, report=parsed.statuses[0])
    return _lost_race_retried(lambda: _general_receive(body=body, parsed=parsed))


def _one_message_only(parsed: WebhookBody) -> bool:
    return (len(parsed.messages) == 1 and not parsed.statuses and not parsed.errors and not parsed.template_updates
            and not settings.WHATSAPP_NOT_REGISTERED_REPLY)


def _one_status_only(parsed: WebhookBody) -> bool:
    return (len(parsed.statuses) == 1 and not parsed.messages and not parsed.errors and not parsed.template_updates
            and not parsed.reasons
            and parsed.statuses[0].status in STATUS_RANK and on_our_number(parsed.statuses[0].phone_number_id))


def _single_message_receive(*, body: bytes, parsed: WebhookBody) -> IntakeResult:
    inbound, error, now = parsed.messages[0], parsed.reasons, timezone.now()
    event_id, stored = intake_store().event_and_message_insert(body=body, inbound=inbound, error=error, now=now,
                                                               ours=on_our_number(inbound.phone_number_id))
    event = _event_stored(event_id, body=body, now=now, message_count=1, error=error)
    if stored is None:
        return IntakeResult(event=event, duplicates=1)
    _inbound_stored(stored, inbound=inbound)
    return IntakeResult(event=event, new_messages=1)


def _single_status_receive(*, body: bytes, report: StatusReport) -> IntakeResult:
    now = timezone.now()
    event_id = intake_store().event_and_status_insert(body=body, report=report, now=now)
    return IntakeResult(event=_event_stored(event_id, body=body, now=now, status_count=1), statuses=1)


def _general_receive(*, body: bytes, parsed: WebhookBody) -> IntakeResult:
    now = timezone.now()
    with transaction.atomic():
        event_id = intake_store().event_insert(body=body, message_count=len(parsed.messages),
                                               status_count=len(parsed.statuses), error=parsed.reasons, now=now)
        event = _event_stored(event_id, body=body, now=now, message_count=len(parsed.messages),
                              status_count=len(parsed.statuses), error=parsed.reasons)
        return webhook_apply(event=event, parsed=parsed)


def _event_stored(event_id: int, *, body: bytes, now, message_count: int = 0, status_count: int = 0,
                  error: str = "") -> WebhookEvent:
    """The event row the store wrote, as a model instance (without reading it back)."""
    event = WebhookEvent(pk=event_id, body=body, received_at=now, message_count=message_count,
                         status_count=status_count, error=error)
    event._state.adding = False
    return event


def _lost_race_retried(receive):
    """Two first messages of one person at once, one naming their number and one their BSUID alone,
    can both try to create their conversation; the loser's statement (or transaction) fails whole,
    and storing it again finds the winner's conversation."""
    try:
        with _savepoint():
            return receive()
    except IntegrityError as exc:
        if not identity.identity_race(exc):
            raise
        logger.info("Webhook body lost a race for a conversation; storing it again")
        return receive()


def _savepoint():
    """Inside a caller's transaction (a test, a command) a failed statement must not spoil it; in
    autocommit (the web) the one-statement paths stay one statement, their own transaction."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def webhook_apply(*, event: WebhookEvent, parsed: WebhookBody) -> IntakeResult:
    """Store every item of a body under its (stored) event: messages, statuses, Meta's errors."""
    result = IntakeResult(event=event)
    for inbound in parsed.messages:
        if inbound_store(inbound=inbound, event=event) is None:
            result.duplicates += 1
        else:
            result.new_messages += 1
    for report in parsed.statuses:
        status_apply(report=report, event=event)
        result.statuses += 1
    for error in parsed.errors:
        logger.error("Meta reported error %s for number %s: %s", error.code, error.phone_number_id, error.title)
        alerts.alert_raise(code=error.code, title=error.title, details=error.details, source="webhook")
    for update in parsed.template_updates:
        template_update_apply(update=update)
        result.template_updates += 1
    return result


def inbound_store(*, inbound: InboundMessage, event: WebhookEvent | None) -> int | None:
    """Store one inbound message exactly once (keyed by its wamid) and queue its handling.

    Returns the new message's id, or None for a duplicate (a redelivery, or the same body racing
    in another worker): the unique wamid decides, so it is stored once and answered once.
    """
    stored = intake_store().message_insert(inbound=inbound, event_id=event.pk if event else None,
                                           now=timezone.now(), ours=on_our_number(inbound.phone_number_id))
    if stored is None:
        return None
    _inbound_stored(stored, inbound=inbound)
    return stored.message_id


def _inbound_stored(stored: Stored, *, inbound: InboundMessage) -> None:
    """Keep what the message says about who the person is, then queue its handling once it is
    committed; a stranger's, or another number's, is only noted."""
    message_id, conversation_id = stored.message_id, stored.conversation_id
    if not on_our_number(inbound.phone_number_id):
        # Not ours to answer: no task, no read receipt, no reply; the admin flags the conversation.
        logger.warning("Message %s for another business number %r stored, not answered (conversation %s)",
                       message_id, inbound.phone_number_id, conversation_id)
        return
    identity.identity_remember(inbound=inbound, seen=stored.seen)
    identity.identity_change_apply(conversation_id=conversation_id, inbound=inbound)
    if stored.allowed:
        from whatsapp.tasks import inbound_handle_task

        # Robust: the message is stored, so Meta gets its 200 even if the broker is down this
        # moment (the error is logged); the sweeper queues the message once the broker is back.
        transaction.on_commit(lambda: inbound_handle_task.delay(message_id), robust=True)
    else:
        logger.info("Message %s from a number not on the allow-list (conversation %s)", message_id, conversation_id)
        if settings.WHATSAPP_NOT_REGISTERED_REPLY and inbound.type not in ("reaction", "system"):
            message = Message.objects.select_related("conversation").get(pk=message_id)
            not_registered_reply_queue(conversation=message.conversation, inbound=message)
