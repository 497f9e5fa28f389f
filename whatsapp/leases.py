"""Short leases on a conversation row, so that one worker at a time works on it.

A lease is a conditional UPDATE with an expiry (the same on SQLite and PostgreSQL): a worker
killed mid-task lets go by itself, and no transaction stays open across network calls. Leases are
short and renewed while their holder works (LeaseKept), so a dead worker lets go quickly.
"""

import logging
import threading
import time
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from whatsapp.models import Conversation

logger = logging.getLogger(__name__)
# Another worker holds the lease: the task asks again this many seconds later.
BUSY_RETRY_SECONDS = 2.0


def lease_acquire(conversation_id: int, field: str, seconds: int) -> datetime | None:
    """Take the lease; returns its token (the expiry) or None when another worker holds it."""
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    free = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})
    taken = Conversation.objects.filter(Q(pk=conversation_id) & free).update(**{field: until})
    return until if taken else None


def lease_renew(conversation_id: int, field: str, token: datetime, seconds: int) -> datetime | None:
    until = timezone.now() + timedelta(seconds=seconds)
    renewed = Conversation.objects.filter(pk=conversation_id, **{field: token}).update(**{field: until})
    return until if renewed else None


def lease_release(conversation_id: int, field: str, token: datetime) -> None:
    """Let go, unless the lease expired and someone else holds it now."""
    Conversation.objects.filter(pk=conversation_id, **{field: token}).update(**{field: None})


class LeaseKept:
    """Keeps a lease renewed from a thread of its own while its holder works, so a holder that is
    alive (a slow assistant turn, a model call that takes a minute) is never taken over, and one
    that died lets go within `seconds`: the lease can stay short.

        with LeaseKept(conversation_id, "inbound_lease_until", token, seconds) as kept:
            ...  # the work
        lease_release(conversation_id, "inbound_lease_until", kept.token)

    It renews every third of the lease, and stops after `longest` seconds (the task's hard time
    limit: the worker kills a task that runs longer), or once the lease was lost (the database was
    out of reach for longer than the lease and someone else took it over). The holder may also
    renew between steps (`renew()`), to stop at once when it was lost.
    """

    def __init__(self, conversation_id: int, field: str, token: datetime, seconds: int, *,
                 longest: float | None = None):
        self.conversation_id, self.field, self.seconds = conversation_id, field, seconds
        self.longest = longest
        self._token = token
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"lease-{field}-{conversation_id}", daemon=True)
        self.lost = False

    @property
    def token(self) -> datetime:
        with self._lock:
            return self._token

    def __enter__(self) -> "LeaseKept":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        # A renewal in flight finishes first, so `token` is the latest one. (Bounded: a renewal
        # that waits for a lock this thread's own open transaction holds, as in a test, gives up.)
        self._thread.join(timeout=self.seconds)

    def renew(self) -> bool:
        """Renew now, between two steps of the work; False once the lease is lost (stop then)."""
        with self._lock:
            if not self.lost:
                renewed = lease_renew(self.conversation_id, self.field, self._token, self.seconds)
                if renewed is None:
                    logger.warning("Lost the %s of conversation %s", self.field, self.conversation_id)
                    self.lost = True
                else:
                    self._token = renewed
            return not self.lost

    def _keep(self) -> None:
        started = time.monotonic()
        try:
            while not self._stop.wait(self.seconds / 3):
                if self.longest is not None and time.monotonic() - started > self.longest:
                    return
                try:
                    if not self.renew():
                        return
                except DatabaseError as exc:  # out of reach for a moment: try again at the next beat
                    logger.warning("Could not renew the %s of conversation %s: %s", self.field,
                                   self.conversation_id, exc)
        finally:
            connection.close()  # this thread's own database connection
