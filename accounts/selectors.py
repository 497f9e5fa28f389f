"""Reads about people."""

from accounts.models import User
from accounts.phone import e164_from_wa_id


def allowed_sender(*, wa_id: str | None) -> User | None:
    """The active user whose number is this WhatsApp id, or None (not on the allow-list).

    Meta sends digits without "+"; the allow-list stores E.164 with it.
    """
    phone = e164_from_wa_id(wa_id or "")
    if not phone:
        return None
    return User.objects.filter(phone_number=phone, is_active=True).first()
