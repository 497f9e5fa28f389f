"""Business-scoped user ids (BSUID): how Meta names a WhatsApp user to this business since 2026.

A two-letter country code, a period, and up to 128 letters and digits ("US.13491208655302741918").
Meta sends it with every message, beside the phone number or, for someone who turned on a
WhatsApp username, instead of it. A parent BSUID ("US.ENT.11815799212886844830") is shared across
linked business portfolios; messages name the person by their own BSUID, so that is what we keep.
"""

import re

from django.core.exceptions import ValidationError

BSUID_MAX_LENGTH = 131  # "US." + 128
_BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9]{1,128}")
_PARENT = re.compile(r"[A-Z]{2}\.ENT\.[A-Za-z0-9]{1,128}")
EXAMPLE = "US.13491208655302741918"


class InvalidBSUID(ValidationError):
    pass


def normalize_bsuid(raw: str) -> str:
    """Return `raw` as Meta writes it (country code in capitals), or raise InvalidBSUID saying why.

    The part after the period is kept exactly: Meta's ids are opaque.
    """
    text = "".join((raw or "").split())
    country, dot, rest = text.partition(".")
    candidate = f"{country.upper()}{dot}{rest}"
    if _PARENT.fullmatch(candidate):
        raise InvalidBSUID(
            f"{raw!r} is a parent business-scoped user id (shared across business portfolios). "
            f"Give the person's own one, e.g. {EXAMPLE}."
        )
    if not _BSUID.fullmatch(candidate):
        raise InvalidBSUID(
            f"{raw!r} is not a business-scoped user id: two letters, a period, then up to 128 letters "
            f"and digits, e.g. {EXAMPLE}."
        )
    return candidate
