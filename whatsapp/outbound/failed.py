"""A message Graph had accepted, then Meta reported `failed`: what the outbox does about it.

Queued as its own task by whatsapp.statuses once the failure is committed (outbound_failed_later_task).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from whatsapp import alerts
from whatsapp.alerts import OPERATOR_RETRY_SECONDS
from whatsapp.models import Message
from whatsapp.catalogue.check import Problem
from whatsapp.catalogue.held import template_refused
from whatsapp.outbound.errors import OPERATOR_CODES, TEMPLATE_CODES, WINDOW_CLOSED_CODE
from whatsapp.outbound.queue import FREE_FORM_TYPES, outbound_window_closed, send_later, send_on_commit

logger = logging.getLogger(__name__)


@transaction.atomic
def outbound_failed_later(*, message: Message) -> None:
    """A `failed` status arrived for a message Graph had accepted: a closed window sends a document
    as the template it names (the same file; once) and holds anything else for the person, a
    template Meta would not send holds it for the catalogue, a refused token or account raises the
    alert and queues a copy for after the fix.

    Idempotent (its task may run twice): a message no longer failed, or already copied, is left."""
    message = Message.objects.select_for_update(of=("self",)).select_related("conversation").filter(pk=message.pk).first()
    if message is None or message.status != Message.Status.FAILED:
        return
    if message.error_code == WINDOW_CLOSED_CODE and message.type in FREE_FORM_TYPES:
        if outbound_window_closed(message=message, conversation=message.conversation,
                                  reason="Failed with 131047 (24-hour window closed): held until the person writes."):
            send_on_commit(message.conversation_id)
    elif message.type == "template" and message.error_code in TEMPLATE_CODES:
        template_refused(message=message, problem=Problem(
            message.error_code, f"Meta failed the template: {message.error_title}"[:255],
            f"{message.error_details} The template catalogue was out of date; it is being synced. The message is "
            "held and goes out once the template changes in the catalogue.".strip()))
    elif message.error_code in OPERATOR_CODES:
        if Message.objects.filter(data__resend_of=message.pk).exists():
            return
        alerts.alert_raise(code=message.error_code, title=message.error_title, details=message.error_details,
                           source="webhook")
        _resend_after_operator(message)


# A message Meta failed for the token or the account is sent again this many times at most.
OPERATOR_RESENDS = 3


def _resend_after_operator(message: Message) -> Message | None:
    """Meta accepted it, then reported it failed for the token or the account: not the message's
    fault, so a copy is queued for after the pause (the alert starts one), and the failed one stays
    as it is, with its wamid and statuses. At most OPERATOR_RESENDS times, then it stays failed."""
    resends = int((message.data or {}).get("operator_resends", 0))
    if resends >= OPERATOR_RESENDS:
        logger.error("Message %s failed with %s again after %s resends: left failed", message.pk,
                     message.error_code, resends)
        return None
    copy = Message.objects.create(
        conversation_id=message.conversation_id, direction=Message.Direction.OUTBOUND, type=message.type,
        timestamp=timezone.now(), status=Message.Status.QUEUED, text=message.text, payload=message.payload,
        media_file=message.media_file.name, media_filename=message.media_filename,
        media_mime_type=message.media_mime_type, media_id=message.media_id, sent_by=message.sent_by, data={**(message.data or {}), "operator_resends": resends + 1,
                                        "resend_of": message.pk},
        next_attempt_at=timezone.now() + timedelta(seconds=OPERATOR_RETRY_SECONDS),
        error_details=f"A copy of message {message.pk}, which Meta reported failed ({message.error_code}).")
    send_later(message.conversation_id, OPERATOR_RETRY_SECONDS)
    return copy
