"""The webhook's hot path on PostgreSQL: one statement per inbound message.

It does what `services.inbound_store` does with the ORM (look up the sender, upsert the
conversation, extend its window, insert the message once), in a single round trip:
`INSERT ... ON CONFLICT` on the conversation and on the message's wamid, so a redelivery or a
race between two gunicorn workers stores the message once, with no savepoint and no retry.
Who the sender is and which conversation is theirs are the selectors of whatsapp.identity,
compiled into the statement, so the rule is the ORM path's own.

A body that holds exactly one message and nothing else (what Meta sends for nearly every message)
goes further: `event_and_message_insert` stores the raw body's event row in the same statement.
In autocommit that statement is its own transaction, so the webhook costs one round trip and one
commit, with no BEGIN and no COMMIT of its own. Measured by bench/webhook_ingest.py.
"""

from functools import lru_cache

import psycopg

from django.conf import settings
from django.db import connection

from accounts.phone import e164_from_wa_id
from accounts.selectors import sender_match
from whatsapp.identity import Seen, conversation_match
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.payloads import InboundMessage, StatusReport

# Filled per message; everything else is the model's default, computed once.
_MESSAGE_VARIABLE = ("wamid", "type", "timestamp", "created_at", "text", "media_id", "media_mime_type",
                     "media_sha256", "media_filename", "media_voice", "data", "context_wamid", "referral",
                     "raw")
_MESSAGE_COMPUTED = ("id", "conversation", "status", "sender_allowed", "webhook_event")
_EVENT_VARIABLE = ("received_at", "body", "error", "message_count", "status_count")
# Stand-ins for a message's values while the identity selectors are compiled into the statement.
_SLOTS = {"phone": "\x00phone", "bsuid": "\x00bsuid", "wa_id": "\x00wa_id", "phone_number_id": "\x00pni"}
# What the statement returns after the message's own columns: whatsapp.identity.Seen's values.
_SEEN = "conv.id, conv.wa_id, conv.bsuid, conv.last_inbound_at, sender.id, sender.phone_number, sender.bsuid"


