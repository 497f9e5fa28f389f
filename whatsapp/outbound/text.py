"""Text limits of WhatsApp, and the text a person reads of a message we send."""

import re

TEXT_LIMIT = 4096
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def split_text(body: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split `body` into parts of at most `limit` characters, in order.

    Cuts at a paragraph break if there is one in range, else at a sentence end, else at a
    line break or space, and only as a last resort inside a word.
    """
    body = body.strip()
    parts: list[str] = []
    while len(body) > limit:
        window = body[: limit + 1]
        cut = window.rfind("\n\n", 0, limit)
        if cut <= 0:
            ends = [m.start() for m in _SENTENCE_END.finditer(window) if 0 < m.start() <= limit]
            cut = ends[-1] if ends else -1
        if cut <= 0:
            cut = max(window.rfind("\n", 0, limit), window.rfind(" ", 0, limit))
        if cut <= 0:
            cut = limit
        parts.append(body[:cut].rstrip())
        body = body[cut:].lstrip()
    if body:
        parts.append(body)
    return parts


def signature_line(signature: str) -> str:
    """A team member's name, in bold, above what they wrote by hand."""
    return f"*{signature}*\n"


def text_for_person(message) -> str:
    """What the person reads of an outbound text: a team member's reply opens with their name
    (`data["signature"]`, set when it was queued); the stored text is what they wrote."""
    signature = (message.data or {}).get("signature")
    return signature_line(signature) + message.text if signature else message.text
