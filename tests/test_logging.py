"""What the service logs, as an operator reads it: each record once, and a refused request (a 4xx)
as one line, without the traceback a server error keeps (settings.LOGGING, config/logs.py)."""

import io
import logging

import pytest

from config.logs import ClientErrorsWithoutTraceback
from tests.agent.admin_support import admin_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """What the service's console handler (the root's, as settings.LOGGING makes it) prints."""
    [handler] = [h for h in logging.getLogger().handlers
                 if any(isinstance(f, ClientErrorsWithoutTraceback) for f in h.filters)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_403_is_logged_once_as_one_line(client, console):
    client.force_login(admin_staff(codenames=()))
    assert client.get("/admin/dashboard/").status_code == 403
    logged = console.getvalue()
    assert logged.count("Forbidden (Permission denied): /admin/dashboard/") == 1
    assert "Traceback" not in logged
    # Printed by the root's handler only: Django's loggers have none of their own.
    assert logging.getLogger("django").handlers == logging.getLogger("django.request").handlers == []


def test_a_404_is_logged_once_as_one_line(admin_client, console):
    assert admin_client.get("/admin/agent/expense/999999/review/").status_code == 404
    logged = console.getvalue()
    assert logged.count("Not Found: /admin/agent/expense/999999/review/") == 1
    assert "Traceback" not in logged


def test_a_server_error_keeps_its_traceback(console):
    try:
        raise RuntimeError("the disk is on fire")
    except RuntimeError as exc:
        logging.getLogger("django.request").error("Internal Server Error: /x/", exc_info=exc,
                                                  extra={"status_code": 500})
    logged = console.getvalue()
    assert logged.count("Internal Server Error: /x/") == 1
    assert "Traceback" in logged and "the disk is on fire" in logged
