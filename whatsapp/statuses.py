"""Delivery statuses Meta reports for our messages: recorded once, moving a message forward only.

Intake records them (whatsapp.intake), the sender applies one that raced ahead of the wamid it
stored (whatsapp.outbound.sender), and so does the sweeper. A `failed` status of a message Graph
had accepted asks the outbox to react (hold it for the person, or resend it after an operator's
fix): that reaction is a task of its own (outbound_failed_later_task), queued once the failure is
committed, so nothing here imports the outbox.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from whatsapp.models import Message, StatusUpdate, WebhookEvent, on_our_number
from whatsapp.outbound.errors import failure_explained
from whatsapp.payloads import StatusReport, first_error

logger = logging.getLogger(__name__)

# Outbound statuses in the order they happen; a report never moves a message backwards.
STATUS_RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.READ: 3,
    Message.Status.PLAYED: 4,
}
# The message's field that keeps when each status happened.
STATUS_TIME_FIELD = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}


def earlier_than(status: str) -> tuple[str, ...]:
    """The statuses a message may move forward from to `status` (one of STATUS_RANK)."""
    rank = STATUS_RANK[status]
    return tuple(s.value for s, r in STATUS_RANK.items() if r < rank)


def status_apply(*, report: StatusReport, event: WebhookEvent | None, now: datetime | None = None) -> None:
    """Record a delivery status once per (wamid, status) and move the message forward, never back.

    A status for a message we do not know (yet) is recorded all the same; one reported for another
    business number is recorded and moves nothing. `now`: when it was received (default: now).
    """
    ours = on_our_number(report.phone_number_id)
    message = (Message.objects.filter(wamid=report.wamid, direction=Message.Direction.OUTBOUND).first()
               if ours else None)
    try:
        with transaction.atomic():
            StatusUpdate.objects.create(
                wamid=report.wamid, status=report.status, timestamp=report.timestamp,
                recipient_id=report.recipient_id, recipient_user_id=report.recipient_user_id,
                errors=report.errors, raw=report.raw,
                message=message, webhook_event=event, phone_number_id=report.phone_number_id,
                received_at=now or timezone.now(),
            )
    except IntegrityError:
        if StatusUpdate.objects.filter(wamid=report.wamid, status=report.status).exists():
            return  # a redelivery: already applied
        raise
    if not ours:
        logger.warning("Status %s for another business number %r recorded, not applied",
                       report.status, report.phone_number_id)
        return
    if message is None:
        logger.info("Status %s for unknown message %s recorded", report.status, report.wamid)
        return
    _status_to_message(message, report.status, report.timestamp, report.errors)


def status_reapply(*, update: StatusUpdate, message_id: int) -> None:
    """Apply a status that arrived before we had stored the message's wamid."""
    if StatusUpdate.objects.filter(pk=update.pk, message__isnull=True).update(message_id=message_id):
        message = Message.objects.get(pk=message_id)
        _status_to_message(message, update.status, update.timestamp, update.errors)


def _status_to_message(message: Message, status: str, timestamp, errors) -> None:
    if status == "failed":
        _failed_apply(message, timestamp, errors)
        return
    if status not in STATUS_RANK:
        logger.warning("Unknown status %r for message %s recorded", status, message.pk)
        return
    update = {"status": status}
    if status in STATUS_TIME_FIELD:
        update[STATUS_TIME_FIELD[status]] = timestamp
    Message.objects.filter(pk=message.pk, status__in=earlier_than(status)).update(**update)
    # A later status that arrived first still leaves the earlier event's time on record.
    if status in STATUS_TIME_FIELD:
        field = STATUS_TIME_FIELD[status]
        Message.objects.filter(pk=message.pk, **{f"{field}__isnull": True}).update(**{field: timestamp})


def _failed_apply(message: Message, timestamp, errors) -> None:
    error = first_error(errors)
    details = failure_explained(error.code, error.details)
    # A message already delivered or read did not fail: a stray late report does not undo that.
    updated = Message.objects.filter(pk=message.pk, status__in=[Message.Status.QUEUED, Message.Status.SENT]).update(
        status=Message.Status.FAILED, failed_at=timestamp, error_code=error.code,
        error_title=error.title, error_details=details,
    )
    if updated:
        transaction.on_commit(lambda: _failed_react(message.pk))


def _failed_react(message_id: int) -> None:
    """Queue the outbox's reaction to the failure; when the broker cannot take it now, react here
    (the sweeper has no copy of this work, and the failure must not go unanswered)."""
    from whatsapp.tasks import outbound_failed_later_task

    try:
        outbound_failed_later_task.delay(message_id)
    except BrokerUnavailable:
        logger.warning("Could not queue the reaction to the failure of message %s; reacting now", message_id,
                       exc_info=True)
        outbound_failed_later_task.apply((message_id,))
