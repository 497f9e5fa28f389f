"""Queueing: a reply, a template or a notification becomes queued rows, sent after commit.

Free-form messages go out only while the person's 24-hour window is open. When it is closed, or
Graph answers 131047, the message is held and the re-engagement template goes out instead; held
messages are released when the person writes again.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from whatsapp.models import REPLY_WINDOW, Conversation, Message
from whatsapp.outbound.client import buttons_payload, template_payload
from whatsapp.outbound.text import TEXT_LIMIT, signature_line, split_text
from whatsapp.replies import Reply

# What only goes out inside the person's 24-hour window (templates go out at any time).
FREE_FORM_TYPES = {"text", "interactive"}


def _rows_for(conversation: Conversation, reply: Reply) -> list[dict]:
    if reply.buttons:
        payload = buttons_payload(conversation.recipient, reply.text, reply.buttons)
        return [{"type": "interactive", "text": reply.text, "payload": payload,
                 "data": {"buttons": [list(b) for b in reply.buttons]}}]
    # A team member's name goes above the first part: every part leaves room for it.
    limit = TEXT_LIMIT - len(signature_line(reply.signature)) if reply.signature else TEXT_LIMIT
    rows = [{"type": "text", "text": part} for part in split_text(reply.text, limit)]
    if reply.signature and rows:
        rows[0]["data"] = {"signature": reply.signature}
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
                   sent_by=None) -> list[Message]:
    """Queue a reply (text split at 4096 characters, or reply buttons) and send it after commit.

    Keyed by the inbound message it answers: queueing the same answer twice stores it once.
    """
    now = timezone.now()
    messages = []
    for part, row in enumerate(_rows_for(conversation, reply)):
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
    """Queue an approved template (the only thing allowed outside the 24-hour window)."""
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation, direction=Message.Direction.OUTBOUND, type="template", timestamp=now,
        status=Message.Status.QUEUED, text=text or f"[template {name}]", sent_by=sent_by, data=data or {},
        payload=template_payload(conversation.recipient, name, language, components),
    )
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
    """The person wrote again: queue what was held for them, in its original order."""
    released = Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND,
                                      status=Message.Status.HELD).update(
        status=Message.Status.QUEUED, next_attempt_at=None, attempts=0, first_attempt_at=None
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
    """Keep a free-form message until the person writes again, and ask them to (the re-engagement
    template, once per silence)."""
    Message.objects.filter(pk=message.pk).update(status=Message.Status.HELD, error_details=reason)
    if not _reengagement_pending(conversation):
        template_queue(
            conversation=conversation, name=settings.WHATSAPP_REENGAGEMENT_TEMPLATE,
            language=settings.WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE, data={"reengagement": True},
        )
