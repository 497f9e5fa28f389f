"""X-Hub-Signature-256: HMAC-SHA256 of the raw body, keyed with the app secret."""

import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Hash the bytes as sent (never re-serialised JSON) and compare in constant time."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())


def verify_token_valid(given: str | None, expected: str) -> bool:
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
