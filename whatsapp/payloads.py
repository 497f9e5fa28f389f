"""Parsing of the bodies Meta posts to the webhook. Pure functions: no database, no network.

Walks every entry, every change, every message, status and error: Meta batches them.
Total: whatever JSON a body holds, `parse_body` returns what it could read, and a reason for each
item it could not (kept in the raw body), or raises MalformedPayload when the body is not a
WhatsApp webhook at all. Values are read through the typed accessors of whatsapp.payload_values,
and fit the columns they go to. Unknown message types are kept as they are, never an error.
"""

from dataclasses import dataclass, field
from datetime import datetime

from whatsapp.catalogue.webhooks import TEMPLATE_FIELDS, TemplateUpdate, parse_template_update
from whatsapp.payload_values import (
    DocumentUnreadable,
    Unreadable,
    as_dict,
    as_id,
    as_int,
    as_list,
    as_text,
    as_timestamp,
    json_document,
    required_id,
    shown,
)

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# Meta batches at most 1,000 updates in one POST; more are noted, not read (the raw body has them).
MAX_ITEMS = 1000
MAX_REASONS = 100


class MalformedPayload(ValueError):
    """The body is not JSON, or not a WhatsApp Business Account webhook."""


class Size:
    """The columns' sizes (whatsapp/models.py; a test keeps them equal). Ids longer than their column
    are cut to a key of their own (payload_values.as_id); names and descriptions are cut."""

    PHONE_NUMBER_ID = 64
    WA_ID = 32
    BSUID = 255
    PROFILE_NAME = 256
    WAMID = 255
    TYPE = 32
    MEDIA_ID = 128
    MEDIA_MIME_TYPE = 128
    MEDIA_SHA256 = 128
    MEDIA_FILENAME = 255
    STATUS = 16
    RECIPIENT_ID = 255
    ACCOUNT_ID = 64
    ERROR_TITLE = 255


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
class ErrorReport:
    """The first of the `errors` Meta attaches to a failed status, read whatever its shape."""

    code: int | None
    title: str
    details: str


@dataclass
class WebhookBody:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    errors: list[AccountError] = field(default_factory=list)
    # The account's template webhooks (status, quality, category): whatsapp.catalogue.
    template_updates: list[TemplateUpdate] = field(default_factory=list)
    # Items we could not read (no id, no timestamp...): noted on the stored event, never fatal.
    skipped: list[str] = field(default_factory=list)
    more_skipped: int = 0
    not_read: int = 0  # items beyond MAX_ITEMS

    def note(self, reason: str) -> None:
        if len(self.skipped) < MAX_REASONS:
            self.skipped.append(reason)
        else:
            self.more_skipped += 1

    @property
    def full(self) -> bool:
        return len(self.messages) + len(self.statuses) + len(self.errors) + len(self.template_updates) >= MAX_ITEMS

    @property
    def reasons(self) -> str:
        """What the stored event says about the items it could not read ("" when it read them all)."""
        lines = list(self.skipped)
        if self.more_skipped:
            lines.append(f"... and {self.more_skipped} more items not read")
        if self.not_read:
            lines.append(f"{self.not_read} items beyond the first {MAX_ITEMS} not read (kept in the raw body)")
        return "\n".join(lines)


def parse_body(body: bytes) -> WebhookBody:
    try:
        document = json_document(body)
    except DocumentUnreadable as exc:
        raise MalformedPayload(str(exc)) from exc
    if not isinstance(document, dict) or document.get("object") != "whatsapp_business_account":
        raise MalformedPayload("body is not a whatsapp_business_account object")
    entries = document.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("body has no entry list")

    result = WebhookBody()
    for entry in entries:
        account_id = as_id(entry.get("id"), Size.ACCOUNT_ID) if isinstance(entry, dict) else ""
        for change in _items(entry, "changes", "entry", result):
            if not isinstance(change, dict):
                result.note(f"change {shown(change)}: not an object")
            elif change.get("field") in TEMPLATE_FIELDS:
                _parse_template_update(change, account_id, result)
            elif change.get("field") != "messages":
                # Other fields (account updates, template status...) are kept in the raw event only.
                result.note(f"change field {shown(change.get('field'))}")
            elif not isinstance(change.get("value"), dict):
                result.note(f"change value {shown(change.get('value'))}: not an object")
            else:
                _parse_value(change["value"], result)
    return result


