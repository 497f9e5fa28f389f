"""Parsing of the bodies Meta posts to the webhook. Pure functions: no database, no network.

Walks every entry, every change, every message, status and error: Meta batches them.
Unknown message types are kept as they are, never an error.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


class MalformedPayload(ValueError):
    """The body is not JSON, or not a WhatsApp Business Account webhook."""


@dataclass
class InboundMessage:
    phone_number_id: str
    wamid: str
    type: str
    timestamp: datetime
    wa_id: str  # digits without "+", may be "" for username-only senders
    bsuid: str  # business-scoped user id (2026), may be ""
    profile_name: str
    text: str = ""
    media_id: str = ""
    media_mime_type: str = ""
    media_sha256: str = ""
    media_filename: str = ""
    media_voice: bool = False
    data: dict = field(default_factory=dict)
    context_wamid: str = ""
    referral: dict | None = None
    raw: dict = field(default_factory=dict)

    @property
    def contact_key(self) -> str:
        return self.wa_id or self.bsuid

    @property
    def window_opened_at(self) -> datetime | None:
        """When this opens the person's 24-hour window: a `system` notice (a changed number) is
        WhatsApp's, not something the person wrote, and opens none."""
        return None if self.type == "system" else self.timestamp


@dataclass
class StatusReport:
    phone_number_id: str
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str  # the number, without "+"; may be "" for a message sent to a BSUID
    recipient_user_id: str  # the business-scoped user id (2026), may be ""
    errors: list | None
    raw: dict


@dataclass
class AccountError:
    """An error Meta reports for our number, outside any message (e.g. 130429)."""

    phone_number_id: str
    code: int
    title: str
    details: str


@dataclass
class WebhookBody:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    errors: list[AccountError] = field(default_factory=list)
    # Items we could not read (no id, no timestamp...): noted on the stored event, never fatal.
    skipped: list[str] = field(default_factory=list)


def parse_timestamp(value) -> datetime:
    """Meta's timestamps are strings of Unix seconds; always UTC."""
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def parse_body(body: bytes) -> WebhookBody:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("object") != "whatsapp_business_account":
        raise MalformedPayload("body is not a whatsapp_business_account object")
    entries = document.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("body has no entry list")

    result = WebhookBody()
    for entry in entries:
        for change in (entry or {}).get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                # Other fields (account updates, template status...) are kept in the raw event only.
                result.skipped.append(f"change field {change.get('field') if isinstance(change, dict) else '?'!r}")
                continue
            _parse_value(change.get("value") or {}, result)
    return result


