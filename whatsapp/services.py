"""Intake: a webhook body in, rows stored, work queued. One short transaction, no network."""

import logging
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from whatsapp import alerts, identity, intake_sql
from whatsapp.models import Conversation, Message, WebhookEvent, on_our_number
from whatsapp.outage import database_unavailable
from whatsapp.outbound.queue import not_registered_reply_queue
from whatsapp.payload_values import clean_text
from whatsapp.payloads import InboundMessage, MalformedPayload, StatusReport, WebhookBody, parse_body
from whatsapp.statuses import STATUS_RANK, STATUS_TIME_FIELD, earlier_than, status_apply

logger = logging.getLogger(__name__)

@dataclass
class IntakeResult:
    event: WebhookEvent
    new_messages: int = 0
    duplicates: int = 0
    statuses: int = 0
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
            return _store(body=body, parsed=parsed)
    except Exception as exc:
        if database_unavailable(exc):
            raise
        return _kept_raw(body=body, exc=exc)


def webhook_event_keep_raw(*, body: bytes, status: str, reason: str) -> WebhookEvent:
    """The minimal row: the bytes as they came and why. Nothing in it can fail for its data."""
    return WebhookEvent.objects.create(body=body, status=status, error=clean_text(reason)[:5000])


def _kept_raw(*, body: bytes, exc: Exception) -> IntakeResult:
    logger.exception("Webhook body kept raw, not stored: %s", type(exc).__name__)
    event = webhook_event_keep_raw(body=body, status=WebhookEvent.Status.NOT_STORED,
                                   reason=f"Not stored: {type(exc).__name__}: {exc}")
    return IntakeResult(event=event, kept_raw=True)


def _store(*, body: bytes, parsed: WebhookBody) -> IntakeResult:
    if one_statement_path():
        if _one_message_only(parsed):
            return _lost_race_retried(lambda: _single_message_receive(body=body, parsed=parsed))
        if _one_status_only(parsed):
            return _single_status_receive(body=body, report=parsed.statuses[0])
    return _lost_race_retried(lambda: _general_receive(body=body, parsed=parsed))


def one_statement_path() -> bool:
    """PostgreSQL stores a message with one statement (whatsapp.intake_sql); other databases with the
    ORM (_inbound_insert_orm). Both follow whatsapp.identity; tests prove them equal on PostgreSQL."""
    return connection.vendor == "postgresql"


def _general_receive(*, body: bytes, parsed: WebhookBody) -> IntakeResult:
    with transaction.atomic():
        event = _event_insert(WebhookEvent(
            body=body,
            message_count=len(parsed.messages),
            status_count=len(parsed.statuses),
            error=parsed.reasons,
        ))
        return webhook_apply(event=event, parsed=parsed)


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


# Nearly every body Meta sends holds one message, or one status, and nothing else. On PostgreSQL
# such a body is stored, event row included, by one statement (its own transaction), with no BEGIN
# or COMMIT round trip (whatsapp/intake_sql.py). Anything else takes the general path below: a
# not-registered reply needs more rows in the same transaction, and a failed status more work.
def _one_message_only(parsed: WebhookBody) -> bool:
    return (len(parsed.messages) == 1 and not parsed.statuses and not parsed.errors
            and not settings.WHATSAPP_NOT_REGISTERED_REPLY)


def _one_status_only(parsed: WebhookBody) -> bool:
    return (len(parsed.statuses) == 1 and not parsed.messages and not parsed.errors and not parsed.reasons
            and parsed.statuses[0].status in STATUS_RANK and on_our_number(parsed.statuses[0].phone_number_id))


def _single_status_receive(*, body: bytes, report: StatusReport) -> IntakeResult:
    now = timezone.now()
    event_id, new, message_id = intake_sql.event_and_status_insert(
        body=body, report=report, earlier=earlier_than(report.status),
        time_field=STATUS_TIME_FIELD.get(report.status), now=now)
    event = WebhookEvent(pk=event_id, body=body, received_at=now, status_count=1)
    event._state.adding = False
    if new and message_id is None:
        logger.info("Status %s for unknown message %s recorded", report.status, report.wamid)
    return IntakeResult(event=event, statuses=1)


def _single_message_receive(*, body: bytes, parsed: WebhookBody) -> IntakeResult:
    inbound = parsed.messages[0]
    error = parsed.reasons
    now = timezone.now()
    event_id, stored = intake_sql.event_and_message_insert(body=body, inbound=inbound, error=error, now=now,
                                                           ours=on_our_number(inbound.phone_number_id))
    event = WebhookEvent(pk=event_id, body=body, received_at=now, message_count=1, error=error)
    event._state.adding = False
    if stored is None:
        return IntakeResult(event=event, duplicates=1)
    _inbound_stored(*stored, inbound=inbound)
    return IntakeResult(event=event, new_messages=1)


