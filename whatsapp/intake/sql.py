"""The PostgreSQL intake statements, written from the models' `_meta` (tables, columns, fields).

Every concrete field of the four models intake writes is listed below, once, by how the
statements fill it: a value of the row (a named parameter), something the statement decides
itself (ids, keys, what the identity lookups found), or the model's default, computed for each
row by whatsapp.intake.postgres. tests/whatsapp/test_intake_guard.py compares these lists with
`_meta.concrete_fields`, so a new field cannot be left out of the statements unnoticed.

Who the sender is and which conversation is theirs are the selectors of whatsapp.identity
(accounts.selectors.sender_match, identity.conversation_match), compiled into the statement, so
the rule is the ORM store's own. The texts are built once per process (whatsapp.intake.postgres
builds them when it is chosen); nothing in them depends on a row.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F

from accounts.permissions import team_members
from accounts.selectors import sender_match
from whatsapp.identity import conversation_match
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.statuses import STATUS_RANK, STATUS_TIME_FIELD


@dataclass(frozen=True)
class Fields:
    """A model's concrete fields, by how the statements fill them."""

    row: tuple[str, ...]  # this row's value: a named parameter "<prefix>_<field>" (no other parameter
    # name has a prefix and an underscore: "answered_status", "earlier", ...)
    sql: tuple[str, ...]  # written by the statement itself
    defaults: tuple[str, ...]  # the model's default, a parameter computed for each row

    @property
    def names(self) -> set[str]:
        return {*self.row, *self.sql, *self.defaults}


EVENT_FIELDS = Fields(
    row=("received_at", "body", "error", "message_count", "status_count"),
    sql=("id",),
    defaults=("status", "replayed_at", "body_purged_at"),
)
CONVERSATION_FIELDS = Fields(
    row=("phone_number_id", "wa_id", "bsuid", "profile_name", "created_at", "last_inbound_at", "last_message_at"),
    # contact_key: the found conversation's own key, else this message's; user: the sender found;
    # private: whether that sender is a team member (once set, kept).
    sql=("id", "contact_key", "user", "private"),
    defaults=("bot_paused", "assigned_to", "inbound_lease_until", "outbox_lease_until", "send_backoff_until",
              "not_registered_reply_at", "needs_person_since", "needs_person_reason"),
)
MESSAGE_FIELDS = Fields(
    row=("direction", "wamid", "type", "timestamp", "created_at", "text", "media_id", "media_mime_type",
         "media_sha256", "media_filename", "media_voice", "data", "context_wamid", "referral", "raw"),
    sql=("id", "conversation", "status", "sender_allowed", "webhook_event"),
    defaults=("media_file", "media_removed_at", "transcript", "handled_at", "in_reply_to", "part", "sent_by",
              "payload", "attempts", "first_attempt_at", "next_attempt_at", "sent_at", "delivered_at", "read_at",
              "failed_at", "error_code", "error_title", "error_details"),
)
STATUS_FIELDS = Fields(
    row=("wamid", "status", "timestamp", "recipient_id", "recipient_user_id", "errors", "raw", "received_at",
         "phone_number_id"),
    sql=("id", "message", "webhook_event"),
    defaults=(),
)
# The parameter-name prefix of each model's fields.
PREFIX = {WebhookEvent: "e", Conversation: "c", Message: "m", StatusUpdate: "s"}
FIELDS = {WebhookEvent: EVENT_FIELDS, Conversation: CONVERSATION_FIELDS, Message: MESSAGE_FIELDS,
          StatusUpdate: STATUS_FIELDS}
# The message's ids, as the identity selectors' parameters (their values are the message's).
IDENTITY_SLOTS = ("phone", "bsuid", "wa_id", "phone_number_id")
# A status moves its message's time of that status (STATUS_TIME_FIELD) on this path: not `failed`.
MOVED_TIME_FIELDS = tuple(STATUS_TIME_FIELD[s] for s in STATUS_RANK if s in STATUS_TIME_FIELD)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def column(model, name: str) -> str:
    return quote(model._meta.get_field(name).column)


def table(model) -> str:
    return quote(model._meta.db_table)


def param(model, name: str) -> str:
    return f"%({PREFIX[model]}_{name})s"


def _insert(model, computed: dict[str, str]) -> tuple[str, str]:
    """(columns, values) of a model's INSERT: its row and default fields as parameters, the fields
    the statement decides as the given SQL (the primary key is the database's)."""
    fields = FIELDS[model]
    assert set(computed) == set(fields.sql) - {"id"}, (model, computed)
    names = [*fields.row, *computed, *fields.defaults]
    columns = ", ".join(column(model, name) for name in names)
    values = ", ".join(computed.get(name) or param(model, name) for name in names)
    return columns, values


