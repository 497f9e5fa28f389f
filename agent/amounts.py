"""Bookkeeping amounts: reading what people and models write, and net / tax rate / gross.

Money is always Decimal, rounded to cents half up (the way invoices and receipts round), and never
passes through binary floating point.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from agent.errors import ApplicationError
from config.display import round_cents

# Tax rates are stored as fractions with four decimals (0.1925 = 19.25%).
RATE_PLACES = Decimal("0.0001")
# Allowed difference between a given gross and net * (1 + rate) when all three are given.
TOLERANCE = Decimal("0.01")

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₺": "TRY", "₽": "RUB"}
_SYMBOLS = "".join(re.escape(s) for s in CURRENCY_SYMBOLS)
_CURRENCY = rf"(?:[A-Za-z]{{3}}|[{_SYMBOLS}])"
_AMOUNT = re.compile(
    rf"^(?P<sign>[-+])?\s*(?:{_CURRENCY}\s*)?(?P<sign2>[-+])?\s*(?P<number>[\d.,' ]+?)\s*(?:{_CURRENCY})?$"
)
# Characters people put between groups of thousands besides "," and ".".
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_GROUPED = re.compile(r"^\d{1,3}(?:(?P<sep>[.,' ])\d{3})(?:(?P=sep)\d{3})*$")


def parse_decimal(value) -> Decimal:
    """Read an amount as people and models write it; raise ApplicationError for anything else.

    Accepts Decimal, int, float (through its shortest text form, i.e. what the JSON said) and text:
    "42.50", "1,190", "1.234,50", "12,5", "1 234.50", "1'234.50", "€42.50", "42.50 EUR", "-5".

    How the separators are read:
    - both "," and "." present: the one that comes last is the decimal separator ("1.234,50",
      "1,234.50"); the other groups thousands.
    - the same separator more than once: it groups thousands ("1,234,567", "1.234.567").
    - a lone "." is the decimal point ("42.50", "1.190" = 1.19).
    - a lone "," followed by exactly 3 digits groups thousands: "1,190" is 1190 (how amounts are
      written in English); otherwise a lone "," is a decimal comma ("12,5", "42,50"). The exception
      is "0,500", which can only be a decimal.
    - spaces and apostrophes only ever group thousands.
    Groups of thousands must have 3 digits ("1,23,4" is refused).
    """
    if isinstance(value, bool):
        raise ApplicationError(f"{value!r} is not an amount.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = _parse_text(repr(value), value)
    elif isinstance(value, str):
        number = _parse_text(value, value)
    else:
        raise ApplicationError(f"{value!r} is not an amount.")
    if not number.is_finite():
        raise ApplicationError(f"{value!r} is not an amount.")
    return number


def _parse_text(text: str, original) -> Decimal:
    cleaned = _SPACES.sub(" ", text).strip()
    match = _AMOUNT.match(cleaned)
    if not match or (match["sign"] and match["sign2"]):
        raise _not_an_amount(original)
    sign = "-" if "-" in (match["sign"] or "", match["sign2"] or "") else ""
    number = match["number"].strip()
    if not any(ch.isdigit() for ch in number):
        raise _not_an_amount(original)
    decimal_mark = _decimal_mark(number)
    if decimal_mark:
        whole, fraction = number.rsplit(decimal_mark, 1)
        if not fraction.isdigit():
            raise _not_an_amount(original)
    else:
        whole, fraction = number, ""
    whole = whole.strip()
    if whole and not whole.isdigit():
        if not _GROUPED.match(whole):
            raise _not_an_amount(original)
        whole = re.sub(r"\D", "", whole)
    try:
        return Decimal(f"{sign}{whole or '0'}" + (f".{fraction}" if fraction else ""))
    except InvalidOperation:
        raise _not_an_amount(original) from None


def _decimal_mark(number: str) -> str:
    """Which of "," and "." is the decimal separator in `number`, or "" if it has none."""
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        return "," if number.rfind(",") > number.rfind(".") else "."
    if dots:
        return "." if dots == 1 else ""
    if commas == 1:
        whole, fraction = number.split(",")
        grouped_otherwise = " " in whole or "'" in whole
        if len(fraction) == 3 and whole.strip() not in ("", "0") and not grouped_otherwise:
            return ""
        return ","
    return ""


def _not_an_amount(value) -> ApplicationError:
    return ApplicationError(f"{value!r} is not an amount. Write it like 42.50, 1,190 or 1.234,50.")


def parse_tax_rate(value) -> Decimal:
    """A tax rate as a fraction with four decimals: 0.19, "0.19", "19%", 19 and "19" all mean 19%.

    A number of 1 or more without "%" is a percentage (19 -> 19%, 1 -> 1%); below 1 it is a
    fraction (0.07 -> 7%). The rate must be at least 0% and below 100%.
    """
    percent = False
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            percent, text = True, text[:-1].strip()
        rate = parse_decimal(text)
    else:
        rate = parse_decimal(value)
    if percent or rate >= 1:
        rate = rate / 100
    if rate < 0 or rate >= 1:
        raise ApplicationError(f"{value!r} is not a tax rate. Give it like 19% or 0.19.")
    if rate != rate.quantize(RATE_PLACES):
        raise ApplicationError(f"{value!r} has too many decimals for a tax rate (at most 19.25%).")
    return rate.quantize(RATE_PLACES)


def parse_currency(value: str | None, *, default: str) -> str:
    """An ISO 4217 code ("EUR") from a code in any case or a symbol ("€"); `default` when empty."""
    text = (value or "").strip()
    if not text:
        return default
    code = CURRENCY_SYMBOLS.get(text, text.upper())
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ApplicationError(f"{value!r} is not a currency. Give its 3-letter code, e.g. EUR or USD.")
    return code


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    tax_rate: Decimal
    gross: Decimal

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net


def resolve_amounts(*, net=None, gross=None, tax_rate=None, default_tax_rate) -> Amounts:
    """Complete net, tax rate and gross from what was given; raise ApplicationError if impossible.

    Any two determine the third (amounts rounded to cents half up, a derived rate to four
    decimals). Net or gross alone uses `default_tax_rate`. All three must agree within a cent.
    Amounts must be above zero; values may be written any way `parse_decimal` reads.
    """
    given_net = _positive(net, "net") if _given(net) else None
    given_gross = _positive(gross, "gross") if _given(gross) else None
    rate = parse_tax_rate(tax_rate) if _given(tax_rate) else None

    if given_net is None and given_gross is None:
        raise ApplicationError("Give the net or the gross amount.")
    if given_net is not None and given_gross is not None:
        if given_gross < given_net:
            raise ApplicationError(
                f"The gross amount ({given_gross}) cannot be less than the net amount ({given_net})."
            )
        if rate is None:
            rate = ((given_gross - given_net) / given_net).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
            if rate >= 1:
                raise ApplicationError(
                    f"Gross {given_gross} and net {given_net} mean a tax rate of 100% or more; check them."
                )
        elif abs(given_net * (1 + rate) - given_gross) > TOLERANCE:
            raise ApplicationError(
                f"Net {given_net} at {_percent(rate)} tax is {round_cents(given_net * (1 + rate))} gross, "
                f"not {given_gross}. Give only two of net, tax rate and gross."
            )
        return Amounts(net=given_net, tax_rate=rate, gross=given_gross)

    if rate is None:
        rate = parse_tax_rate(default_tax_rate)
    if given_net is not None:
        return Amounts(net=given_net, tax_rate=rate, gross=round_cents(given_net * (1 + rate)))
    derived_net = round_cents(given_gross / (1 + rate))
    if derived_net <= 0:
        raise ApplicationError(f"A gross amount of {given_gross} is too small to split into net and tax.")
    return Amounts(net=derived_net, tax_rate=rate, gross=given_gross)


def _given(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# The records keep 12 digits, 2 of them cents.
LARGEST = Decimal("9999999999.99")


def _positive(value, name: str) -> Decimal:
    amount = round_cents(parse_decimal(value))
    if amount <= 0:
        raise ApplicationError(f"The {name} amount must be more than zero (got {value!r}).")
    if amount > LARGEST:
        raise ApplicationError(f"The {name} amount {value!r} is too large (at most {LARGEST:,}).")
    return amount


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"
