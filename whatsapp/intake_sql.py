"""The webhook's hot path on PostgreSQL: one statement per inbound message.

It does what `services.inbound_store` does with the ORM (look up the sender, upsert the
conversation, extend its window, insert the message once), in a single round trip:
`INSERT ... ON CONFLICT` on the conversation and on the message's wamid, so a redelivery or a
race between two gunicorn workers stores the message once, with no savepoint and no retry.
Measured by bench/webhook_ingest.py: this is what lets one small machine take Meta's peak load.
"""

from functools import lru_cache

import psycopg

from django.db import connection

from whatsapp.models import Conversation, Message
from whatsapp.payloads import InboundMessage

# Filled per message; everything else is the model's default, computed once.
_MESSAGE_VARIABLE = ("wamid", "type", "timestamp", "created_at", "text", "media_id", "media_mime_type",
                     "media_sha256", "media_filename", "media_voice", "data", "context_wamid", "referral",
                     "raw", "webhook_event")
_MESSAGE_COMPUTED = ("id", "conversation", "status", "sender_allowed")


@lru_cache(maxsize=1)
def _statement() -> tuple[str, tuple, tuple]:
    """The SQL, the per-message fields (in column order), and the constant default values."""
    msg_table = Message._meta.db_table
    conv_table = Conversation._meta.db_table
    fields = [f for f in Message._meta.concrete_fields if f.name not in _MESSAGE_COMPUTED]
    variable = [f for f in fields if f.name in _MESSAGE_VARIABLE]
    constant = [f for f in fields if f.name not in _MESSAGE_VARIABLE]
    template = Message(direction=Message.Direction.INBOUND)
    constants = tuple(f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in constant)
    columns = [f.column for f in variable + constant]
    placeholders = ["%s"] * len(columns)
    sql = f"""
WITH sender AS (
    SELECT id, is_active FROM {connection.ops.quote_name("accounts_user")} WHERE phone_number = %s
),
conv AS (
    INSERT INTO {conv_table} AS c (phone_number_id, contact_key, wa_id, bsuid, profile_name, user_id, created_at,
                                   last_inbound_at, last_message_at, bot_paused)
    VALUES (%s, %s, %s, %s, %s, (SELECT id FROM sender), %s, %s, %s, false)
    ON CONFLICT (phone_number_id, contact_key) DO UPDATE SET
        wa_id = COALESCE(NULLIF(EXCLUDED.wa_id, ''), c.wa_id),
        bsuid = COALESCE(NULLIF(EXCLUDED.bsuid, ''), c.bsuid),
        profile_name = COALESCE(NULLIF(EXCLUDED.profile_name, ''), c.profile_name),
        user_id = EXCLUDED.user_id,
        last_inbound_at = GREATEST(c.last_inbound_at, EXCLUDED.last_inbound_at),
        last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at)
    RETURNING c.id
)
INSERT INTO {msg_table} (conversation_id, status, sender_allowed, {", ".join(columns)})
SELECT conv.id,
       CASE WHEN COALESCE(sender.is_active, false) THEN %s ELSE %s END,
       COALESCE(sender.is_active, false),
       {", ".join(placeholders)}
FROM conv LEFT JOIN sender ON true
ON CONFLICT (wamid) DO NOTHING
RETURNING id, conversation_id, sender_allowed
"""
    return sql, tuple(variable), constants


def inbound_insert(*, inbound: InboundMessage, phone: str, event_id: int | None, now) -> tuple | None:
    """(message id, conversation id, sender allowed), or None when the wamid is already stored."""
    sql, variable, constants = _statement()
    values = {
        "wamid": inbound.wamid, "type": inbound.type, "timestamp": inbound.timestamp, "created_at": now,
        "text": inbound.text, "media_id": inbound.media_id, "media_mime_type": inbound.media_mime_type,
        "media_sha256": inbound.media_sha256, "media_filename": inbound.media_filename,
        "media_voice": inbound.media_voice, "data": inbound.data, "context_wamid": inbound.context_wamid,
        "referral": inbound.referral, "raw": inbound.raw, "webhook_event": event_id,
    }
    prepared = [field.get_db_prep_save(values[field.name], connection) for field in variable]
    params = [
        phone,
        inbound.phone_number_id, inbound.contact_key, inbound.wa_id, inbound.bsuid, inbound.profile_name,
        now, inbound.timestamp, inbound.timestamp,
        Message.Status.RECEIVED.value, Message.Status.IGNORED.value,
        *prepared, *constants,
    ]
    connection.ensure_connection()
    # A server-side prepared statement: PostgreSQL parses and plans this CTE once per connection
    # instead of once per webhook (Django's own cursors bind on the client side).
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()