def _parse_value(value: dict, result: WebhookBody) -> None:
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
    contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]

    for raw in value.get("messages") or []:
        try:
            result.messages.append(parse_message(raw, phone_number_id=phone_number_id, contacts=contacts))
        except (KeyError, TypeError, ValueError) as exc:
            result.skipped.append(f"message {raw.get('id') if isinstance(raw, dict) else '?'}: {exc!r}")

    for raw in value.get("statuses") or []:
        try:
            result.statuses.append(
                StatusReport(
                    phone_number_id=phone_number_id,
                    wamid=str(raw["id"]),
                    status=str(raw["status"]),
                    timestamp=parse_timestamp(raw["timestamp"]),
                    recipient_id=str(raw.get("recipient_id") or ""),
                    recipient_user_id=str(raw.get("recipient_user_id") or ""),
                    errors=raw.get("errors"),
                    raw=raw,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            result.skipped.append(f"status {raw.get('id') if isinstance(raw, dict) else '?'}: {exc!r}")

    for raw in value.get("errors") or []:
        if isinstance(raw, dict):
            result.errors.append(
                AccountError(
                    phone_number_id=phone_number_id,
                    code=int(raw.get("code") or 0),
                    title=str(raw.get("title") or raw.get("message") or ""),
                    details=str((raw.get("error_data") or {}).get("details") or ""),
                )
            )


def _contact_for(contacts: list[dict], wa_id: str, user_id: str) -> dict:
    for contact in contacts:
        if (wa_id and contact.get("wa_id") == wa_id) or (user_id and contact.get("user_id") == user_id):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def parse_message(raw: dict, *, phone_number_id: str, contacts: list[dict]) -> InboundMessage:
    wamid = str(raw["id"])
    wa_id = str(raw.get("from") or "")
    user_id = str(raw.get("from_user_id") or "")
    system = raw.get("system")
    if raw.get("type") == "system" and isinstance(system, dict) and system.get("previous_user_id"):
        # A changed number or BSUID: the message belongs with the ids the person had until now.
        user_id = str(system["previous_user_id"])
    contact = _contact_for(contacts, wa_id, user_id)
    wa_id = wa_id or str(contact.get("wa_id") or "")
    bsuid = user_id or str(contact.get("user_id") or "")
    if not (wa_id or bsuid):
        raise ValueError("message names no sender")
    message_type = str(raw.get("type") or "unknown")
    message = InboundMessage(
        phone_number_id=phone_number_id,
        wamid=wamid,
        type=message_type,
        timestamp=parse_timestamp(raw["timestamp"]),
        wa_id=wa_id,
        bsuid=bsuid,
        profile_name=str((contact.get("profile") or {}).get("name") or ""),
        raw=raw,
    )
    context = raw.get("context")
    if isinstance(context, dict):
        message.context_wamid = str(context.get("id") or "")
        message.data["context"] = context
    if isinstance(raw.get("referral"), dict):
        message.referral = raw["referral"]
    if raw.get("errors"):
        message.data["errors"] = raw["errors"]
    _fill_content(message, raw.get(message_type))
    return message


def _fill_content(message: InboundMessage, content) -> None:
    kind = message.type
    if kind == "contacts" and isinstance(content, list):
        message.data["contacts"] = content
        message.text = contacts_summary(content)
        return
    if not isinstance(content, dict):
        if content is not None:
            message.data["content"] = content
        return
    if kind == "text":
        message.text = str(content.get("body") or "")
    elif kind in MEDIA_TYPES:
        message.media_id = str(content.get("id") or "")
        message.media_mime_type = str(content.get("mime_type") or "")
        message.media_sha256 = str(content.get("sha256") or "")
        message.media_filename = str(content.get("filename") or "")
        message.media_voice = bool(content.get("voice"))
        message.text = str(content.get("caption") or "")
        for key in ("animated", "url"):
            if key in content:
                message.data[key] = content[key]
    elif kind == "location":
        message.data.update({k: content.get(k) for k in ("latitude", "longitude", "name", "address", "url") if k in content})
        message.text = ", ".join(str(content[k]) for k in ("name", "address") if content.get(k))
    elif kind == "interactive":
        reply_type = str(content.get("type") or "")
        reply = content.get(reply_type) or {}
        message.data.update({"reply_type": reply_type, "reply": reply})
        if isinstance(reply, dict):
            message.data.update({"id": str(reply.get("id") or ""), "title": str(reply.get("title") or "")})
            if reply.get("description"):
                message.data["description"] = reply["description"]
            message.text = str(reply.get("title") or "")
    elif kind == "button":
        message.data.update({"payload": str(content.get("payload") or ""), "text": str(content.get("text") or "")})
        message.text = message.data["text"]
    elif kind == "reaction":
        emoji = str(content.get("emoji") or "")
        message.data.update({"message_id": str(content.get("message_id") or ""), "emoji": emoji, "removed": not emoji})
        message.text = emoji
    elif kind == "system":
        message.data.update(content)
        message.text = str(content.get("body") or "")
    else:
        # order, and every type Meta adds later: kept whole.
        message.data.update(content)
        message.text = str(content.get("text") or content.get("body") or "")


def contacts_summary(cards: list) -> str:
    """A readable line for a shared-contacts message ("Lucía Gómez +1 (983) 555-2319")."""
    lines = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        name = (card.get("name") or {}).get("formatted_name") or ""
        phones = ", ".join(p.get("phone", "") for p in card.get("phones") or [])
        lines.append(" ".join(part for part in (name, phones) if part))
    return "; ".join(lines)
