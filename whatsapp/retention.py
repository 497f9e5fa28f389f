"""Retention: personal data the channel keeps is removed once it is old enough.

- Raw webhook bodies after RETENTION_WEBHOOK_BODY_DAYS: the event row stays (when, counts,
  status, error) and only the bytes go; the raw copies of each message and status go with them.
  Messages, their texts and transcripts stay: they are the conversation.
- Chat media (photos, voice notes, documents) after RETENTION_CHAT_MEDIA_DAYS: the file is
  deleted, the message keeps its type and file name and says "media removed (retention)". Meta's
  media id goes too, so nothing downloads it again. An expense keeps its own copy of its receipt,
  which the agent removes after the bookkeeping period (agent.retention).

`retention_purge` runs every purge named in settings.RETENTION_PURGES (beat, daily; and
`manage.py purge_retention`). Each purge takes `now` and `dry_run` and returns what it removed (or
would remove) as (description, count) pairs.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from whatsapp.models import Message, SandboxMedia, StatusUpdate, WebhookEvent

BATCH = 500

Purged = list[tuple[str, int]]


def retention_purge(*, dry_run: bool = False, now: datetime | None = None) -> Purged:
    """Run every purge in settings.RETENTION_PURGES; what each removed (or would), in order."""
    now = now or timezone.now()
    results: Purged = []
    for path in settings.RETENTION_PURGES:
        results += import_string(path)(now=now, dry_run=dry_run)
    return results


def channel_purge(*, now: datetime, dry_run: bool) -> Purged:
    bodies_before = now - timedelta(days=settings.RETENTION_WEBHOOK_BODY_DAYS)
    media_before = now - timedelta(days=settings.RETENTION_CHAT_MEDIA_DAYS)
    body_days, media_days = settings.RETENTION_WEBHOOK_BODY_DAYS, settings.RETENTION_CHAT_MEDIA_DAYS
    return [
        (f"webhook bodies older than {body_days} days", webhook_bodies_purge(before=bodies_before, now=now,
                                                                             dry_run=dry_run)),
        (f"raw copies of messages and statuses older than {body_days} days",
         raw_copies_purge(before=bodies_before, dry_run=dry_run)),
        (f"chat media older than {media_days} days", chat_media_purge(before=media_before, now=now,
                                                                      dry_run=dry_run)),
    ]


def _in_batches(queryset, apply) -> int:
    """Apply `apply(pks)` to the rows of `queryset` a batch at a time (short transactions)."""
    done = 0
    while pks := list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            apply(pks)
        done += len(pks)
    return done


def webhook_bodies_purge(*, before: datetime, now: datetime, dry_run: bool = False) -> int:
    events = WebhookEvent.objects.filter(received_at__lt=before, body_purged_at__isnull=True)
    if dry_run:
        return events.count()
    return _in_batches(events, lambda pks: WebhookEvent.objects.filter(pk__in=pks).update(
        body=b"", body_purged_at=now))


def raw_copies_purge(*, before: datetime, dry_run: bool = False) -> int:
    messages = Message.objects.filter(created_at__lt=before, raw__isnull=False)
    statuses = StatusUpdate.objects.filter(received_at__lt=before).exclude(raw={})
    if dry_run:
        return messages.count() + statuses.count()
    return (_in_batches(messages, lambda pks: Message.objects.filter(pk__in=pks).update(raw=None))
            + _in_batches(statuses, lambda pks: StatusUpdate.objects.filter(pk__in=pks).update(raw={})))


def chat_media_purge(*, before: datetime, now: datetime, dry_run: bool = False) -> int:
    """Delete the media files (and Meta's media ids) of messages older than `before`."""
    messages = Message.objects.filter(Q(media_id__gt="") | Q(media_file__gt=""), created_at__lt=before,
                                      media_removed_at__isnull=True)
    sandbox = SandboxMedia.objects.filter(created_at__lt=before)
    if dry_run:
        return messages.count() + sandbox.count()
    storage = Message._meta.get_field("media_file").storage

    def remove(pks):
        files = [name for name in Message.objects.filter(pk__in=pks).values_list("media_file", flat=True) if name]
        Message.objects.filter(pk__in=pks).update(media_file="", media_id="", media_removed_at=now)
        # The files go once the rows no longer point at them (a file left behind is harmless; a
        # row pointing at a missing file would not be).
        transaction.on_commit(lambda: [storage.delete(name) for name in files])

    removed = _in_batches(messages, remove)
    return removed + _in_batches(sandbox, lambda pks: SandboxMedia.objects.filter(pk__in=pks).delete())
