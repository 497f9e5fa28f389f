"""The webhooks Meta would send: for a message typed on the sandbox phone, and for the statuses
of a message we sent to it. Shapes as in tests/fixtures/webhook (Meta's own samples).

Bodies are serialised as Meta serialises them: compact, non-ASCII escaped (`\\u00e9`). They are
signed with the app secret, byte for byte, like every webhook Meta posts.
"""

import base64
import json
import os
import time
from dataclasses import dataclass

from django.conf import settings

from whatsapp.signatures import sign

# The sandbox business account and its number, as they appear in webhook metadata.
BUSINESS_ACCOUNT_ID = "100000000000000"
DISPLAY_PHONE_NUMBER = "15550000000"


@dataclass(frozen=True)
class SignedWebhook:
    body: bytes
    signature: str


def new_wamid() -> str:
    """A message id shaped like Meta's (`wamid.` + base64), unique."""
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + os.urandom(18)).decode()


def wa_id_of(phone_number: str) -> str:
    """Meta's wa_id: the E.164 number as digits, without the `+`."""
    return "".join(ch for ch in phone_number if ch.isdigit())


def _envelope(value: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": BUSINESS_ACCOUNT_ID,
            "changes": [{
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER,
                                 "phone_number_id": settings.WHATSAPP_PHONE_NUMBER_ID},
                    **value,
                },
                "field": "messages",
            }],
        }],
    }


def signed(document: dict) -> SignedWebhook:
    body = json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode()
    return SignedWebhook(body=body, signature=sign(body, settings.WHATSAPP_APP_SECRET))


def message_webhook(*, wa_id: str, profile_name: str, message: dict, at: int | None = None) -> SignedWebhook:
    """One inbound message from `wa_id`: `message` holds `type` and its object (and `context`)."""
    full = {"from": wa_id, "id": new_wamid(), "timestamp": str(at if at is not None else int(time.time())),
            **message}
    return signed(_envelope({"contacts": [{"profile": {"name": profile_name}, "wa_id": wa_id}],
                             "messages": [full]}))


def text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}


def media(kind: str, *, media_id: str, mime_type: str, sha256: str, caption: str = "", filename: str = "",
          voice: bool = False) -> dict:
    content = {"mime_type": mime_type, "sha256": sha256, "id": media_id}
    if caption and kind in ("image", "video", "document"):
        content["caption"] = caption
    if filename and kind == "document":
        content["filename"] = filename
    if kind == "audio":
        content["voice"] = voice
    return {"type": kind, kind: content}


def button_reply(*, button_id: str, title: str, replying_to: str) -> dict:
    """A tap on one of our reply buttons: an interactive message in reply to the one that had them."""
    return {"context": {"from": DISPLAY_PHONE_NUMBER, "id": replying_to},
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}}


def status_webhook(*, wamid: str, status: str, recipient_id: str, template: bool = False,
                   at: int | None = None, recipient_user_id: str = "") -> SignedWebhook:
    """Meta's report that our message `wamid` was sent, delivered or read (templates are billed).
    A message sent to a business-scoped user id is reported with `recipient_user_id` alone."""
    timestamp = at if at is not None else int(time.time())
    report = {"id": wamid, "status": status, "timestamp": str(timestamp)}
    if recipient_id:
        report["recipient_id"] = recipient_id
    if recipient_user_id:
        report["recipient_user_id"] = recipient_user_id
    if status == "sent":
        report["conversation"] = {"id": wamid[-32:], "expiration_timestamp": str(timestamp + 24 * 3600),
                                  "origin": {"type": "service"}}
        category = "utility" if template else "service"
        report["conversation"]["origin"]["type"] = category
        report["pricing"] = {"billable": template, "pricing_model": "PMP",
                             "type": "regular" if template else "free_customer_service", "category": category}
    return signed(_envelope({"statuses": [report]}))
