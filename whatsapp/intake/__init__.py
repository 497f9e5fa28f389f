"""Intake: what the webhook view and `manage.py replay_webhook` call. A signed body in, its rows
stored in one short transaction (on PostgreSQL one statement), the work queued after commit.

    receive.py   the flow, the same on every database: parse, pick the path, keep the raw body
                 when the items cannot be stored, queue what a stored message needs
    store.py     the four writes intake needs, as an interface
    orm.py       the writes with the ORM (every database; SQLite in development and tests)
    postgres.py  the writes as one prepared statement each (production), whose text sql.py builds
                 from the models' _meta

The flow then continues at whatsapp.inbound (the inbound task) for a message, or ends at
whatsapp.statuses for a status.
"""

from whatsapp.intake.receive import IntakeResult, webhook_event_keep_raw, webhook_receive, webhook_replay

__all__ = ["IntakeResult", "webhook_event_keep_raw", "webhook_receive", "webhook_replay"]