def _embedded(queryset, prefix: str) -> tuple[str, dict]:
    """A selector's SQL with named parameters: the identity slots by name, its own constants as
    `<prefix><n>` (returned with their values, the same for every row)."""
    stand_ins = {f"\x00{slot}": slot for slot in IDENTITY_SLOTS}
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    parts = sql.split("%s")
    if len(parts) != len(params) + 1 or any("%" in part for part in parts):
        raise ValueError(f"cannot embed this selector's SQL: {sql}")
    text, constants = [parts[0]], {}
    for n, (value, part) in enumerate(zip(params, parts[1:])):
        slot = stand_ins.get(value) if isinstance(value, str) else None
        if slot is None:
            slot = f"{prefix}{n}"
            constants[slot] = value
        text += [f"%({slot})s", part]
    return "".join(text), constants


def identity_ctes() -> tuple[str, dict]:
    """The `sender` and `found` CTEs (whatsapp.identity's selectors) and their constant parameters."""
    sender_sql, sender_constants = _embedded(
        sender_match(phone="\x00phone", bsuid="\x00bsuid")
        .values(s_id=F("pk"), s_active=F("is_active"), s_phone=F("phone_number"), s_bsuid=F("bsuid"),
                s_team=ExpressionWrapper(team_members(), output_field=BooleanField()))[:1], "sk")
    found_sql, found_constants = _embedded(
        conversation_match(phone_number_id="\x00phone_number_id", wa_id="\x00wa_id", bsuid="\x00bsuid",
                           phone="\x00phone")
        .values(f_id=F("pk"), f_key=F("contact_key"), f_kept=F("kept"))[:1], "fk")
    return f"sender AS ({sender_sql}),\nfound AS ({found_sql}),", {**sender_constants, **found_constants}


def event_cte() -> str:
    columns, values = _insert(WebhookEvent, {})
    return f"ev AS (INSERT INTO {table(WebhookEvent)} ({columns}) VALUES ({values}) RETURNING {column(WebhookEvent, 'id')}),"


def event_statement() -> str:
    """The event row alone (a body with more in it than one message or one status)."""
    columns, values = _insert(WebhookEvent, {})
    return f"INSERT INTO {table(WebhookEvent)} ({columns}) VALUES ({values}) RETURNING {column(WebhookEvent, 'id')}"


