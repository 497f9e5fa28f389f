"""Telling a database outage from a statement the database refused.

An outage (the server cannot be reached, is shutting down, has no connection left) goes away by
itself: the webhook answers 503 and Meta delivers the body again. A refused statement (a value a
column does not take, a constraint, a limit) fails the same way every time: retrying cannot help,
so the body is kept raw instead (whatsapp.intake.receive.webhook_receive).
"""

from django.db import InterfaceError, OperationalError

# PostgreSQL SQLSTATEs (or their class prefixes) that a later delivery of the same body gets past.
RETRY_SQLSTATES = (
    "08",  # connection exception
    "57P",  # admin or crash shutdown, cannot connect now, database dropped, idle session timeout
    "53300",  # too many connections
    "40001",  # serialization failure: the same body succeeds on its next delivery
    "40P01",  # deadlock detected: likewise
)
# SQLite primary result codes of the same kind: busy or locked past the timeout, out of memory,
# read-only, disk I/O, disk full, cannot open the file.
SQLITE_RETRY_CODES = {5, 6, 7, 8, 10, 13, 14}


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot take the body now (a later delivery can succeed)."""
    if isinstance(exc, InterfaceError):  # the connection is closed or unusable
        return True
    if not isinstance(exc, OperationalError):  # DataError, IntegrityError, ProgrammingError, ...
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(RETRY_SQLSTATES)
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_RETRY_CODES
    # No code at all: the connection failed before the server answered (psycopg), or a driver that
    # does not say; taking it for an outage keeps the body coming back.
    return True
