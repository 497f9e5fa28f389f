"""What intake asks of the database: four writes, by one of two stores behind this interface.

`OrmStore` (whatsapp.intake.orm) writes with the ORM and runs on every database (SQLite in
development and tests). `PostgresStore` (whatsapp.intake.postgres) writes the same rows with one
statement per call, the webhook's hot path in production. whatsapp.intake.receive chooses one
once, at first use, by the connection's vendor, and decides everything else itself (which path a
body takes, what happens after a message is stored), so both run the same flow. Both follow
whatsapp.identity (who wrote, which conversation) and whatsapp.statuses (how a status moves a
message); tests/whatsapp/test_intake_parity.py proves they store the same rows for every fixture,
and tests/whatsapp/test_intake_guard.py that the PostgreSQL statements fill every field.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from whatsapp.identity import Seen
from whatsapp.payloads import InboundMessage, StatusReport


@dataclass(frozen=True)
class Stored:
    """A message stored for the first time: its row, whether its sender may be answered, and what
    intake saw of who they are (for whatsapp.identity.identity_remember)."""

    message_id: int
    conversation_id: int
    allowed: bool
    seen: Seen


class IntakeStore(Protocol):
    """The writes of intake. Each runs in the caller's transaction, if any, else as its own."""

    def event_insert(self, *, body: bytes, message_count: int, status_count: int, error: str,
                     now: datetime) -> int:
        """The webhook event row of an accepted body (processed); returns its id."""
        ...

    def message_insert(self, *, inbound: InboundMessage, event_id: int | None, now: datetime,
                       ours: bool) -> Stored | None:
        """Store one inbound message exactly once (keyed by its wamid), with its sender and their
        conversation (created if need be, its window and profile name brought up to date).

        None for a duplicate: the unique wamid decides. `ours`: the message is for our business
        number (else it is stored as another number's, never answered)."""
        ...

    def event_and_message_insert(self, *, body: bytes, inbound: InboundMessage, error: str, now: datetime,
                                 ours: bool) -> tuple[int, Stored | None]:
        """A body holding one message and nothing else: its event row and the message, together or
        not at all. (event id, what message_insert returns)."""
        ...

    def event_and_status_insert(self, *, body: bytes, report: StatusReport, now: datetime) -> int:
        """A body holding one status of ours (one of whatsapp.statuses.STATUS_RANK) and nothing
        else: its event row, the status recorded once and its message moved forward, together or
        not at all. Returns the event id."""
        ...
