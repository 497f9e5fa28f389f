"""Operator alerts: problems nothing but a person can fix, listed in the admin."""

import logging

from django.db.models import F
from django.utils import timezone

from whatsapp.models import ChannelAlert

logger = logging.getLogger(__name__)


def alert_raise(*, code: int, title: str, details: str = "", source: str) -> ChannelAlert:
    """Open an alert for this code, or count one more occurrence of the open one."""
    now = timezone.now()
    alert = ChannelAlert.objects.filter(code=code, source=source, resolved_at__isnull=True).first()
    if alert is None:
        return ChannelAlert.objects.create(code=code, title=title[:255], details=details, source=source,
                                           first_seen_at=now, last_seen_at=now)
    ChannelAlert.objects.filter(pk=alert.pk).update(count=F("count") + 1, last_seen_at=now, details=details)
    return alert


def alerts_open():
    return ChannelAlert.objects.filter(resolved_at__isnull=True)
