"""Outbound: every reply is first a row (queued), then sent in order by a Celery task.

Free-form messages go out only while the person's 24-hour window is open. When it is closed, or
Graph answers 131047, the message is held and the re-engagement template goes out instead; held
messages are released when the person writes again.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from whatsapp import alerts
from whatsapp.client import GraphClient, buttons_payload, template_payload, text_payload
from whatsapp.errors import (
    OPERATOR_CODES,
    WINDOW_CLOSED_CODE,
    GraphError,
    GraphRateLimited,
    OperatorActionRequired,
    WindowClosed,
    failure_explained,
)
from whatsapp.leases import LeaseKept, lease_acquire, lease_release
from whatsapp.models import REPLY_WINDOW, Conversation, Message, StatusUpdate
from whatsapp.replies import Reply
from whatsapp.retry import backoff_seconds, pair_limit_seconds
from whatsapp.text import split_text

logger = logging.getLogger(__name__)

# Short, and renewed while a send runs (whatsapp.leases.LeaseKept): a dead sender lets go soon.
OUTBOX_LEASE_SECONDS = 45
# While the token or the account needs an operator, each waiting outbox asks Graph again this often.
OPERATOR_RETRY_SECONDS = 300
BUSY_RETRY_SECONDS = 2.0
FREE_FORM_TYPES = {"text", "interactive"}


# --- queueing -------------------------------------------------------------------------------------
def _rows_for(conversation: Conversation, reply: Reply) -> list[dict]:
    if reply.buttons:
        payload = buttons_payload(conversation.recipient, reply.text, reply.buttons)
        return [{"type": "interactive", "text": reply.text, "payload": payload,
                 "data": {"buttons": [list(b) for b in reply.buttons]}}]
    return [{"type": "text", "text": part} for part in split_text(reply.text)]


# The rows are committed before their task is sent. If the broker cannot take it (robust: logged,
# not raised), the sweeper sends them later; raising would only fail a request or task whose work
# is already saved, and invite doing it twice.
def _flush_on_commit(conversation_id: int) -> None:
    from whatsapp.tasks import flush_outbox_task

    transaction.on_commit(lambda: flush_outbox_task.delay(conversation_id), robust=True)


def _flush_later(conversation_id: int, seconds: float) -> None:
    from whatsapp.tasks import flush_outbox_task

    transaction.on_commit(lambda: flush_outbox_task.apply_async((conversation_id,), countdown=seconds),
                          robust=True)


@transaction.atomic
def outbound_queue(*, conversation: Conversation, reply: Reply, in_reply_to: Message | None = None,
                   sent_by=None) -> list[Message]:
    """Queue a reply (text split at 4096 characters, or reply buttons) and send it after commit.

    Keyed by the inbound message it answers: queueing the same answer twice stores it once.
    """
    now = timezone.now()
    messages = []
    for part, row in enumerate(_rows_for(conversation, reply)):
        fields = dict(conversation=conversation, direction=Message.Direction.OUTBOUND, timestamp=now,
                      status=Message.Status.QUEUED, sent_by=sent_by, **row)
        if in_reply_to is not None:
            message, _ = Message.objects.get_or_create(in_reply_to=in_reply_to, part=part, defaults=fields)
        else:
            message = Message.objects.create(part=part, **fields)
        messages.append(message)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    _flush_on_commit(conversation.pk)
    return messages


@transaction.atomic
def template_queue(*, conversation: Conversation, name: str, language: str, components: list | None = None,
                   text: str = "", sent_by=None, data: dict | None = None) -> Message:
    """Queue an approved template (the only thing allowed outside the 24-hour window)."""
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation, direction=Message.Direction.OUTBOUND, type="template", timestamp=now,
        status=Message.Status.QUEUED, text=text or f"[template {name}]", sent_by=sent_by, data=data or {},
        payload=template_payload(conversation.recipient, name, language, components),
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    _flush_on_commit(conversation.pk)
    return message


def not_registered_reply_queue(*, conversation: Conversation, inbound: Message) -> None:
    """The optional one-time answer to someone not on the allow-list (off unless configured)."""
    if inbound.timestamp + REPLY_WINDOW <= timezone.now():
        return  # too late for free text: a stranger must never be sent a (paid) re-engagement template
    first = Conversation.objects.filter(pk=conversation.pk, not_registered_reply_at__isnull=True).update(
        not_registered_reply_at=timezone.now()
    )
    if first:
        outbound_queue(conversation=conversation, reply=Reply(text=settings.WHATSAPP_NOT_REGISTERED_REPLY),
                       in_reply_to=inbound)


def held_release(*, conversation: Conversation) -> int:
    """The person wrote again: queue what was held for them, in its original order."""
    released = Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND,
                                      status=Message.Status.HELD).update(
        status=Message.Status.QUEUED, next_attempt_at=None, attempts=0, first_attempt_at=None
    )
    if released:
        _flush_on_commit(conversation.pk)
    return released


def _reengagement_pending(conversation: Conversation) -> bool:
    """Was a re-engagement template already queued or sent since the person last wrote?"""
    since = conversation.last_inbound_at or conversation.created_at
    return Message.objects.filter(
        conversation=conversation, direction=Message.Direction.OUTBOUND, type="template",
        data__reengagement=True, timestamp__gte=since,
    ).exclude(status=Message.Status.FAILED).exists()


def _hold(message: Message, conversation: Conversation, reason: str) -> None:
    Message.objects.filter(pk=message.pk).update(status=Message.Status.HELD, error_details=reason)
    if not _reengagement_pending(conversation):
        template_queue(
            conversation=conversation, name=settings.WHATSAPP_REENGAGEMENT_TEMPLATE,
            language=settings.WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE, data={"reengagement": True},
        )


# --- sending --------------------------------------------------------------------------------------
def outbox_flush(*, conversation_id: int, client: GraphClient | None = None) -> float | None:
    """Send this conversation's queued messages, oldest first, one at a time.

    Returns None when the outbox is empty (or all that is left waits for the person), else the
    seconds after which to call again (a retry is due, or another worker holds the outbox).
    """
    token = lease_acquire(conversation_id, "outbox_lease_until", OUTBOX_LEASE_SECONDS)
    if token is None:
        return BUSY_RETRY_SECONDS
    kept = LeaseKept(conversation_id, "outbox_lease_until", token, OUTBOX_LEASE_SECONDS,
                     longest=settings.CELERY_TASK_TIME_LIMIT)
    try:
        with kept:
            return _flush(conversation_id, kept, client or GraphClient())
    finally:
        lease_release(conversation_id, "outbox_lease_until", kept.token)


def _flush(conversation_id: int, kept: LeaseKept, client: GraphClient) -> float | None:
    while True:
        conversation = Conversation.objects.get(pk=conversation_id)
        message = (Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND,
                                          status=Message.Status.QUEUED)
                   .order_by("timestamp", "id").first())
        if message is None:
            return None
        now = timezone.now()
        # (A wake-up a moment early, hosts' clocks differing, counts as due.)
        waits = [t for t in (message.next_attempt_at, conversation.send_backoff_until)
                 if t and t > now + timedelta(seconds=1)]
        if waits:
            # Whoever set that time scheduled its own wake-up (and the sweeper backs it up): a
            # second task chain per conversation would only pile up while it waits.
            return None
        if _expired(message, now):
            continue
        paused = alerts.operator_pause_until()
        if paused is not None and paused > now:
            # Graph refused the token or the account moments ago: no point asking again for
            # every conversation; the first one due after the pause tries (the probe).
            # Waiting for the operator is not a try: the retry budget starts after the pause.
            wake = paused + timedelta(seconds=random.uniform(0, 30))  # spread: one probe, not a crowd
            Message.objects.filter(pk=message.pk).update(next_attempt_at=wake, attempts=0,
                                                         first_attempt_at=None)
            return (wake - now).total_seconds()
        delay = _send_one(message, conversation, client)
        if delay is not None:
            return delay
        # Each send may take up to the read timeout: keep the outbox ours, or stop.
        if not kept.renew():
            return BUSY_RETRY_SECONDS


def _expired(message: Message, now) -> bool:
    """A scheduled message whose moment has passed (delivery was paused): marked, not sent late."""
    expires_at = parse_datetime(str((message.data or {}).get("expires_at") or ""))
    if expires_at is None or now < expires_at:
        return False
    Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
        status=Message.Status.FAILED, failed_at=now, next_attempt_at=None, error_title="Expired",
        error_details="Not sent: it could not be delivered before its period was over; a newer one replaces it.")
    logger.warning("Message %s expired before it could be sent", message.pk)
    return True


def _send_one(message: Message, conversation: Conversation, client: GraphClient) -> float | None:
    now = timezone.now()
    if message.type in FREE_FORM_TYPES and not conversation.window_open(now):
        _hold(message, conversation, "The 24-hour window was closed: held until the person writes again.")
        return None
    payload = message.payload or text_payload(conversation.recipient, message.text)
    attempts = message.attempts + 1
    Message.objects.filter(pk=message.pk).update(attempts=attempts, first_attempt_at=message.first_attempt_at or now)
    try:
        wamid = client.send_message(payload, phone_number_id=conversation.phone_number_id)
    except WindowClosed:
        _hold(message, conversation, "Graph answered 131047 (24-hour window closed): held until the person writes.")
        return None
    except OperatorActionRequired as exc:
        return _wait_for_operator(message, exc)
    except GraphRateLimited as exc:
        delay = pair_limit_seconds(attempts)
        until = now + timedelta(seconds=delay)
        return _retry_or_give_up(message, exc, attempts, delay, backoff_until=until, conversation=conversation)
    except GraphError as exc:
        if exc.retryable:
            return _retry_or_give_up(message, exc, attempts, backoff_seconds(attempts))
        _fail(message, exc)
        return None
    _mark_sent(message, wamid)
    return None


def _retry_or_give_up(message, exc, attempts, delay, *, backoff_until=None, conversation=None) -> float | None:
    first = message.first_attempt_at or timezone.now()
    if (timezone.now() - first).total_seconds() > settings.WHATSAPP_RETRY_FOR_SECONDS:
        logger.error("Giving up on message %s after %s attempts: %s", message.pk, attempts, exc)
        _fail(message, exc, note=f"Gave up after {attempts} attempts. ")
        return None
    logger.warning("Message %s: retryable Graph error (%s), attempt %s, again in %.0f s",
                   message.pk, exc, attempts, delay)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=now + timedelta(seconds=delay), error_code=exc.code, error_title=str(exc.title)[:255],
        error_details=exc.details,
    )
    if backoff_until is not None:
        # 131056 is about this one person: only their messages wait.
        Conversation.objects.filter(pk=conversation.pk).update(send_backoff_until=backoff_until)
    return delay


def _wait_for_operator(message: Message, exc: GraphError) -> float:
    """An expired token (190) or a restricted account: nothing is delivered until someone fixes it.

    The message stays queued (it is not this message's fault, and failing it would lose the reply)
    and is tried again every OPERATOR_RETRY_SECONDS, with no limit; an alert shows staff what to fix.
    """
    logger.error("Graph refused with %s: an operator must act (token or account). Nothing is delivered until "
                 "then; message %s waits in the queue.", exc.code, message.pk)
    alerts.alert_raise(code=exc.code or 0, title=str(exc.title), details=exc.details, source="graph")
    # Not this message's fault: its retry budget starts again once the operator has fixed things.
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=OPERATOR_RETRY_SECONDS), error_code=exc.code,
        error_title=str(exc.title)[:255], error_details=f"Waiting for an operator to fix this. {exc.details or ''}",
        attempts=0, first_attempt_at=None,
    )
    return OPERATOR_RETRY_SECONDS


def _fail(message: Message, exc: GraphError, note: str = "") -> None:
    logger.warning("Message %s failed permanently: %s", message.pk, exc)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, failed_at=timezone.now(), error_code=exc.code,
        error_title=str(exc.title)[:255], error_details=note + failure_explained(exc.code, exc.details or ""),
        next_attempt_at=None,
    )


def _mark_sent(message: Message, wamid: str) -> None:
    now = timezone.now()
    # Graph took a message: whatever an operator had to fix (token, account) is fixed.
    alerts.operator_alerts_resolve()
    Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
        wamid=wamid, status=Message.Status.SENT, sent_at=now, next_attempt_at=None,
        error_code=None, error_title="", error_details="",
    )
    # A status webhook can beat us to it: apply what was recorded for this wamid meanwhile.
    early = list(StatusUpdate.objects.filter(wamid=wamid, message__isnull=True))
    if early:
        from whatsapp.services import status_reapply

        for update in early:
            status_reapply(update=update, message_id=message.pk)


def outbound_failed_later(*, message: Message) -> None:
    """A `failed` status arrived for a message Graph had accepted."""
    if message.error_code == WINDOW_CLOSED_CODE and message.type in FREE_FORM_TYPES:
        _hold(message, message.conversation, "Failed with 131047 (24-hour window closed): held until the person writes.")
    elif message.error_code in OPERATOR_CODES:
        alerts.alert_raise(code=message.error_code, title=message.error_title, details=message.error_details,
                           source="webhook")
        _resend_after_operator(message)


# A message Meta failed for the token or the account is sent again this many times at most.
OPERATOR_RESENDS = 3


def _resend_after_operator(message: Message) -> Message | None:
    """Meta accepted it, then reported it failed for the token or the account: not the message's
    fault, so a copy is queued for after the pause (the alert starts one), and the failed one stays
    as it is, with its wamid and statuses. At most OPERATOR_RESENDS times, then it stays failed."""
    resends = int((message.data or {}).get("operator_resends", 0))
    if resends >= OPERATOR_RESENDS:
        logger.error("Message %s failed with %s again after %s resends: left failed", message.pk,
                     message.error_code, resends)
        return None
    copy = Message.objects.create(
        conversation_id=message.conversation_id, direction=Message.Direction.OUTBOUND, type=message.type,
        timestamp=timezone.now(), status=Message.Status.QUEUED, text=message.text, payload=message.payload,
        sent_by=message.sent_by, data={**(message.data or {}), "operator_resends": resends + 1,
                                        "resend_of": message.pk},
        next_attempt_at=timezone.now() + timedelta(seconds=OPERATOR_RETRY_SECONDS),
        error_details=f"A copy of message {message.pk}, which Meta reported failed ({message.error_code}).")
    _flush_later(message.conversation_id, OPERATOR_RETRY_SECONDS)
    return copy
