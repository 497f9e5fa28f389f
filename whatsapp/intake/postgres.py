"""Intake on PostgreSQL: each write is one statement (whatsapp.intake.sql), one round trip.

`INSERT ... ON CONFLICT` on the conversation and on the message's wamid, so a redelivery or a race
between two gunicorn workers stores the message once, with no savepoint and no retry. A body that
holds one message, or one status, and nothing else (nearly all of Meta's) stores its event row in
the same statement; in autocommit that statement is its own transaction, so the webhook costs one
round trip and one commit, with no BEGIN and no COMMIT. Each statement is a server-side prepared
statement, parsed and planned once per connection (DATABASE_PREPARED_STATEMENTS).

The statement texts are built once, when this store is chosen, written with named parameters and
handed to PostgreSQL with its own $1, $2 ... (converted once: psycopg would otherwise parse the
text again for every webhook, 0.3 ms for the message statement). The values are computed for each
row, the models' defaults included, but for defaults that are a fixed value (not a function), the
same for every row by definition (tests/whatsapp/test_intake_guard.py): nothing of one row is kept
for the next.
"""

import logging
import re

import psycopg
from django.conf import settings
from django.db import connection

from accounts.phone import e164_from_wa_id
from whatsapp import identity
from whatsapp.identity import Seen
from whatsapp.intake import sql
from whatsapp.intake.store import IntakeStore, Stored
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.payloads import InboundMessage, StatusReport
from whatsapp.statuses import STATUS_TIME_FIELD, earlier_than

logger = logging.getLogger(__name__)


_NAMED = re.compile(r"%\((\w+)\)s")


def numbered(text: str) -> tuple[str, tuple[str, ...]]:
    """A statement written with named parameters as PostgreSQL takes it ($1, $2 ...; a name used
    twice is one parameter), and the names in that order."""
    order: dict[str, int] = {}

    def number(match) -> str:
        return f"${order.setdefault(match.group(1), len(order) + 1)}"

    return _NAMED.sub(number, text), tuple(order)


class Statement:
    """A statement written with named parameters (%(name)s), converted once to PostgreSQL's own."""

    def __init__(self, text: str):
        self.text = text
        self.numbered, self.names = numbered(text)

    def values(self, params: dict) -> list:
        """The parameters in the order of $1, $2 ..."""
        return [params[name] for name in self.names]

    def fetch_one(self, params: dict) -> tuple | None:
        return fetch_one_prepared(self.numbered, self.values(params))


def fetch_one_prepared(statement: str, params: list) -> tuple | None:
    """The first row of one statement written with $1, $2 ..., prepared once per connection (unless
    turned off)."""
    with connection.wrap_database_errors:  # psycopg's errors become Django's (the view answers 503)
        connection.ensure_connection()
        pg = connection.connection
        with psycopg.RawCursor(pg) as cursor:
            if not settings.DATABASE_PREPARED_STATEMENTS:
                cursor.execute(statement, params)
                return cursor.fetchone()
            # A server-side prepared statement: PostgreSQL parses and plans this once per connection
            # instead of once per webhook (0.4 ms of its CPU each time). Django keeps psycopg's
            # preparing off, and it stays off for every other query: with it on, psycopg would
            # remember the text of Django's queries, whose values (webhook bodies, uploads) are in it.
            previous = pg.prepare_threshold
            pg.prepare_threshold = 0
            try:
                cursor.execute(statement, params, prepare=True)
            finally:
                pg.prepare_threshold = previous
            return cursor.fetchone()


def default_is_fixed(field) -> bool:
    """Whether a field's default is the same for every row: a value, or none (the field's empty
    value), not a function (such as timezone.now) that the ORM calls for each row."""
    return not (field.has_default() and callable(field.default))


class _Values:
    """A model's parameters for one row: its row fields from the given values, its default fields
    from the model, as the ORM would (a fixed default's database value once, a function's per row)."""

    def __init__(self, model):
        prefix, fields = sql.PREFIX[model], sql.FIELDS[model]
        get = model._meta.get_field
        self.row = [(f"{prefix}_{name}", get(name)) for name in fields.row]
        defaults = [(f"{prefix}_{name}", get(name)) for name in fields.defaults]
        self.fixed = {key: field.get_db_prep_save(field.get_default(), connection)
                      for key, field in defaults if default_is_fixed(field)}
        self.per_row = [(key, field) for key, field in defaults if not default_is_fixed(field)]

    def __call__(self, values: dict) -> dict:
        params = dict(self.fixed)
        for key, field in self.row:
            params[key] = field.get_db_prep_save(values[field.name], connection)
        for key, field in self.per_row:
            params[key] = field.get_db_prep_save(field.get_default(), connection)
        return params