def _embedded(queryset) -> tuple[str, tuple]:
    """A selector's SQL, and for each of its parameters ("slot", name) or ("constant", value)."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    slot_of = {value: name for name, value in _SLOTS.items()}
    return sql, tuple(("slot", slot_of[p]) if isinstance(p, str) and p in slot_of else ("constant", p)
                      for p in params)


def _identity_parts() -> tuple[str, tuple]:
    """The `sender` and `found` CTEs (whatsapp.identity's selectors) and their parameter plan."""
    sender_sql, sender_plan = _embedded(
        sender_match(phone=_SLOTS["phone"], bsuid=_SLOTS["bsuid"])
        .values("id", "is_active", "phone_number", "bsuid")[:1])
    found_sql, found_plan = _embedded(
        conversation_match(phone_number_id=_SLOTS["phone_number_id"], wa_id=_SLOTS["wa_id"],
                           bsuid=_SLOTS["bsuid"]).values("contact_key")[:1])
    return f"sender AS ({sender_sql}),\nfound AS ({found_sql}),", sender_plan + found_plan


@lru_cache(maxsize=2)
def _statement(with_event: bool) -> tuple[str, tuple, tuple, tuple, tuple, tuple]:
    """The SQL; the identity selectors' parameter plan; the message's per-message fields and constant
    defaults (in column order); the same for the event row when `with_event`, else the event id is a
    parameter."""
    quote = connection.ops.quote_name
    msg_table = quote(Message._meta.db_table)
    conv_table = quote(Conversation._meta.db_table)
    variable, constants, columns = _insert_parts(Message, _MESSAGE_VARIABLE, _MESSAGE_COMPUTED,
                                                 Message(direction=Message.Direction.INBOUND))
    event_variable, event_constants = (), ()
    if with_event:
        event_variable, event_constants, event_columns = _insert_parts(
            WebhookEvent, _EVENT_VARIABLE, ("id",), WebhookEvent())
        event_cte = (f"ev AS (INSERT INTO {quote(WebhookEvent._meta.db_table)} ({', '.join(event_columns)}) "
                     f"VALUES ({', '.join(['%s'] * len(event_columns))}) RETURNING id),")
        event_id = "(SELECT id FROM ev)"
        result = (f"SELECT ev.id, msg.id, msg.conversation_id, msg.sender_allowed, {_SEEN} "
                  "FROM ev LEFT JOIN msg ON true")
    else:
        event_cte, event_id = "", "%s"
        result = f"SELECT msg.id, msg.conversation_id, msg.sender_allowed, {_SEEN} FROM msg"
    identity_ctes, identity_plan = _identity_parts()
    # The conversation the identity selector found is upserted under its own key (a certain conflict,
    # so an update); with none found, a new one is inserted under the number, else the BSUID, and
    # two first messages racing meet on that key. Its ids are not changed here: identity_remember
    # does that, in the rare case a message names an id the conversation does not have yet.
    sql = f"""
WITH {event_cte}
{identity_ctes}
conv AS (
    INSERT INTO {conv_table} AS c (phone_number_id, contact_key, wa_id, bsuid, profile_name, user_id, created_at,
                                   last_inbound_at, last_message_at, bot_paused)
    VALUES (%s, COALESCE((SELECT contact_key FROM found), %s), %s, %s, %s, (SELECT id FROM sender), %s, %s, %s,
            false)
    ON CONFLICT (phone_number_id, contact_key) DO UPDATE SET
        profile_name = COALESCE(NULLIF(EXCLUDED.profile_name, ''), c.profile_name),
        user_id = EXCLUDED.user_id,
        last_inbound_at = GREATEST(c.last_inbound_at, EXCLUDED.last_inbound_at),
        last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at)
    RETURNING c.id, c.wa_id, c.bsuid, c.last_inbound_at
),
msg AS (
    INSERT INTO {msg_table} (conversation_id, status, sender_allowed, webhook_event_id, {", ".join(columns)})
    SELECT conv.id,
           CASE WHEN %s AND COALESCE(sender.is_active, false) THEN %s ELSE %s END,
           %s AND COALESCE(sender.is_active, false),
           {event_id},
           {", ".join(["%s"] * len(columns))}
    FROM conv LEFT JOIN sender ON true
    ON CONFLICT (wamid) DO NOTHING
    RETURNING id, conversation_id, sender_allowed
)
{result}
LEFT JOIN conv ON true LEFT JOIN sender ON true
"""
    return sql, identity_plan, variable, constants, event_variable, event_constants


def _insert_parts(model, variable_names, computed_names, template):
    """Per-row fields, the constant defaults' database values, and the columns (variable first)."""
    fields = [f for f in model._meta.concrete_fields if f.name not in computed_names]
    variable = tuple(f for f in fields if f.name in variable_names)
    constant = [f for f in fields if f.name not in variable_names]
    constants = tuple(f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in constant)
    columns = tuple(connection.ops.quote_name(f.column) for f in (*variable, *constant))
    return variable, constants, columns


def _message_params(inbound: InboundMessage, now, plan, variable, constants, event_id=None, *,
                    ours: bool, with_event_id: bool) -> list:
    """The statement's parameters in order. `ours`: the message is for our number (else it is
    stored as another number's, never answered); the event id is a parameter unless the statement
    inserts the event row itself."""
    slots = {"phone": e164_from_wa_id(inbound.wa_id), "bsuid": inbound.bsuid, "wa_id": inbound.wa_id,
             "phone_number_id": inbound.phone_number_id}
    values = {
        "wamid": inbound.wamid, "type": inbound.type, "timestamp": inbound.timestamp, "created_at": now,
        "text": inbound.text, "media_id": inbound.media_id, "media_mime_type": inbound.media_mime_type,
        "media_sha256": inbound.media_sha256, "media_filename": inbound.media_filename,
        "media_voice": inbound.media_voice, "data": inbound.data, "context_wamid": inbound.context_wamid,
        "referral": inbound.referral, "raw": inbound.raw,
    }
    not_answered = Message.Status.IGNORED if ours else Message.Status.OTHER_NUMBER
    return [
        *[slots[value] if kind == "slot" else value for kind, value in plan],
        inbound.phone_number_id, inbound.contact_key, inbound.wa_id, inbound.bsuid, inbound.profile_name,
        now, inbound.window_opened_at, inbound.timestamp,
        ours, Message.Status.RECEIVED.value, not_answered.value, ours,
        *([event_id] if with_event_id else []),
        *[field.get_db_prep_save(values[field.name], connection) for field in variable], *constants,
    ]


def _stored(row: tuple | None) -> tuple[int, int, bool, Seen] | None:
    """(message id, conversation id, sender allowed, what identity intake saw), None for a duplicate."""
    if row is None or row[0] is None:
        return None
    message_id, conversation_id, allowed, *seen = row
    return message_id, conversation_id, allowed, Seen(*seen)


def fetch_one_prepared(sql: str, params: list) -> tuple | None:
    """The first row of one statement, prepared once per connection (unless turned off)."""
    with connection.wrap_database_errors:  # psycopg's errors become Django's (the view answers 503)
        connection.ensure_connection()
        pg = connection.connection
        with psycopg.Cursor(pg) as cursor:
            if not settings.DATABASE_PREPARED_STATEMENTS:
                cursor.execute(sql, params)
                return cursor.fetchone()
            # A server-side prepared statement: PostgreSQL parses and plans this once per connection
            # instead of once per webhook (0.4 ms of its CPU each time). Django keeps psycopg's
            # preparing off, and it stays off for every other query: with it on, psycopg would
            # remember the text of Django's queries, whose values (webhook bodies, uploads) are in it.
            previous = pg.prepare_threshold
            pg.prepare_threshold = 0
            try:
                cursor.execute(sql, params, prepare=True)
            finally:
                pg.prepare_threshold = previous
            return cursor.fetchone()


def inbound_insert(*, inbound: InboundMessage, event_id: int | None, now,
                   ours: bool) -> tuple[int, int, bool, Seen] | None:
    """(message id, conversation id, sender allowed, Seen), or None when the wamid is already stored."""
    sql, plan, variable, constants, _, _ = _statement(False)
    params = _message_params(inbound, now, plan, variable, constants, event_id, ours=ours, with_event_id=True)
    return _stored(fetch_one_prepared(sql, params))


def event_and_message_insert(*, body: bytes, inbound: InboundMessage, error: str,
                             now, ours: bool) -> tuple[int, tuple[int, int, bool, Seen] | None]:
    """Store a one-message body's event row and its message in one statement.

    (event id, (message id, conversation id, sender allowed, Seen)); the second is None when the
    wamid is already stored (the event row is stored all the same, as every accepted body is).
    """
    sql, plan, variable, constants, event_variable, event_constants = _statement(True)
    params = _event_params(event_variable, event_constants, body=body, error=error, message_count=1,
                           status_count=0, now=now)
    row = fetch_one_prepared(sql, params + _message_params(inbound, now, plan, variable, constants, ours=ours,
                                                           with_event_id=False))
    return row[0], _stored(row[1:])


def _event_params(variable, constants, **values) -> list:
    """The event row's values, in the order of its columns in the statement."""
    values["received_at"] = values.pop("now")
    return [*[f.get_db_prep_save(values[f.name], connection) for f in variable], *constants]


_STATUS_VARIABLE = ("wamid", "status", "timestamp", "recipient_id", "recipient_user_id", "errors", "raw",
                    "received_at", "phone_number_id")


@lru_cache(maxsize=8)
def _status_statement(earlier: tuple[str, ...], time_field: str | None) -> tuple[str, tuple, tuple, tuple, tuple]:
    """The SQL for a one-status body; the event's and the status row's fields and constant defaults.

    What `services.status_apply` does with the ORM: record the status once per (wamid, status),
    attach it to our outbound message when we know the wamid, and move that message forward, never
    back (`earlier`: the statuses it may move from), keeping the event's time where it has none.
    """
    quote = connection.ops.quote_name
    msg_table = quote(Message._meta.db_table)
    event_variable, event_constants, event_columns = _insert_parts(WebhookEvent, _EVENT_VARIABLE, ("id",),
                                                                   WebhookEvent())
    status_variable, status_constants, status_columns = _insert_parts(
        StatusUpdate, _STATUS_VARIABLE, ("id", "message", "webhook_event"), StatusUpdate())
    moves = "m.status = ANY(%s)"
    set_time = ""
    if time_field:
        column = quote(Message._meta.get_field(time_field).column)
        set_time = f", {column} = CASE WHEN m.status = ANY(%s) OR m.{column} IS NULL THEN %s ELSE m.{column} END"
        moves = f"(m.status = ANY(%s) OR m.{column} IS NULL)"
    sql = f"""
WITH ev AS (
    INSERT INTO {quote(WebhookEvent._meta.db_table)} ({', '.join(event_columns)})
    VALUES ({', '.join(['%s'] * len(event_columns))}) RETURNING id
),
target AS (
    SELECT id FROM {msg_table} WHERE wamid = %s AND direction = %s
),
recorded AS (
    INSERT INTO {quote(StatusUpdate._meta.db_table)} (message_id, webhook_event_id, {', '.join(status_columns)})
    VALUES ((SELECT id FROM target), (SELECT id FROM ev), {', '.join(['%s'] * len(status_columns))})
    ON CONFLICT (wamid, status) DO NOTHING
    RETURNING message_id
),
moved AS (
    UPDATE {msg_table} AS m
    SET status = CASE WHEN m.status = ANY(%s) THEN %s ELSE m.status END{set_time}
    FROM recorded WHERE m.id = recorded.message_id AND {moves}
    RETURNING m.id
)
SELECT ev.id, EXISTS (SELECT 1 FROM recorded), (SELECT id FROM target) FROM ev
"""
    return sql, event_variable, event_constants, status_variable, status_constants


def event_and_status_insert(*, body: bytes, report: StatusReport, earlier: tuple[str, ...],
                            time_field: str | None, now) -> tuple[int, bool, int | None]:
    """Store a one-status body's event row and its status, and move the message, in one statement.

    (event id, whether the status is new, our message's id or None when the wamid is not ours).
    """
    sql, event_variable, event_constants, status_variable, status_constants = _status_statement(earlier, time_field)
    status_values = {"wamid": report.wamid, "status": report.status, "timestamp": report.timestamp,
                     "recipient_id": report.recipient_id, "recipient_user_id": report.recipient_user_id,
                     "errors": report.errors, "raw": report.raw,
                     "received_at": now, "phone_number_id": report.phone_number_id}
    earlier_list = list(earlier)
    params = [
        *_event_params(event_variable, event_constants, body=body, error="", message_count=0, status_count=1,
                       now=now),
        report.wamid, Message.Direction.OUTBOUND.value,
        *[f.get_db_prep_save(status_values[f.name], connection) for f in status_variable], *status_constants,
        earlier_list, report.status,
    ]
    if time_field:
        params += [earlier_list, report.timestamp, earlier_list]
    else:
        params += [earlier_list]
    return fetch_one_prepared(sql, params)
