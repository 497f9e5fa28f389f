"""Sandbox services: what the Graph stand-in records, the statuses it reports, the phone's uploads."""

import base64
import hashlib
import logging
import secrets
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F

from whatsapp.models import Conversation, Message, SandboxDelivery, SandboxMedia
from whatsapp.sandbox import phone
from whatsapp.sandbox.mode import sandbox_enabled

logger = logging.getLogger(__name__)

# Meta reports a message as sent, then delivered, then read; seconds after it was accepted.
STATUS_SCHEDULE = (("sent", 0.5), ("delivered", 1), ("read", 2))
WEBHOOK_PATH = "/webhooks/whatsapp/"
# What the sandbox phone may send, with Meta's size limits per type.
MEDIA_KINDS = {
    "image": ({"image/jpeg", "image/png"}, 5 * 1024 * 1024),
    "audio": ({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, 16 * 1024 * 1024),
    "document": (None, 100 * 1024 * 1024),
}


# What browsers call some of those files, and what Meta calls them.
BROWSER_MIME_TYPES = {"audio/x-m4a": "audio/mp4", "audio/m4a": "audio/mp4", "audio/mp3": "audio/mpeg",
                      "audio/x-aac": "audio/aac", "image/jpg": "image/jpeg"}


class UploadRefused(ValueError):
    """A file the sandbox phone cannot send (type or size); the message says why."""


@transaction.atomic
def delivery_record(*, kind: str, wamid: str, phone_number_id: str, payload: dict) -> SandboxDelivery:
    """Record what the stand-in accepted; for a message, report its statuses once this commits."""
    delivery = SandboxDelivery.objects.create(
        kind=kind, wamid=wamid, phone_number_id=phone_number_id,
        to=str(payload.get("to") or payload.get("recipient") or ""),
        type=str(payload.get("type") or ""), payload=payload)
    if kind == SandboxDelivery.Kind.MESSAGE:
        # robust: if the broker is down the message was still accepted (as Meta would have); an
        # error here would make the sender retry and deliver it twice. Its statuses are lost then.
        transaction.on_commit(lambda: statuses_schedule(delivery_id=delivery.pk), robust=True)
    return delivery


def statuses_schedule(*, delivery_id: int) -> None:
    from whatsapp.tasks import status_post_task

    for status, after in STATUS_SCHEDULE:
        status_post_task.apply_async((delivery_id, status), countdown=after)


def status_post(*, delivery_id: int, status: str) -> None:
    """Post one signed status webhook for a delivered message to our own webhook, as Meta does.

    Raises on anything but 200 (the task retries, as Meta retries for days)."""
    if not sandbox_enabled():
        # Left over from sandbox mode after real credentials came in: Meta reports real statuses.
        logger.warning("Sandbox status for delivery %s dropped: the sandbox is off", delivery_id)
        return
    delivery = SandboxDelivery.objects.get(pk=delivery_id)
    by_number = not delivery.payload.get("recipient") or bool(delivery.payload.get("to"))
    webhook = phone.status_webhook(wamid=delivery.wamid, status=status,
                                   recipient_id=phone.wa_id_of(delivery.to) if by_number else "",
                                   recipient_user_id="" if by_number else delivery.to,
                                   template=delivery.type == "template")
    response = requests.post(f"{settings.WHATSAPP_SANDBOX_URL}{WEBHOOK_PATH}", data=webhook.body, timeout=(5, 20),
                             headers={"Content-Type": "application/json",
                                      "X-Hub-Signature-256": webhook.signature})
    if response.status_code != 200:
        raise requests.HTTPError(f"the webhook answered {response.status_code}", response=response)


def media_store(*, content: bytes, mime_type: str, filename: str = "") -> tuple[str, SandboxMedia]:
    """Keep an upload as Graph keeps media; returns the message type it makes and the media."""
    mime_type = (mime_type or "application/octet-stream").split(";")[0].strip().lower()
    mime_type = BROWSER_MIME_TYPES.get(mime_type, mime_type)
    kind = "image" if mime_type.startswith("image/") else "audio" if mime_type.startswith("audio/") else "document"
    allowed, limit = MEDIA_KINDS[kind]
    if allowed is not None and mime_type not in allowed:
        raise UploadRefused(f"WhatsApp does not send {mime_type} as {kind}: use "
                            + ", ".join(sorted(allowed)) + ".")
    if not content:
        raise UploadRefused("The file is empty.")
    if len(content) > limit:
        raise UploadRefused(f"Too large for WhatsApp: {kind} files may be up to {limit // (1024 * 1024)} MB.")
    media = SandboxMedia.objects.create(
        media_id=str(10**15 + secrets.randbelow(9 * 10**15)), content=content, mime_type=mime_type,
        sha256=base64.b64encode(hashlib.sha256(content).digest()).decode(), filename=filename[:255],
        size=len(content))
    return kind, media


@transaction.atomic
def chat_clock_advance(*, conversation: Conversation, hours: int = 25) -> None:
    """Let `hours` pass in one chat: everything in it happened that much earlier, for us and for the
    stand-in alike (Meta's window is the person's last message), so a window closes as it would."""
    shift = timedelta(hours=hours)
    Message.objects.filter(conversation=conversation).update(timestamp=F("timestamp") - shift,
                                                             created_at=F("created_at") - shift)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=F("created_at") - shift, last_inbound_at=F("last_inbound_at") - shift,
        last_message_at=F("last_message_at") - shift)
    logger.info("Sandbox: conversation %s moved %s hours on", conversation.pk, hours)