def _parse_template_update(change: dict, account_id: str, result: WebhookBody) -> None:
    if result.full:
        result.not_read += 1
        return
    try:
        result.template_updates.append(parse_template_update(change.get("value"), field_name=change["field"],
                                                             account_id=account_id))
    except Unreadable as exc:
        result.note(f"change {change['field']}: {exc}")


def _items(container, key: str, what: str, result: WebhookBody) -> list:
    """container[key] as a list; a missing one is empty, a wrong type is noted."""
    if not isinstance(container, dict):
        result.note(f"{what} {shown(container)}: not an object")
        return []
    value = container.get(key)
    if value is not None and not isinstance(value, list):
        result.note(f"{what} {key} {shown(value)}: not a list")
    return as_list(value)


def _parse_value(value: dict, result: WebhookBody) -> None:
    phone_number_id = as_id(as_dict(value.get("metadata")).get("phone_number_id"), Size.PHONE_NUMBER_ID)
    contacts = [c for c in _items(value, "contacts", "value", result) if isinstance(c, dict)]
    readers = (
        ("messages", "message", lambda raw: result.messages.append(
            parse_message(raw, phone_number_id=phone_number_id, contacts=contacts))),
        ("statuses", "status", lambda raw: result.statuses.append(parse_status(raw, phone_number_id=phone_number_id))),
        ("errors", "error", lambda raw: result.errors.append(
            parse_account_error(raw, phone_number_id=phone_number_id))),
    )
    for key, item, read in readers:
        for position, raw in enumerate(_items(value, key, "value", result), start=1):
            if result.full:
                result.not_read += 1
                continue
            try:
                read(raw)
            except Unreadable as exc:
                label = shown(raw["id"]) if isinstance(raw, dict) and raw.get("id") else f"#{position}"
                result.note(f"{item} {label}: {exc}")


def _object(raw) -> dict:
    if not isinstance(raw, dict):
        raise Unreadable(f"{shown(raw)} is not an object")
    return raw


def parse_status(raw, *, phone_number_id: str) -> StatusReport:
    raw = _object(raw)
    errors = raw.get("errors")
    return StatusReport(
        phone_number_id=phone_number_id,
        wamid=required_id(raw, "id", Size.WAMID),
        status=required_id(raw, "status", Size.STATUS),
        timestamp=as_timestamp(raw.get("timestamp")),
        recipient_id=as_id(raw.get("recipient_id"), Size.RECIPIENT_ID),
        recipient_user_id=as_id(raw.get("recipient_user_id"), Size.BSUID),
        errors=errors if isinstance(errors, list) else None,
        raw=raw,
    )


def parse_account_error(raw, *, phone_number_id: str) -> AccountError:
    raw = _object(raw)
    return AccountError(
        phone_number_id=phone_number_id,
        code=as_int(raw.get("code")) or 0,
        title=as_text(raw.get("title") or raw.get("message"), Size.ERROR_TITLE),
        details=as_text(as_dict(raw.get("error_data")).get("details")),
    )


def first_error(errors) -> ErrorReport:
    """Code, title and details of the first error in a status's `errors` (any shape: None, junk...)."""
    first = as_dict(as_list(errors)[0] if as_list(errors) else None)
    return ErrorReport(
        code=as_int(first.get("code")),
        title=as_text(first.get("title") or first.get("message"), Size.ERROR_TITLE),
        details=as_text(as_dict(first.get("error_data")).get("details")),
    )


