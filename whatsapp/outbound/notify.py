"""Messages the business starts (notifications), as opposed to replies."""

from django.conf import settings

from whatsapp.catalogue.components import template_components
from whatsapp.identity import conversation_open
from whatsapp.models import Conversation, Message
from whatsapp.outbound.queue import outbound_queue
from whatsapp.replies import Reply


def conversation_for_phone(*, phone: str, user=None, name: str = "") -> Conversation | None:
    """The conversation with this E.164 number on our number, created if they never wrote yet."""
    wa_id = (phone or "").lstrip("+")
    if not wa_id:
        return None
    return conversation_open(phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID, wa_id=wa_id, bsuid="", user=user,
                             profile_name=name)


def conversation_for_user(*, user) -> Conversation | None:
    """The conversation with this person on our number (by their number, else their business-scoped
    user id), created if they never wrote yet; None when we know neither."""
    wa_id = (user.phone_number or "").lstrip("+")
    if not (wa_id or user.bsuid):
        return None
    return conversation_open(phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID, wa_id=wa_id, bsuid=user.bsuid or "",
                             user=user, profile_name=user.get_full_name())


def notify_user(*, user, text: str, sent_by=None, fallback: dict | None = None) -> list[Message]:
    """Tell a person something on WhatsApp. Inside their 24-hour window it goes out as text;
    outside it a template goes first and the text waits until they answer: `fallback` when given
    ({"name", "language", "components"}: one that says what happened, e.g. a review's outcome),
    else the re-engagement template. Returns the queued messages ([] when we know neither their
    number nor their BSUID).
    """
    conversation = conversation_for_user(user=user)
    if conversation is None:
        return []
    return outbound_queue(conversation=conversation, reply=Reply(text=text), sent_by=sent_by, fallback=fallback)


def fallback_template(*, name: str, language: str, body=()) -> dict:
    """A notification's own template for when the window is closed, with its body values."""
    return {"name": name, "language": language, "components": template_components(body=body)}