def message_statement(*, with_event: bool) -> tuple[str, dict]:
    """One inbound message, its sender and conversation (and, `with_event`, the body's event row).

    Returns the text and the identity selectors' constants. Its row: (event id when `with_event`,)
    the id of the conversation the ids name when it is someone else's (NULL nearly always), message
    id, conversation id, sender allowed, then whatsapp.identity.Seen's values. The message id is
    NULL when the wamid is already stored, or when the conversation is someone else's: then nothing
    but the event row is written, and the caller has that conversation let go of the ids
    (identity.conversation_release) and runs the statement again.
    """
    C, M = Conversation, Message
    identity, constants = identity_ctes()
    conv_columns, conv_values = _insert(C, {
        "contact_key": f"COALESCE((SELECT f_key FROM found), {param(C, 'contact_key')})",
        "user": "(SELECT s_id FROM sender)",
        "private": "COALESCE((SELECT s_team FROM sender), false)",
    })
    allowed = "%(ours)s AND COALESCE(sender.s_active, false)"
    msg_columns, msg_values = _insert(M, {
        "conversation": f"conv.{column(C, 'id')}",
        "status": f"CASE WHEN {allowed} THEN %(answered_status)s ELSE %(unanswered_status)s END",
        "sender_allowed": allowed,
        "webhook_event": f"(SELECT {column(WebhookEvent, 'id')} FROM ev)" if with_event else "%(event_id)s",
    })
    per_contact = next(c for c in C._meta.constraints if c.name == "conversation_per_contact")
    conflict = ", ".join(column(C, name) for name in per_contact.fields)
    profile, user, private = column(C, "profile_name"), column(C, "user"), column(C, "private")
    inbound_at, message_at = column(C, "last_inbound_at"), column(C, "last_message_at")
    seen = (f"conv.{column(C, 'id')}, conv.{column(C, 'wa_id')}, conv.{column(C, 'bsuid')}, conv.{inbound_at}, "
            "sender.s_id, sender.s_phone, sender.s_bsuid")
    taken = "(SELECT f_id FROM found WHERE f_kept IS NOT TRUE)"
    returned = (f"{taken}, msg.{column(M, 'id')}, msg.{column(M, 'conversation')}, "
                f"msg.{column(M, 'sender_allowed')}, {seen}")
    result = (f"SELECT ev.{column(WebhookEvent, 'id')}, {returned} FROM ev LEFT JOIN msg ON true" if with_event
              else f"SELECT {returned} FROM (SELECT 1) AS one LEFT JOIN msg ON true")
    # The conversation the identity selector found is upserted under its own key (a certain conflict,
    # so an update); with none found, a new one is inserted under the number, else the BSUID, and
    # two first messages racing meet on that key; with someone else's found, nothing is. Its ids are
    # not changed here: identity_remember does that, in the rare case a message names an id the
    # conversation does not have yet.
    sql = f"""
WITH {event_cte() if with_event else ""}
{identity}
conv AS (
    INSERT INTO {table(C)} AS c ({conv_columns})
    SELECT {conv_values} WHERE NOT EXISTS (SELECT 1 FROM found WHERE f_kept IS NOT TRUE)
    ON CONFLICT ({conflict}) DO UPDATE SET
        {profile} = COALESCE(NULLIF(EXCLUDED.{profile}, ''), c.{profile}),
        {user} = EXCLUDED.{user},
        {private} = c.{private} OR EXCLUDED.{private},
        {inbound_at} = GREATEST(c.{inbound_at}, EXCLUDED.{inbound_at}),
        {message_at} = GREATEST(c.{message_at}, EXCLUDED.{message_at})
    RETURNING c.{column(C, 'id')}, c.{column(C, 'wa_id')}, c.{column(C, 'bsuid')}, c.{inbound_at}
),
msg AS (
    INSERT INTO {table(M)} ({msg_columns})
    SELECT {msg_values}
    FROM conv LEFT JOIN sender ON true
    ON CONFLICT ({column(M, 'wamid')}) DO NOTHING
    RETURNING {column(M, 'id')}, {column(M, 'conversation')}, {column(M, 'sender_allowed')}
)
{result}
LEFT JOIN conv ON true LEFT JOIN sender ON true
"""
    return sql, constants


def status_statement() -> str:
    """One status of ours and the body's event row: what whatsapp.statuses.status_apply does with the
    ORM, in one statement. Records the status once per (wamid, status), attaches it to our outbound
    message when we know the wamid, and moves that message forward, never back (%(earlier)s: the
    statuses it may move from), keeping the status's time where the message has none yet
    (%(time_field)s: which of MOVED_TIME_FIELDS, "" for none). Its row: event id, whether the status
    is new, our message's id (NULL when the wamid is not ours).
    """
    M, S = Message, StatusUpdate
    status_columns, status_values = _insert(S, {
        "message": f"(SELECT {column(M, 'id')} FROM target)",
        "webhook_event": f"(SELECT {column(WebhookEvent, 'id')} FROM ev)",
    })
    moves = "m.{status} = ANY(%(earlier)s)".format(status=column(M, "status"))
    times, unset = [], []
    for name in MOVED_TIME_FIELDS:
        col = column(M, name)
        times.append(f"{col} = CASE WHEN %(time_field)s = '{name}' AND ({moves} OR m.{col} IS NULL) "
                     f"THEN %(s_timestamp)s ELSE m.{col} END")
        unset.append(f"(%(time_field)s = '{name}' AND m.{col} IS NULL)")
    status = column(M, "status")
    return f"""
WITH {event_cte()}
target AS (
    SELECT {column(M, 'id')} FROM {table(M)} WHERE {column(M, 'wamid')} = %(s_wamid)s AND {column(M, 'direction')} = %(outbound)s
),
recorded AS (
    INSERT INTO {table(S)} ({status_columns}) VALUES ({status_values})
    ON CONFLICT ({column(S, 'wamid')}, {column(S, 'status')}) DO NOTHING
    RETURNING {column(S, 'message')}
),
moved AS (
    UPDATE {table(M)} AS m
    SET {status} = CASE WHEN {moves} THEN %(s_status)s ELSE m.{status} END,
        {", ".join(times)}
    FROM recorded WHERE m.{column(M, 'id')} = recorded.{column(S, 'message')} AND ({" OR ".join([moves, *unset])})
    RETURNING m.{column(M, 'id')}
)
SELECT ev.{column(WebhookEvent, 'id')}, EXISTS (SELECT 1 FROM recorded), (SELECT {column(M, 'id')} FROM target) FROM ev
"""
