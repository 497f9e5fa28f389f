"""Sending: one conversation's outbox, oldest first, one message at a time, under a lease.

Retryable Graph failures wait (whatsapp.outbound.retry) and are tried again for
WHATSAPP_RETRY_FOR_SECONDS; a closed window holds the message; a refused token or account pauses
every outbox until an operator fixes it (whatsapp.alerts).
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from whatsapp import alerts
from whatsapp.alerts import OPERATOR_RETRY_SECONDS
from whatsapp.leases import BUSY_RETRY_SECONDS, LeaseKept, lease_acquire, lease_release
from whatsapp.models import Conversation, Message, StatusUpdate
from whatsapp.outbound.client import GraphClient, media_filled, text_payload
from whatsapp.outbound.errors import (
    GraphError,
    GraphPermanentError,
    GraphRateLimited,
    TEMPLATE_CODES,
    OperatorActionRequired,
    WindowClosed,
    failure_explained,
)
from whatsapp.catalogue.check import Problem, template_check
from whatsapp.catalogue.held import template_hold, template_refused
from whatsapp.outbound.queue import FREE_FORM_TYPES, outbound_window_closed
from whatsapp.outbound.retry import backoff_seconds, pair_limit_seconds
from whatsapp.outbound.text import text_for_person
from whatsapp.statuses import status_reapply

logger = logging.getLogger(__name__)

# Short, and renewed while a send runs (whatsapp.leases.LeaseKept): a dead sender lets go soon.
OUTBOX_LEASE_SECONDS = 45
# Graph keeps an uploaded file for 30 days; a message sent later (held that long) uploads it again.
UPLOAD_KEPT = timedelta(days=29)


def outbound_send(*, conversation_id: int, client: GraphClient | None = None) -> float | None:
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
        outbound_window_closed(message=message, conversation=conversation,
                               reason="The 24-hour window was closed: held until the person writes again.")
        return None
    if message.type == "template":
        # The catalogue may have changed since it was queued (Meta paused the template, say).
        sent = (message.payload or {}).get("template") or {}
        problem = template_check(name=str(sent.get("name") or ""),
                                 language=str((sent.get("language") or {}).get("code") or ""),
                                 components=sent.get("components"), file_to_upload=bool(message.media_file))
        if problem is not None:
            template_hold(message=message, problem=problem)
            return None
    payload = message.payload or text_payload(conversation.recipient, text_for_person(message))
    attempts = message.attempts + 1
    Message.objects.filter(pk=message.pk).update(attempts=attempts, first_attempt_at=message.first_attempt_at or now)
    try:
        if message.media_file:
            payload = media_filled(payload, _uploaded(message, conversation, client, now))
        wamid = client.send_message(payload, phone_number_id=conversation.phone_number_id)
    except WindowClosed:
        outbound_window_closed(message=message, conversation=conversation,
                               reason="Graph answered 131047 (24-hour window closed): held until the person writes.")
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
        if message.type == "template" and exc.code in TEMPLATE_CODES:
            _catalogue_out_of_date(message, exc)
            return None
        _fail(message, exc)
        return None
    except OSError as exc:
        _fail(message, GraphPermanentError("The file to send is gone", title="File missing", details=str(exc)))
        return None
    _mark_sent(message, wamid)
    return None


def _catalogue_out_of_date(message: Message, exc: GraphError) -> None:
    """Meta refused a template the catalogue had as approved with these values: held, not failed,
    and the catalogue synced (whatsapp.catalogue.held.template_refused)."""
    template_refused(message=message, problem=Problem(
        exc.code, f"Meta refused the template: {exc.title}"[:255],
        f"{exc.details} The template catalogue was out of date; it is being synced. The message is held and goes "
        "out once the template changes in the catalogue (Meta's current text, or a new approval).".strip()))


def _uploaded(message: Message, conversation: Conversation, client: GraphClient, now) -> str:
    """The media id of the message's file: uploaded once (a retry sends the same id), again when
    Graph may have dropped it."""
    uploaded_at = parse_datetime(str((message.data or {}).get("media_uploaded_at") or ""))
    if message.media_id and uploaded_at and now - uploaded_at < UPLOAD_KEPT:
        return message.media_id
    with message.media_file.open("rb") as handle:
        content = handle.read()
    media_id = client.upload_media(content, mime_type=message.media_mime_type or "application/octet-stream",
                                   filename=message.media_filename or "file",
                                   phone_number_id=conversation.phone_number_id)
    message.data = {**(message.data or {}), "media_uploaded_at": now.isoformat()}
    message.media_id = media_id
    Message.objects.filter(pk=message.pk).update(media_id=media_id, data=message.data)
    return media_id


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
    for update in early:
        status_reapply(update=update, message_id=message.pk)
