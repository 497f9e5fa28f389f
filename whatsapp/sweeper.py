"""The sweeper: re-queues work a broker outage or a dead worker left behind, and attaches status
webhooks that raced ahead of the message they report on.

Run by Celery beat every WHATSAPP_SWEEP_EVERY_SECONDS (30 s) and by `manage.py sweep` from cron. Everything it queues is
idempotent, so sweeping too often is harmless.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from whatsapp.models import Message, StatusUpdate, on_our_number_q
from whatsapp.statuses import status_reapply

logger = logging.getLogger(__name__)
BATCH = 500
# Statuses for messages we never knew are kept, but only looked at again for this long.
RELINK_DAYS = 7


@dataclass
class SweepResult:
    inbound: int
    conversations: int
    statuses: int = 0


def sweep(*, older_than_seconds: int | None = None) -> SweepResult:
    from whatsapp.tasks import inbound_handle_task, outbound_send_task

    age = older_than_seconds if older_than_seconds is not None else settings.WHATSAPP_SWEEP_AFTER_SECONDS
    now = timezone.now()
    cutoff = now - timedelta(seconds=age)
    # A conversation a live worker holds is left to it (its lease is renewed while it works); a
    # dead worker's lease runs out within WHATSAPP_INBOUND_LEASE_SECONDS, and its messages are
    # picked up by the next sweep after that.
    inbound = list(
        Message.objects.filter(direction=Message.Direction.INBOUND, status=Message.Status.RECEIVED,
                               created_at__lt=cutoff)
        .exclude(conversation__inbound_lease_until__gt=now)
        .order_by("timestamp", "id").values_list("pk", flat=True)[:BATCH]
    )
    for pk in inbound:
        inbound_handle_task.delay(pk)
    stuck = Q(next_attempt_at__isnull=True, created_at__lt=cutoff) | Q(next_attempt_at__lt=cutoff)
    # An outbox whose first message waits for a retry (or the person's back-off) is not stuck: the
    # task that set the wait wakes it. Waking it every minute would only pile up tasks.
    waiting = Message.objects.filter(direction=Message.Direction.OUTBOUND, status=Message.Status.QUEUED,
                                     next_attempt_at__gt=now).values("conversation_id")
    conversations = list(
        Message.objects.filter(stuck, direction=Message.Direction.OUTBOUND, status=Message.Status.QUEUED)
        .exclude(conversation_id__in=waiting).exclude(conversation__send_backoff_until__gt=now)
        .exclude(conversation__outbox_lease_until__gt=now)
        .values_list("conversation_id", flat=True).distinct()[:BATCH]
    )
    for conversation_id in conversations:
        outbound_send_task.delay(conversation_id)
    if inbound or conversations:
        logger.warning("Sweeper re-queued %s inbound messages and %s outboxes", len(inbound), len(conversations))
    return SweepResult(inbound=len(inbound), conversations=len(conversations), statuses=statuses_relink())


def statuses_relink() -> int:
    """Attach statuses recorded before their message had its wamid.

    A status webhook can commit just after the sender stored the wamid and looked for early
    statuses, so neither side saw the other; this pass closes that gap.
    """
    since = timezone.now() - timedelta(days=RELINK_DAYS)
    # Another business number's statuses are kept apart: they never move our messages.
    orphans = StatusUpdate.objects.filter(on_our_number_q(), message__isnull=True, received_at__gte=since)
    targets = dict(Message.objects.filter(direction=Message.Direction.OUTBOUND,
                                          wamid__in=orphans.values("wamid")).values_list("wamid", "pk"))
    relinked = 0
    for update in orphans.filter(wamid__in=list(targets)).order_by("timestamp", "id")[:BATCH]:
        status_reapply(update=update, message_id=targets[update.wamid])
        relinked += 1
    if relinked:
        logger.warning("Sweeper attached %s statuses that arrived before their message", relinked)
    return relinked
