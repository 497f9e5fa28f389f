"""Queueing: a reply, a template or a notification becomes queued rows, sent after commit.

Free-form messages go out only while the person's 24-hour window is open. When it is closed, or
Graph answers 131047, the message is held and the re-engagement template goes out instead; held
messages are released when the person writes again. Nothing is queued as a template before the
catalogue says it may go out (whatsapp.catalogue.check); what may not is held with an alert.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from whatsapp.catalogue.check import template_alert, template_checked, template_text
from whatsapp.catalogue.components import template_components
from whatsapp.models import REPLY_WINDOW, Conversation, Message
from whatsapp.outbound.client import buttons_payload, template_payload
from whatsapp.outbound.text import split_text
from whatsapp.replies import Reply

logger = logging.getLogger(__name__)

# What only goes out inside the person's 24-hour window (templates go out at any time).
FREE_FORM_TYPES = {"text", "interactive"}


def _rows_for(conversation: Conversation, reply: Reply) -> list[dict]:
    if reply.buttons:
        payload = buttons_payload(conversation.recipient, reply.text, reply.buttons)
        return [{"type": "interactive", "text": reply.text, "payload": payload,
                 "data": {"buttons": [list(b) for b in reply.buttons]}}]
    return [{"type": "text", "text": part} for part in split_text(reply.text)]


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
