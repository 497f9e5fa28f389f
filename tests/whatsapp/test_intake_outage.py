"""An outage is not a data error: only a database that cannot be reached answers 503 (Meta delivers
again); a body whose items the database refuses is kept raw, answered 200, shown in the admin, and
replayed after a fix. Both storage paths (the ORM on SQLite, one statement on PostgreSQL)."""

import sqlite3
from contextlib import contextmanager
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError, connection

from accounts.models import User
from tests.conftest import fresh
from whatsapp.models import Message, WebhookEvent
from whatsapp.outage import database_unavailable

pytestmark = pytest.mark.django_db


@contextmanager
def database_refusing(table: str, error: Exception):
    """The real database, except that it answers `error` to any statement writing into `table`.

    Patched at the driver's cursor, under Django and under the one-statement path alike.
    """
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    cursor_class = psycopg.Cursor if connection.vendor == "postgresql" else SQLiteCursorWrapper
    original = cursor_class.execute

    def execute(self, query, *args, **kwargs):
        text = query.decode() if isinstance(query, bytes) else str(query)
        if f'INSERT INTO "{table}"' in text:
            raise error
        return original(self, query, *args, **kwargs)

    cursor_class.execute = execute
    try:
        yield
    finally:
        cursor_class.execute = original


def refused_value() -> Exception:
    """What the driver raises for a value longer than its column."""
    if connection.vendor == "postgresql":
        return psycopg.errors.StringDataRightTruncation("value too long for type character varying(32)")
    return sqlite3.IntegrityError("CHECK constraint failed: a value the database refuses")


def unreachable() -> Exception:
    if connection.vendor == "postgresql":
        return psycopg.OperationalError("server closed the connection unexpectedly")
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorcode = 10  # SQLITE_IOERR, as the driver sets it
    return error


def test_a_body_the_database_refuses_is_kept_raw_and_answered_200(signed_post, member, caplog):
    body = fresh("messages__text")
    with database_refusing("whatsapp_message", refused_value()):
        response = signed_post(body)
    event = WebhookEvent.objects.get()
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "event": event.pk, "stored": "raw body only"}
    assert (bytes(event.body), event.status, event.message_count) == (body, "not_stored", 0)
    assert event.error.startswith("Not stored: ") and ("DataError" in event.error or "IntegrityError" in event.error)
    assert Message.objects.count() == 0
    assert any("kept raw" in r.getMessage() for r in caplog.records)


def test_a_kept_raw_body_shows_on_the_admin_index_and_in_its_filter(signed_post, admin_client):
    with database_refusing("whatsapp_message", refused_value()):
        signed_post(fresh("messages__text"))
    event = WebhookEvent.objects.get()
    index = admin_client.get("/admin/").content.decode()
    assert "1 webhook body kept raw, not stored" in index
    assert "replay_webhook --not-stored" in index
    listed = admin_client.get("/admin/whatsapp/webhookevent/?status__exact=not_stored").content.decode()
    assert f"Webhook #{event.pk}" in listed
    page = admin_client.get(f"/admin/whatsapp/webhookevent/{event.pk}/change/").content.decode()
    assert f"manage.py replay_webhook {event.pk}" in page


def test_a_kept_raw_body_is_stored_by_replaying_it_after_the_fix(signed_post, member,
                                                                  django_capture_on_commit_callbacks):
    with database_refusing("whatsapp_message", refused_value()):
        signed_post(fresh("messages__text"))
    out = StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("replay_webhook", "--not-stored", stdout=out)
    assert "1 new message(s)" in out.getvalue()
    event = WebhookEvent.objects.get()
    assert (event.status, event.message_count, event.error) == ("processed", 1, "")
    assert Message.objects.get().webhook_event == event
    assert len(callbacks) == 1  # its handling is queued, as on first delivery


def test_a_replay_that_still_fails_says_so_and_keeps_the_body(signed_post, member):
    with database_refusing("whatsapp_message", refused_value()):
        signed_post(fresh("messages__text"))
        with pytest.raises(CommandError, match="1 webhook event\\(s\\) still not stored"):
            call_command("replay_webhook", "--not-stored", stdout=StringIO(), stderr=StringIO())
    assert WebhookEvent.objects.get().status == "not_stored"


def test_a_bug_while_storing_keeps_the_raw_body_too(signed_post, member, monkeypatch):
    def broken(**kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr("whatsapp.intake.receive._single_message_receive", broken)
    monkeypatch.setattr("whatsapp.intake.receive.webhook_apply", broken)
    assert signed_post(fresh("messages__text")).status_code == 200
    assert WebhookEvent.objects.get().error == "Not stored: TypeError: a bug"


def test_a_status_the_database_refuses_is_kept_raw_too(signed_post):
    from tests.whatsapp.test_statuses import status_body

    with database_refusing("whatsapp_statusupdate", refused_value()):
        assert signed_post(status_body("read")).status_code == 200
    assert WebhookEvent.objects.get().status == "not_stored"


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_answers_503_and_keeps_nothing(signed_post, member):
    with database_refusing("whatsapp_message", unreachable()), database_refusing("whatsapp_webhookevent",
                                                                               unreachable()):
        response = signed_post(fresh("messages__text"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "reason": "temporarily unavailable"}
    assert (WebhookEvent.objects.count(), Message.objects.count()) == (0, 0)
    assert User.objects.get() == member  # the connection is usable again


# --- telling them apart -----------------------------------------------------------------------------
def wrapped(django_class, cause: Exception) -> Exception:
    """A driver error as Django raises it (its own class, the driver's error as the cause)."""
    error = django_class(str(cause))
    error.__cause__ = cause
    return error


def sqlite_error(code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("sqlite")
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize("error", [
    OperationalError("server closed the connection unexpectedly"),
    InterfaceError("connection already closed"),
    wrapped(OperationalError, psycopg.OperationalError("connection refused")),
    wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
    wrapped(OperationalError, psycopg.errors.CannotConnectNow("the database system is starting up")),
    wrapped(OperationalError, psycopg.errors.TooManyConnections("too many clients already")),
    wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
    wrapped(OperationalError, sqlite_error(5)),  # SQLITE_BUSY: still locked after the timeout
    wrapped(OperationalError, sqlite_error(10 | (13 << 8))),  # SQLITE_IOERR_FSYNC
    wrapped(OperationalError, sqlite_error(14)),  # SQLITE_CANTOPEN
], ids=repr)
def test_it_takes_a_connection_level_failure_for_an_outage(error):
    assert database_unavailable(error)


@pytest.mark.parametrize("error", [
    wrapped(DataError, psycopg.errors.StringDataRightTruncation("value too long for type character varying(32)")),
    wrapped(DataError, psycopg.errors.UntranslatableCharacter("unsupported Unicode escape sequence")),
    wrapped(IntegrityError, psycopg.errors.NotNullViolation("null value in column")),
    wrapped(OperationalError, psycopg.errors.ProgramLimitExceeded("index row size exceeds btree maximum")),
    wrapped(ProgrammingError, psycopg.errors.UndefinedColumn("column does not exist")),
    wrapped(OperationalError, sqlite_error(1)),  # SQLITE_ERROR: e.g. no such table
    TypeError("a bug"),
    UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
], ids=repr)
def test_it_takes_a_refused_statement_for_a_data_error(error):
    assert not database_unavailable(error)
