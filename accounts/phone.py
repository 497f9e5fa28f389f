"""Phone numbers: everything stored is E.164 ("+15550102030")."""

import phonenumbers
from django.core.exceptions import ValidationError


class InvalidPhoneNumber(ValidationError):
    pass


def normalize_phone(raw: str, *, default_region: str | None = None) -> str:
    """Return `raw` as E.164, or raise InvalidPhoneNumber with a message a person can act on.

    Accepts what people type ("+1 (555) 010-2030", "0049 30 1234567") and what Meta sends
    (digits without a "+", e.g. "16505551234").
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("A phone number is required.")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text[0].isdigit() and default_region is None:
        # Meta's wa_id / from: international digits without the "+".
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(
            f"{raw!r} is not a phone number. Give it in international form, e.g. +1 555 010 2030."
        ) from exc
    # "Possible" (a known country code and a plausible length), not "valid": the allow-list must
    # take every number Meta can deliver, including new ranges the library does not know yet.
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(
            f"{raw!r} is not a valid phone number (wrong length for its country). "
            "Give it in international form, e.g. +1 555 010 2030."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_from_wa_id(wa_id: str) -> str:
    """Meta's wa_id is the E.164 number without its "+"; no validation (Meta knows it exists)."""
    digits = "".join(ch for ch in (wa_id or "") if ch.isdigit())
    return "+" + digits if digits else ""
