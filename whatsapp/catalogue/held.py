"""Templates that cannot go out yet: held with an alert, released once the catalogue says they can.

A template is held when it is queued (whatsapp.outbound.queue.template_queue), or just before it
is sent (the sender checks again, and Meta may refuse it when the catalogue was out of date). It
is released when its catalogue row becomes approved with the placeholders it fills: by the
account's status webhook or by a sync (whatsapp.catalogue.sync), in the order it was queued.
"""

import logging

from django.db import transaction
from django.utils import timezone

from whatsapp.catalogue.check import (
    Problem,
    catalogue_version,
    template_alert,
    template_alerts_resolve,
    template_checked,
    template_find,
    template_text,
)
from whatsapp.models import Message
from whatsapp.outbound.queue import send_on_commit

logger = logging.getLogger(__name__)
# Message.data key: the catalogue entry (catalogue_version) Meta refused the message with.
REFUSED_AT = "refused_at_catalogue"


def _sent_template(message: Message) -> tuple[str, str, list | None]:
    template = (message.payload or {}).get("template") or {}
    return str(template.get("name") or ""), str((template.get("language") or {}).get("code") or ""), \
        template.get("components")


def template_hold(*, message: Message, problem: Problem) -> None:
    """Hold a template message for what its catalogue entry says, and tell staff."""
    name, language, _ = _sent_template(message)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.HELD, next_attempt_at=None, error_code=problem.code, error_title=problem.title[:255],
        error_details=problem.details)
    logger.warning("Template message %s (%s:%s) held: %s", message.pk, name, language, problem.title)
    template_alert(problem, name=name, language=language)


def template_refused(*, message: Message, problem: Problem) -> None:
    """Meta refused (or failed) a template the catalogue had as sendable: the catalogue is out of date.

    Held like any other, noting the catalogue as it was, and the catalogue is synced after commit.
    It is released only once its catalogue entry changes (the sync brings Meta's current text or
    status, a new approval comes): with the same entry Meta would only refuse it again."""
    name, language, _ = _sent_template(message)
    version = catalogue_version(template_find(name, language))
    Message.objects.filter(pk=message.pk).update(data={**(message.data or {}), REFUSED_AT: version})
    template_hold(message=message, problem=problem)
    from whatsapp.tasks import templates_sync_task

    transaction.on_commit(templates_sync_task.delay, robust=True)


def held_templates(*, name: str, language: str):
    return Message.objects.filter(direction=Message.Direction.OUTBOUND, type="template", status=Message.Status.HELD,
                                  payload__template__name=name,
                                  payload__template__language__code=language).order_by("timestamp", "id")


@transaction.atomic
def template_held_release(*, name: str, language: str) -> int:
    """Queue the messages held for this template that may go out now (checked one by one: each
    fills its own values); the others keep waiting, with the reason brought up to date. Its alerts
    are resolved when none is left waiting. Returns how many were released."""
    released, conversations, waiting = 0, set(), 0
    for message in held_templates(name=name, language=language).select_for_update():
        if (message.data or {}).get("reengagement") and _reengagement_answered(message):
            continue
        _, _, components = _sent_template(message)
        template, problem = template_checked(name=name, language=language, components=components,
                                             file_to_upload=bool(message.media_file))
        if problem is None and (message.data or {}).get(REFUSED_AT) == catalogue_version(template):
            waiting += 1  # Meta refused it with the catalogue as it is: it waits for a change
            continue
        if problem is not None:
            waiting += 1
            Message.objects.filter(pk=message.pk).update(error_code=problem.code, error_title=problem.title[:255],
                                                         error_details=problem.details)
            continue
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.QUEUED, next_attempt_at=None, attempts=0, first_attempt_at=None, error_code=None,
            error_title="", error_details="", text=template_text(template, components) or message.text)
        released += 1
        conversations.add(message.conversation_id)
    for conversation_id in sorted(conversations):
        send_on_commit(conversation_id)
    if not waiting:
        template_alerts_resolve(name=name, language=language)
    if released:
        logger.info("Template %s:%s may go out: %s held message(s) released", name, language, released)
    return released


def templates_held_release() -> int:
    """After a sync: release what every template with held messages allows now."""
    keys = (Message.objects.filter(direction=Message.Direction.OUTBOUND, type="template", status=Message.Status.HELD)
            .values_list("payload__template__name", "payload__template__language__code").distinct())
    return sum(template_held_release(name=name, language=language) for name, language in set(keys)
               if name and language)


def _reengagement_answered(message: Message) -> bool:
    """A held request to write back that the person has answered meanwhile: no longer needed."""
    conversation = message.conversation
    if conversation.last_inbound_at is None or conversation.last_inbound_at <= message.timestamp:
        return False
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, failed_at=timezone.now(), error_title="Not needed",
        error_details="Not sent: the person wrote again before its template could go out.")
    return True
