"""Reading a webhook body's JSON whatever it holds: pure functions, no database, no network.

`json_document` turns bytes into Python values that every column takes: text without lone
surrogates or NUL characters (they become U+FFFD), no NaN or infinite numbers, nothing nested
deeper than MAX_DEPTH. The typed accessors below read one value each and never raise on a wrong
type; the two that a message cannot do without (its id, its timestamp) raise `Unreadable` with a
reason. The raw body keeps the original bytes.
"""

import hashlib
import json
import math
import re
from datetime import datetime, timezone
from itertools import accumulate

# Meta's bodies nest about eight levels deep; anything deeper is not a WhatsApp webhook.
MAX_DEPTH = 64
# Longer integers are kept as their digits: no id is a number that long, and Python refuses to
# turn more than 4,300 digits into text.
MAX_INT_DIGITS = 100
# Meta's timestamps are Unix seconds; outside these years one is not a time Meta sent.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
INT32 = (-(2**31), 2**31 - 1)  # an IntegerField on every database

_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it) and lone surrogates
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SECONDS = re.compile(r"\d{1,12}(\.\d+)?")


class DocumentUnreadable(ValueError):
    """The bytes are not a JSON document we can read (not JSON, or nested too deeply)."""


class Unreadable(ValueError):
    """One item of the body cannot be read; the message says why."""


# --- the document -------------------------------------------------------------------------------
def json_document(body: bytes):
    """The body's JSON, with every string cleaned and every number finite.

    Bytes that are not valid UTF-8 are replaced (U+FFFD) rather than refused: the rest of the body
    is still read, and the raw body keeps what came.
    """
    text = body.decode(json.detect_encoding(body), "replace")
    if nesting_depth(text) > MAX_DEPTH:
        raise DocumentUnreadable(f"nested deeper than {MAX_DEPTH} levels")
    # A NUL or a lone surrogate can only come from a \u escape (JSON refuses control characters in
    # strings, and the bytes were decoded with replacement): without one, no string needs cleaning.
    clean = _clean_object if "\\u" in text else None
    try:
        return json.loads(text, object_pairs_hook=clean, parse_int=_int_or_digits,
                          parse_float=_finite_or_text, parse_constant=str)
    except RecursionError as exc:  # not valid JSON, so the depth count above was only an estimate
        raise DocumentUnreadable(f"nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise DocumentUnreadable(f"body is not JSON: {exc}") from exc


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in `text`, counted without parsing (strings left out)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be deeper than the limit: the usual body stops here
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def clean_text(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD (the columns refuse both)."""
    if text.isascii() and "\x00" not in text:
        return text
    return _NOT_TEXT.sub("\ufffd", text)


def _clean_value(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):  # objects inside were cleaned by the hook already
        return [_clean_value(item) for item in value]
    return value


def _clean_object(pairs) -> dict:
    return {clean_text(key): _clean_value(value) for key, value in pairs}


def _int_or_digits(digits: str):
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def _finite_or_text(number: str):
    value = float(number)
    return value if math.isfinite(value) else number


# --- typed accessors ------------------------------------------------------------------------------
def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_text(value, max_length: int | None = None) -> str:
    """A text field: a string as it is, a number as written; anything else is "" (kept in the raw).

    Cut to `max_length` (a column's size) where given: for names and descriptions, not ids.
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)
    else:
        return ""
    return text[:max_length] if max_length is not None else text


def as_id(value, max_length: int) -> str:
    """An identifier that fits a column of `max_length` characters.

    A longer one is cut and ends with a hash of the whole, so two different ids stay different and
    the same one (a redelivery) gives the same key again.
    """
    text = as_text(value)
    if len(text) <= max_length:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{text[:max_length - 13]}~{digest}"


def as_int(value) -> int | None:
    """A whole number that fits an integer column (an error code), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value.strip()):
        value = int(value)
    if isinstance(value, int) and INT32[0] <= value <= INT32[1]:
        return value
    return None


def as_timestamp(value) -> datetime:
    """Meta's time: Unix seconds, as a string ("1749416383") or a number. Raises Unreadable."""
    if isinstance(value, str) and _SECONDS.fullmatch(value.strip()):
        seconds = float(value) if "." in value else int(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        seconds = value
    else:
        raise Unreadable(f"timestamp {shown(value)} is not Unix seconds")
    if not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise Unreadable(f"timestamp {shown(value)} is not between {EARLIEST:%Y} and {LATEST:%Y}")
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def required_id(item: dict, key: str, max_length: int) -> str:
    value = as_id(item.get(key), max_length)
    if not value:
        raise Unreadable(f"no {key}" if item.get(key) in (None, "") else f"{key} {shown(item.get(key))} is not text")
    return value


def shown(value, limit: int = 60) -> str:
    """A value as a reason quotes it: short, on one line."""
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else f"a list of {len(value)}"
    text = repr(value[:limit] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