class PostgresStore(IntakeStore):
    def __init__(self):
        self.event_sql = Statement(sql.event_statement())
        message_sql, self.identity_constants = sql.message_statement(with_event=False)
        self.message_sql = Statement(message_sql)
        self.event_message_sql = Statement(sql.message_statement(with_event=True)[0])
        self.status_sql = Statement(sql.status_statement())
        self.event_values = _Values(WebhookEvent)
        self.conversation_values = _Values(Conversation)
        self.message_values = _Values(Message)
        self.status_values = _Values(StatusUpdate)

    # --- the interface ----------------------------------------------------------------------------
    def event_insert(self, *, body, message_count, status_count, error, now) -> int:
        params = self._event_params(body=body, message_count=message_count, status_count=status_count,
                                    error=error, now=now)
        return self.event_sql.fetch_one(params)[0]

    def message_insert(self, *, inbound, event_id, now, ours) -> Stored | None:
        statement, params = self.message_statement(inbound, event_id=event_id, now=now, ours=ours)
        row = statement.fetch_one(params)
        while row[0] is not None:  # someone else's conversation: it lets go of the ids (rare), then again
            identity.conversation_release(row[0], wa_id=inbound.wa_id, bsuid=inbound.bsuid)
            row = statement.fetch_one(params)
        return _stored(row[1:])

    def event_and_message_insert(self, *, body, inbound, error, now, ours) -> tuple[int, Stored | None]:
        params = {**self._message_params(inbound, now=now, ours=ours),
                  **self._event_params(body=body, message_count=1, status_count=0, error=error, now=now)}
        event_id, taken, *row = self.event_message_sql.fetch_one(params)
        if taken is None:
            return event_id, _stored(row)
        identity.conversation_release(taken, wa_id=inbound.wa_id, bsuid=inbound.bsuid)
        return event_id, self.message_insert(inbound=inbound, event_id=event_id, now=now, ours=ours)

    def event_and_status_insert(self, *, body, report: StatusReport, now) -> int:
        params = {
            **self._event_params(body=body, message_count=0, status_count=1, error="", now=now),
            **self.status_values({"wamid": report.wamid, "status": report.status, "timestamp": report.timestamp,
                                  "recipient_id": report.recipient_id, "recipient_user_id": report.recipient_user_id,
                                  "errors": report.errors, "raw": report.raw, "received_at": now,
                                  "phone_number_id": report.phone_number_id}),
            "outbound": Message.Direction.OUTBOUND.value,
            "earlier": list(earlier_than(report.status)),
            "time_field": STATUS_TIME_FIELD.get(report.status, ""),
        }
        event_id, new, message_id = self.status_sql.fetch_one(params)
        if new and message_id is None:
            logger.info("Status %s for unknown message %s recorded", report.status, report.wamid)
        return event_id

    # --- parameters -------------------------------------------------------------------------------
    def message_statement(self, inbound: InboundMessage, *, event_id: int | None, now,
                          ours: bool) -> tuple[Statement, dict]:
        """The one-message statement (event row not included) and its parameters."""
        return self.message_sql, {**self._message_params(inbound, now=now, ours=ours), "event_id": event_id}

    def _event_params(self, *, body, message_count, status_count, error, now) -> dict:
        return self.event_values({"received_at": now, "body": body, "error": error, "message_count": message_count,
                                  "status_count": status_count})

    def _message_params(self, inbound: InboundMessage, *, now, ours: bool) -> dict:
        not_answered = Message.Status.IGNORED if ours else Message.Status.OTHER_NUMBER
        return {
            **self.identity_constants,
            "phone": e164_from_wa_id(inbound.wa_id), "bsuid": inbound.bsuid, "wa_id": inbound.wa_id,
            "phone_number_id": inbound.phone_number_id,
            **self.conversation_values({
                "phone_number_id": inbound.phone_number_id, "wa_id": inbound.wa_id, "bsuid": inbound.bsuid,
                "profile_name": inbound.profile_name, "created_at": now, "last_inbound_at": inbound.window_opened_at,
                "last_message_at": inbound.timestamp}),
            "c_contact_key": inbound.contact_key,
            **self.message_values({
                "direction": Message.Direction.INBOUND.value, "wamid": inbound.wamid, "type": inbound.type,
                "timestamp": inbound.timestamp, "created_at": now, "text": inbound.text,
                "media_id": inbound.media_id, "media_mime_type": inbound.media_mime_type,
                "media_sha256": inbound.media_sha256, "media_filename": inbound.media_filename,
                "media_voice": inbound.media_voice, "data": inbound.data, "context_wamid": inbound.context_wamid,
                "referral": inbound.referral, "raw": inbound.raw}),
            "ours": ours, "answered_status": Message.Status.RECEIVED.value, "unanswered_status": not_answered.value,
        }


def _stored(row) -> Stored | None:
    """What message_insert returns, from the statement's row (after its first columns): None for a
    duplicate."""
    if row[0] is None:
        return None
    message_id, conversation_id, allowed, *seen = row
    return Stored(message_id, conversation_id, allowed, Seen(*seen))
