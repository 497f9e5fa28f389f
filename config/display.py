"""How values read for people, everywhere they are shown: the admin, the transcript, the dashboard,
the sandbox and the replies on WhatsApp. One function per kind of value, so a format is decided once.

- Money: its currency code and two decimals, cents rounded half up, grouped as the active locale
  groups thousands ("EUR 1,190.00").
- Phone numbers: international format ("+1 555-010-4420"), whatever was stored (E.164, or Meta's
  digits without the "+").
- Dates and times: in the business time zone (TIME_ZONE), in the active locale's own formats
  (DATE_FORMAT, TIME_FORMAT, DATETIME_FORMAT, YEAR_MONTH_FORMAT), the ones the admin's lists use for
  date and time columns too.

Templates use the same functions as filters: `{% load display %}` (config/display_filters.py).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
from django.utils import formats, timezone

CENT = Decimal("0.01")
NONE_SHOWN = "—"


def round_cents(amount) -> Decimal:
    """An amount as Decimal rounded to cents, half up (2.675 -> 2.68): how money is kept and summed
    for display (a database's SUM can come back with more places than the column has)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount, currency: str) -> str:
    """ "EUR 1,190.00": the currency code, then the amount with two decimals."""
    if amount is None:
        return NONE_SHOWN
    return f"{currency} {formats.number_format(round_cents(amount), 2, force_grouping=True)}"


def phone(number: str | None) -> str:
    """ "+1 555-010-4420" for "+15550104420" (or Meta's "15550104420"); anything that is not a
    number is shown as it is."""
    text = (number or "").strip()
    if not text:
        return NONE_SHOWN
    candidate = text if text.startswith("+") else "+" + text if text.isdigit() else text
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return text
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _local(value):
    return timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value


def local_date(value: date | datetime | None) -> str:
    """A day ("Nov. 30, 2026" in English); a moment is shown as its day in the business time zone."""
    if value is None:
        return NONE_SHOWN
    value = _local(value)
    return formats.date_format(value.date() if isinstance(value, datetime) else value, "DATE_FORMAT")


def local_time(value: datetime | None) -> str:
    """The time of day of a moment, in the business time zone ("3:18 p.m." in English)."""
    if value is None:
        return NONE_SHOWN
    return formats.time_format(_local(value), "TIME_FORMAT")


def local_datetime(value: datetime | None) -> str:
    """A moment, in the business time zone ("Nov. 30, 2026, 3:18 p.m." in English)."""
    if value is None:
        return NONE_SHOWN
    return formats.date_format(_local(value), "DATETIME_FORMAT")


def month(value: date) -> str:
    """A month ("November 2026" in English)."""
    return formats.date_format(value, "YEAR_MONTH_FORMAT")
