"""The seam between the channel and whatever answers: one function, settings.WHATSAPP_REPLY_HANDLER.

It takes the conversation and the inbound message and returns a Reply (or a plain string, or None
for no answer). It must not send anything itself: the channel queues and delivers what it returns.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class Reply:
    text: str = ""
    # Interactive reply buttons: (id, title) pairs, at most three.
    buttons: list[tuple[str, str]] = field(default_factory=list)
    # A team member's name when they wrote it by hand: the person reads it above the text.
    signature: str = ""
    # The answer as its author wrote it, when the person reads a cleaned-up `text`: kept on the
    # message for whoever reads the conversation back (the agent's history), never sent.
    as_written: str = ""


def acknowledge(conversation, message) -> Reply | None:
    """The default handler until the agent is plugged in: a short acknowledgement."""
    if message.type == "reaction":
        return None
    return Reply(text="Got it, thanks. Your message is saved.")


def reply_handler():
    return import_string(settings.WHATSAPP_REPLY_HANDLER)


def as_reply(value) -> Reply | None:
    if value is None or isinstance(value, Reply):
        return value if value is None or value.text or value.buttons else None
    text = str(value).strip()
    return Reply(text=text) if text else None
