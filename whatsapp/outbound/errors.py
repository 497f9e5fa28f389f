"""Graph API failures, typed by what the caller should do about them.

The decision is made on Meta's error `code` (and `details`), not on the HTTP status:
Meta answers rate limits with 400 as well as 429.
"""

RETRYABLE_CODES = {1, 2, 4, 80007, 130429, 131000, 131056}
WINDOW_CLOSED_CODE = 131047
PAIR_RATE_LIMIT_CODE = 131056
# Nothing will be delivered until an operator acts.
OPERATOR_CODES = {190, 368, 131031}
# This message cannot go to a business-scoped user id (e.g. an authentication template).
BSUID_NOT_SUPPORTED_CODE = 131062
# A template Meta does not take as sent: parameter count, missing in that language, parameter
# format, paused, disabled. The catalogue is out of date (whatsapp.catalogue): held, not failed.
TEMPLATE_CODES = {132000, 132001, 132012, 132015, 132016}
KNOWN_PERMANENT_CODES = ({100, 131009, 131026, 131051, 131052, BSUID_NOT_SUPPORTED_CODE} | TEMPLATE_CODES
                         | OPERATOR_CODES)
# What staff read beside a failure whose code alone says little to them.
EXPLANATIONS = {
    BSUID_NOT_SUPPORTED_CODE: (
        "WhatsApp does not deliver this kind of message to someone known only by their username "
        "(business-scoped user id). Add their phone number to their person in the admin to reach them."
    ),
}


class GraphError(Exception):
    """A call to Graph failed. `retryable` says whether trying again can help."""

    retryable = False

    def __init__(self, message: str, *, code: int | None = None, title: str = "", details: str = "",
                 http_status: int | None = None, fbtrace_id: str = "", subcode: int | None = None):
        super().__init__(message)
        self.code = code
        self.subcode = subcode
        self.title = title or message
        self.details = details
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id

    def __str__(self):
        code = f"#{self.code} " if self.code is not None else ""
        return f"{code}{self.title}" + (f": {self.details}" if self.details else "")


class GraphRetryableError(GraphError):
    """Transient: HTTP 5xx, timeouts, throughput limits. Back off and try again."""

    retryable = True


class GraphRateLimited(GraphRetryableError):
    """Too many messages to this one person (131056): back off for that person only."""


class WindowClosed(GraphError):
    """131047: more than 24 h since the person last wrote. Only a template can go out."""


class GraphPermanentError(GraphError):
    """Will fail the same way again: bad number, unsupported type, bad parameter..."""


class OperatorActionRequired(GraphPermanentError):
    """Expired/invalid token (190) or a restricted account: nothing is delivered until fixed."""


def error_from_response(http_status: int, document: dict | None) -> GraphError:
    """Map a Graph error answer to its exception class."""
    # A proxy in front of Graph may answer with JSON that is not Graph's error object.
    error = document.get("error") if isinstance(document, dict) else None
    error = error if isinstance(error, dict) else {}
    code = _as_int(error.get("code"))
    error_data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    kwargs = dict(
        code=code,
        subcode=_as_int(error.get("error_subcode")),
        title=str(error.get("message") or f"HTTP {http_status}"),
        # Meta's words for a person (a template refused, say) when there are no details.
        details=str(error_data.get("details") or error.get("error_user_msg") or ""),
        http_status=http_status,
        fbtrace_id=str(error.get("fbtrace_id") or ""),
    )
    message = f"Graph error {code} (HTTP {http_status})"
    if code == WINDOW_CLOSED_CODE:
        return WindowClosed(message, **kwargs)
    if code == PAIR_RATE_LIMIT_CODE:
        return GraphRateLimited(message, **kwargs)
    if code in RETRYABLE_CODES or error.get("is_transient") is True:
        return GraphRetryableError(message, **kwargs)
    if code in OPERATOR_CODES:
        return OperatorActionRequired(message, **kwargs)
    if http_status >= 500 and code not in KNOWN_PERMANENT_CODES:
        return GraphRetryableError(message, **kwargs)
    return GraphPermanentError(message, **kwargs)


def _as_int(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def failure_explained(code, details: str = "") -> str:
    """Meta's details of a failure, after what it means for staff when we know better words."""
    try:
        explanation = EXPLANATIONS.get(int(code))
    except (TypeError, ValueError):
        explanation = None
    return " ".join(part for part in (explanation, details) if part)