def _event_insert(event: WebhookEvent) -> WebhookEvent:
    """INSERT ... RETURNING id without the ORM's per-save machinery: this runs for every webhook."""
    fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WebhookEvent._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
            "RETURNING id",
            values,
        )
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    return event


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


def webhook_apply(*, event: WebhookEvent, parsed: WebhookBody) -> IntakeResult:
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
    return result


def inbound_store(*, inbound: InboundMessage, event: WebhookEvent | None) -> int | None:
    """Store one inbound message exactly once (keyed by its wamid) and queue its handling.

    Returns the new message's id, or None for a duplicate (a redelivery, or the same body racing
    in another worker): the unique wamid decides, so it is stored once and answered once.
    """
    if one_statement_path():
        stored = intake_sql.inbound_insert(inbound=inbound, event_id=event.pk if event else None,
                                           now=timezone.now(), ours=on_our_number(inbound.phone_number_id))
    else:
        stored = _inbound_insert_orm(inbound=inbound, event=event)
    if stored is None:
        return None
    _inbound_stored(*stored, inbound=inbound)
    return stored[0]


def _inbound_stored(message_id: int, conversation_id: int, allowed: bool, seen: identity.Seen, *,
                    inbound: InboundMessage) -> None:
    """Keep what the message says about who the person is, then queue its handling once it is
    committed; a stranger's, or another number's, is only noted."""
    if not on_our_number(inbound.phone_number_id):
        # Not ours to answer: no task, no read receipt, no reply; the admin flags the conversation.
        logger.warning("Message %s for another business number %r stored, not answered (conversation %s)",
                       message_id, inbound.phone_number_id, conversation_id)
        return
    identity.identity_remember(inbound=inbound, seen=seen)
    identity.identity_change_apply(conversation_id=conversation_id, inbound=inbound)
    if allowed:
        from whatsapp.tasks import inbound_handle_task

        # Robust: the message is stored, so Meta gets its 200 even if the broker is down this
        # moment (the error is logged); the sweeper queues the message once the broker is back.
        transaction.on_commit(lambda: inbound_handle_task.delay(message_id), robust=True)
    else:
        logger.info("Message %s from a number not on the allow-list (conversation %s)", message_id, conversation_id)
        if settings.WHATSAPP_NOT_REGISTERED_REPLY and inbound.type not in ("reaction", "system"):
            message = Message.objects.select_related("conversation").get(pk=message_id)
            not_registered_reply_queue(conversation=message.conversation, inbound=message)


def _inbound_insert_orm(*, inbound: InboundMessage, event: WebhookEvent | None) -> tuple | None:
    """The same as intake_sql.inbound_insert, with the ORM (SQLite and other databases)."""
    user = identity.sender_for(wa_id=inbound.wa_id, bsuid=inbound.bsuid)
    ours = on_our_number(inbound.phone_number_id)
    allowed = ours and user is not None and user.is_active
    not_answered = Message.Status.IGNORED if ours else Message.Status.OTHER_NUMBER
    conversation = identity.conversation_for_inbound(inbound=inbound, user=user)
    message = Message(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        wamid=inbound.wamid,
        type=inbound.type,
        timestamp=inbound.timestamp,
        status=Message.Status.RECEIVED if allowed else not_answered,
        text=inbound.text,
        media_id=inbound.media_id,
        media_mime_type=inbound.media_mime_type,
        media_sha256=inbound.media_sha256,
        media_filename=inbound.media_filename,
        media_voice=inbound.media_voice,
        data=inbound.data,
        context_wamid=inbound.context_wamid,
        referral=inbound.referral,
        raw=inbound.raw,
        webhook_event=event,
        sender_allowed=allowed,
    )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        if Message.objects.filter(wamid=inbound.wamid).exists():
            return None
        raise
    # The window runs from the person's newest message (by Meta's clock, whatever the arrival order).
    ts = Value(inbound.timestamp)
    times = {"last_message_at": Greatest(Coalesce(F("last_message_at"), ts), ts)}
    if inbound.window_opened_at is not None:
        times["last_inbound_at"] = Greatest(Coalesce(F("last_inbound_at"), ts), ts)
    Conversation.objects.filter(pk=conversation.pk).update(**times)
    newest = max((t for t in (conversation.last_inbound_at, inbound.window_opened_at) if t), default=None)
    seen = identity.Seen(conversation_id=conversation.pk, conversation_wa_id=conversation.wa_id,
                         conversation_bsuid=conversation.bsuid, conversation_last_inbound_at=newest,
                         user_id=user.pk if user else None, user_phone=user.phone_number if user else None,
                         user_bsuid=user.bsuid if user else None)
    return message.pk, conversation.pk, allowed, seen
