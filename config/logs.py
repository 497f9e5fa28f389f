"""Logging filters (settings.LOGGING)."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A request refused with a 4xx (PermissionDenied's 403, Http404's 404) is the client's mistake,
    not the server's: Django logs it with the exception's traceback, this keeps the one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
