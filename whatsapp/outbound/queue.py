"""Queueing: a reply, a template, a document or a notification becomes queued rows, sent after commit.

Free-form messages go out only while the person's 24-hour window is open. When it is closed, or
Graph answers 131047, the message is held and the re-engagement template goes out instead; held
messages are released when the person writes again. A document may name an approved template to
go instead (its DOCUMENT header carries the file): then the closed window sends that template.
Nothing is queued as a template before the catalogue says it may go out (whatsapp.catalogue.check);
what may not is held with an alert.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from whatsapp.catalogue.check import template_alert, template_checked, template_text
from whatsapp.catalogue.components import template_components
from whatsapp.models import REPLY_WINDOW, Conversation, Message
from whatsapp.outbound.client import buttons_payload, document_payload, template_payload
from whatsapp.outbound.text import TEXT_LIMIT, signature_line, split_text
from whatsapp.replies import Reply

logger = logging.getLogger(__name__)

# What only goes out inside the person's 24-hour window (templates go out at any time).
FREE_FORM_TYPES = {"text", "interactive", "document"}


def _rows_for(conversation: Conversation, reply: Reply) -> list[dict]:
    if reply.buttons:
        payload = buttons_payload(conversation.recipient, reply.text, reply.buttons)
        rows = [{"type": "interactive", "text": reply.text, "payload": payload,
                 "data": {"buttons": [list(b) for b in reply.buttons]}}]
    else:
        # A team member's name goes above the first part: every part leaves room for it.
        limit = TEXT_LIMIT - len(signature_line(reply.signature)) if reply.signature else TEXT_LIMIT
        rows = [{"type": "text", "text": part, "data": {}} for part in split_text(reply.text, limit)]
        if reply.signature and rows:
            rows[0]["data"]["signature"] = reply.signature
    if reply.as_written:
        # The whole answer as written goes on its first part; the other parts say where it is.
        rows[0]["data"]["as_written"] = reply.as_written
        for row in rows[1:]:
            row["data"]["as_written_in_part"] = 0
    return rows


# The rows are committed before their task is sent. If the broker cannot take it (robust: logged,
# not raised), the sweeper sends them later; raising would only fail a request or task whose work
# is already saved, and invite doing it twice.
def send_on_commit(conversation_id: int) -> None:
    from whatsapp.tasks import outbound_send_task

    transaction.on_commit(lambda: outbound_send_task.delay(conversation_id), robust=True)


def send_later(conversation_id: int, seconds: float) -> None:
    from whatsapp.tasks import outbound_send_task

    transaction.on_commit(lambda: outbound_send_task.apply_async((conversation_id,), countdown=seconds),
                          robust=True)


@transaction.atomic
def outbound_queue(*, conversation: Conversation, reply: Reply, in_reply_to: Message | None = None,
                   sent_by=None, fallback: dict | None = None) -> list[Message]:
    """Queue a reply (text split at 4096 characters, or reply buttons) and send it after commit.

    Keyed by the inbound message it answers: queueing the same answer twice stores it once.
    `fallback`: the template that goes out instead when the window is closed (outbound_hold).
    """
    now = timezone.now()
    messages = []
    for part, row in enumerate(_rows_for(conversation, reply)):
        if fallback:
            row["data"] = {**row.get("data", {}), "fallback": fallback}
        fields = dict(conversation=conversation, direction=Message.Direction.OUTBOUND, timestamp=now,
                      status=Message.Status.QUEUED, sent_by=sent_by, **row)
        if in_reply_to is not None:
            message, _ = Message.objects.get_or_create(in_reply_to=in_reply_to, part=part, defaults=fields)
        else:
            message = Message.objects.create(part=part, **fields)
        messages.append(message)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    send_on_commit(conversation.pk)
    return messages


@transaction.atomic
def template_queue(*, conversation: Conversation, name: str, language: str, components: list | None = None,
                   text: str = "", sent_by=None, data: dict | None = None) -> Message:
    """Queue a template (the only thing allowed outside the 24-hour window), once the catalogue says
    it may go out: approved in that language, and `components` (Graph's, see
    whatsapp.catalogue.components.template_components) fill exactly its placeholders.

    Otherwise it is held, never sent to Graph, with an alert saying what is wrong and how to fix it;
    whatsapp.catalogue.held releases it once the template can go. Its text is what the person reads
    (the catalogue's text with the values in), else `text`.
    """
    now = timezone.now()
    template, problem = template_checked(name=name, language=language, components=components)
    held = {} if problem is None else {"status": Message.Status.HELD, "error_code": problem.code,
                                       "error_title": problem.title[:255], "error_details": problem.details}
    message = Message.objects.create(**{
        "conversation": conversation, "direction": Message.Direction.OUTBOUND, "type": "template",
        "timestamp": now, "status": Message.Status.QUEUED, "sent_by": sent_by, "data": data or {},
        "text": template_text(template, components) or text or f"[template {name} ({language})]",
        "payload": template_payload(conversation.recipient, name, language, components), **held})
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    if problem is None:
        send_on_commit(conversation.pk)
    else:
        logger.warning("Template %s:%s held for conversation %s: %s", name, language, conversation.pk, problem.title)
        template_alert(problem, name=name, language=language)
    return message


@dataclass(frozen=True)
class TemplateInstead:
    """The approved template that carries a document when the person's 24-hour window is closed:
    its DOCUMENT header gets the file, its body these parameters; `text` is what the transcript shows."""

    name: str
    language: str
    body: tuple[str, ...] = ()
    text: str = ""


@transaction.atomic
def document_queue(*, conversation: Conversation, content: bytes, filename: str, caption: str = "",
                   mime_type: str = "application/pdf", template: TemplateInstead | None = None, sent_by=None,
                   data: dict | None = None) -> Message:
    """Queue a file to go out as a document with a caption, after commit.

    The file is kept on the message and uploaded to Graph when it is sent. Whether the window is
    open is decided then: inside it the document goes as it is; outside it `template` carries the
    file (without one, the document is held until the person writes, like text).
    """
    now = timezone.now()
    extra = dict(data or {})
    if template is not None:
        components = template_components(body=template.body, header_document={"id": "", "filename": filename})
        extra["template_instead"] = {
            "payload": template_payload(conversation.recipient, template.name, template.language, components),
            "text": template.text or f"[template {template.name}] {filename}",
        }
    message = Message(
        conversation=conversation, direction=Message.Direction.OUTBOUND, type="document", timestamp=now,
        status=Message.Status.QUEUED, text=caption, sent_by=sent_by, data=extra, media_filename=filename[:255],
        media_mime_type=mime_type, payload=document_payload(conversation.recipient, filename=filename, caption=caption),
    )
    message.media_file.save(filename, ContentFile(content), save=False)
    message.save()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    send_on_commit(conversation.pk)
    return message


def not_registered_reply_queue(*, conversation: Conversation, inbound: Message) -> None:
    """The optional one-time answer to someone not on the allow-list (off unless configured)."""
    if inbound.timestamp + REPLY_WINDOW <= timezone.now():
        return  # too late for free text: a stranger must never be sent a (paid) re-engagement template
    first = Conversation.objects.filter(pk=conversation.pk, not_registered_reply_at__isnull=True).update(
        not_registered_reply_at=timezone.now()
    )
    if first:
        outbound_queue(conversation=conversation, reply=Reply(text=settings.WHATSAPP_NOT_REGISTERED_REPLY),
                       in_reply_to=inbound)


def held_release(*, conversation: Conversation) -> int:
    """The person wrote again: queue the free-form messages held for them, in their original order.

    A template held for its catalogue entry waits for that (whatsapp.catalogue.held); one that only
    asked the person to write (a re-engagement) is not needed any more."""
    held = Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND,
                                  status=Message.Status.HELD)
    held.filter(type="template", data__reengagement=True).update(
        status=Message.Status.FAILED, failed_at=timezone.now(), error_title="Not needed",
        error_details="Not sent: the person wrote again before its template could go out.")
    released = held.filter(type__in=FREE_FORM_TYPES).update(
        status=Message.Status.QUEUED, next_attempt_at=None, attempts=0, first_attempt_at=None,
        error_code=None, error_title="", error_details="",
    )
    if released:
        send_on_commit(conversation.pk)
    return released


def _reengagement_pending(conversation: Conversation) -> bool:
    """Was a re-engagement template already queued or sent since the person last wrote?"""
    since = conversation.last_inbound_at or conversation.created_at
    return Message.objects.filter(
        conversation=conversation, direction=Message.Direction.OUTBOUND, type="template",
        data__reengagement=True, timestamp__gte=since,
    ).exclude(status=Message.Status.FAILED).exists()


def outbound_window_closed(*, message: Message, conversation: Conversation, reason: str) -> bool:
    """The 24-hour window is closed for this free-form message, which has not gone out (or which
    Meta failed with 131047 after accepting it): a document that names its template (document_queue)
    becomes that template, queued once the catalogue says it may go out (else held with an alert,
    like template_queue), with the same file; anything else is held until the person writes
    (outbound_hold). Returns True when the message is queued again (the caller sends it).

    It becomes its template once: a template is never turned into anything else, so a window that
    closes again cannot send the invoice twice."""
    instead = (message.data or {}).get("template_instead")
    if not instead:
        outbound_hold(message=message, conversation=conversation, reason=reason)
        return False
    data = {key: value for key, value in message.data.items() if key != "template_instead"}
    data["template_for"] = "document"
    if message.wamid:
        # Meta accepted the document, then failed it: its wamid and failure are kept here, and the
        # row waits for the template's own wamid (a late status of the document moves nothing).
        data["document_failed"] = {"wamid": message.wamid, "error_code": message.error_code, **{
            field: getattr(message, field).isoformat() for field in ("sent_at", "failed_at") if getattr(message, field)}}
    sent = instead["payload"].get("template") or {}
    name, language = str(sent.get("name") or ""), str((sent.get("language") or {}).get("code") or "")
    template, problem = template_checked(name=name, language=language, components=sent.get("components"),
                                         file_to_upload=bool(message.media_file))
    held = ({"error_code": None, "error_title": "", "error_details": ""} if problem is None else
            {"status": Message.Status.HELD, "error_code": problem.code, "error_title": problem.title[:255],
             "error_details": problem.details})
    Message.objects.filter(pk=message.pk).update(**{
        "type": "template", "payload": instead["payload"], "data": data,
        "text": template_text(template, sent.get("components")) or instead["text"],
        "status": Message.Status.QUEUED, "next_attempt_at": None, "wamid": None, "sent_at": None,
        "failed_at": None, **held})
    if problem is not None:
        template_alert(problem, name=name, language=language)
    return problem is None


def outbound_hold(*, message: Message, conversation: Conversation, reason: str) -> None:
    """Keep a free-form message until the person writes again, and ask them to, once per silence:
    with the message's own fallback template when it has one (a review outcome, say), else with the
    re-engagement template ({{1}} the business name)."""
    Message.objects.filter(pk=message.pk).update(status=Message.Status.HELD, error_details=reason)
    if _reengagement_pending(conversation):
        return
    fallback = (message.data or {}).get("fallback")
    if isinstance(fallback, dict) and fallback.get("name") and fallback.get("language"):
        template_queue(conversation=conversation, name=fallback["name"], language=fallback["language"],
                       components=fallback.get("components"), data={"reengagement": True, "for": message.pk})
        return
    template_queue(
        conversation=conversation, name=settings.WHATSAPP_REENGAGEMENT_TEMPLATE,
        language=settings.WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE,
        components=template_components(body=[settings.BUSINESS_NAME]), data={"reengagement": True},
    )
