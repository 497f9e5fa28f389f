"""Operator alerts: problems nothing but a person can fix, listed in the admin."""

import logging
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from whatsapp.models import ChannelAlert
from whatsapp.outbound.errors import OPERATOR_CODES

logger = logging.getLogger(__name__)
# While the token or the account needs an operator, each waiting outbox asks Graph again this often.
OPERATOR_RETRY_SECONDS = 300


def alert_raise(*, code: int, title: str, details: str = "", source: str, subject: str = "") -> ChannelAlert:
    """Open an alert for this code (and subject: a template, say), or count one more occurrence of
    the open one."""
    now = timezone.now()
    alert = ChannelAlert.objects.filter(code=code, source=source, subject=subject, resolved_at__isnull=True).first()
    if alert is None:
        return ChannelAlert.objects.create(code=code, title=title[:255], details=details, source=source,
                                           subject=subject[:255], first_seen_at=now, last_seen_at=now)
    ChannelAlert.objects.filter(pk=alert.pk).update(count=F("count") + 1, last_seen_at=now, details=details,
                                                    title=title[:255])
    return alert


def alerts_resolve(*, source: str, subject: str) -> int:
    """What the alerts about `subject` said is over (a template can be sent again)."""
    return alerts_open().filter(source=source, subject=subject).update(resolved_at=timezone.now())


def alerts_open():
    return ChannelAlert.objects.filter(resolved_at__isnull=True)


def operator_pause_until():
    """While Graph refuses our token or account, when to ask it again (None: not paused).

    An open alert for 190, 368 or 131031 pauses every outbox until OPERATOR_RETRY_SECONDS after Meta
    last said so; then the first conversation due sends again, which is the probe. A pause from a
    failed status ends on its own when no new failure comes; its alert stays for staff to resolve.
    """
    # From a refused send, or from a failed status webhook: Meta took the message, then failed it.
    last = (ChannelAlert.objects.filter(code__in=OPERATOR_CODES, resolved_at__isnull=True)
            .order_by("-last_seen_at").values_list("last_seen_at", flat=True).first())
    return last + timedelta(seconds=OPERATOR_RETRY_SECONDS) if last else None


def operator_alerts_resolve() -> int:
    """Graph accepted a message again: the token or account problem is over."""
    # Only alerts from refused sends: a failure Meta reports later could still come for this one.
    open_alerts = ChannelAlert.objects.filter(code__in=OPERATOR_CODES, source="graph", resolved_at__isnull=True)
    if not open_alerts.exists():  # the usual case: a read, no write
        return 0
    resolved = open_alerts.update(resolved_at=timezone.now())
    if resolved:
        logger.warning("Graph accepts messages again: %s operator alert(s) resolved", resolved)
    return resolved