def _contact_for(contacts: list[dict], wa_id: str, user_id: str) -> dict:
    for contact in contacts:
        if ((wa_id and as_id(contact.get("wa_id"), Size.WA_ID) == wa_id)
                or (user_id and as_id(contact.get("user_id"), Size.BSUID) == user_id)):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def parse_message(raw, *, phone_number_id: str, contacts: list[dict]) -> InboundMessage:
    raw = _object(raw)
    wamid = required_id(raw, "id", Size.WAMID)
    wa_id = as_id(raw.get("from"), Size.WA_ID)
    user_id = as_id(raw.get("from_user_id"), Size.BSUID)
    system = raw.get("system")
    if raw.get("type") == "system" and isinstance(system, dict) and system.get("previous_user_id"):
        # A changed number or BSUID: the message belongs with the ids the person had until now.
        user_id = as_id(system["previous_user_id"], Size.BSUID)
    contact = _contact_for(contacts, wa_id, user_id)
    wa_id = wa_id or as_id(contact.get("wa_id"), Size.WA_ID)
    bsuid = user_id or as_id(contact.get("user_id"), Size.BSUID)
    if not (wa_id or bsuid):
        raise Unreadable("message names no sender")
    raw_type = as_text(raw.get("type"))
    message = InboundMessage(
        phone_number_id=phone_number_id,
        wamid=wamid,
        type=as_id(raw_type, Size.TYPE) or "unknown",
        timestamp=as_timestamp(raw.get("timestamp")),
        wa_id=wa_id,
        bsuid=bsuid,
        profile_name=as_text(as_dict(contact.get("profile")).get("name"), Size.PROFILE_NAME),
        raw=raw,
    )
    context = raw.get("context")
    if isinstance(context, dict):
        message.context_wamid = as_id(context.get("id"), Size.WAMID)
        message.data["context"] = context
    if isinstance(raw.get("referral"), dict):
        message.referral = raw["referral"]
    if raw.get("errors"):
        message.data["errors"] = raw["errors"]
    _fill_content(message, raw.get(raw_type or "unknown"))
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
        message.text = as_text(content.get("body"))
    elif kind in MEDIA_TYPES:
        message.media_id = as_id(content.get("id"), Size.MEDIA_ID)
        message.media_mime_type = as_text(content.get("mime_type"), Size.MEDIA_MIME_TYPE)
        message.media_sha256 = as_text(content.get("sha256"), Size.MEDIA_SHA256)
        message.media_filename = as_text(content.get("filename"), Size.MEDIA_FILENAME)
        message.media_voice = bool(content.get("voice"))
        message.text = as_text(content.get("caption"))
        for key in ("animated", "url"):
            if key in content:
                message.data[key] = content[key]
    elif kind == "location":
        message.data.update({k: content.get(k) for k in ("latitude", "longitude", "name", "address", "url") if k in content})
        message.text = ", ".join(as_text(content.get(k)) for k in ("name", "address") if as_text(content.get(k)))
    elif kind == "interactive":
        reply_type = as_text(content.get("type"))
        reply = content.get(reply_type) or {}
        message.data.update({"reply_type": reply_type, "reply": reply})
        if isinstance(reply, dict):
            message.data.update({"id": as_text(reply.get("id")), "title": as_text(reply.get("title"))})
            if reply.get("description"):
                message.data["description"] = reply["description"]
            message.text = as_text(reply.get("title"))
    elif kind == "button":
        message.data.update({"payload": as_text(content.get("payload")), "text": as_text(content.get("text"))})
        message.text = message.data["text"]
    elif kind == "reaction":
        emoji = as_text(content.get("emoji"))
        message.data.update({"message_id": as_text(content.get("message_id")), "emoji": emoji, "removed": not emoji})
        message.text = emoji
    elif kind == "system":
        message.data.update(content)
        message.text = as_text(content.get("body"))
    else:
        # order, and every type Meta adds later: kept whole.
        message.data.update(content)
        message.text = as_text(content.get("text") or content.get("body"))


def contacts_summary(cards: list) -> str:
    """A readable line for a shared-contacts message ("Lucía Gómez +1 (983) 555-2319")."""
    lines = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        name = as_text(as_dict(card.get("name")).get("formatted_name"))
        phones = ", ".join(p for p in (as_text(as_dict(p).get("phone")) for p in as_list(card.get("phones"))) if p)
        lines.append(" ".join(part for part in (name, phones) if part))
    return "; ".join(lines)
