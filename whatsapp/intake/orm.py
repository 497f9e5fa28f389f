"""Intake with the ORM: every database (SQLite in development and tests); the reference the
PostgreSQL statements are proven against (tests/whatsapp/test_intake_parity.py)."""

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from whatsapp import identity
from whatsapp.intake.store import IntakeStore, Stored
from whatsapp.models import Conversation, Message, WebhookEvent
from whatsapp.payloads import InboundMessage, StatusReport
from whatsapp.statuses import status_apply


class OrmStore(IntakeStore):
    def event_insert(self, *, body, message_count, status_count, error, now) -> int:
        return WebhookEvent.objects.create(received_at=now, body=body, message_count=message_count,
                                           status_count=status_count, error=error).pk

    def message_insert(self, *, inbound: InboundMessage, event_id, now, ours) -> Stored | None:
        user = identity.sender_for(wa_id=inbound.wa_id, bsuid=inbound.bsuid)
        allowed = ours and user is not None and user.is_active
        not_answered = Message.Status.IGNORED if ours else Message.Status.OTHER_NUMBER
        conversation = identity.conversation_for_inbound(inbound=inbound, user=user)
        message = Message(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            wamid=inbound.wamid,
            type=inbound.type,
            timestamp=inbound.timestamp,
            created_at=now,
            status=Message.Status.RECEIVED if allowed else not_answered,
            text=inbound.text,
            media_id=inbound.media_id,
            media_mime_type=inbound.media_mime_type,
            media_sha256=inbound.media_sha256,
            media_filename=inbound.media_filename,
            media_voice=inbound.media_voice,
            data=inbound.data,
            context_wamid=inbound.context_wamid,
            referral=inbound.referral,
            raw=inbound.raw,
            webhook_event_id=event_id,
            sender_allowed=allowed,
        )
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            if Message.objects.filter(wamid=inbound.wamid).exists():
                return None
            raise
        # The window runs from the person's newest message (by Meta's clock, whatever the arrival order).
        ts = Value(inbound.timestamp)
        times = {"last_message_at": Greatest(Coalesce(F("last_message_at"), ts), ts)}
        if inbound.window_opened_at is not None:
            times["last_inbound_at"] = Greatest(Coalesce(F("last_inbound_at"), ts), ts)
        Conversation.objects.filter(pk=conversation.pk).update(**times)
        newest = max((t for t in (conversation.last_inbound_at, inbound.window_opened_at) if t), default=None)
        seen = identity.Seen(conversation_id=conversation.pk, conversation_wa_id=conversation.wa_id,
                             conversation_bsuid=conversation.bsuid, conversation_last_inbound_at=newest,
                             user_id=user.pk if user else None, user_phone=user.phone_number if user else None,
                             user_bsuid=user.bsuid if user else None)
        return Stored(message.pk, conversation.pk, allowed, seen)

    def event_and_message_insert(self, *, body, inbound, error, now, ours) -> tuple[int, Stored | None]:
        with transaction.atomic():
            event_id = self.event_insert(body=body, message_count=1, status_count=0, error=error, now=now)
            return event_id, self.message_insert(inbound=inbound, event_id=event_id, now=now, ours=ours)

    def event_and_status_insert(self, *, body, report: StatusReport, now) -> int:
        with transaction.atomic():
            event = WebhookEvent.objects.create(received_at=now, body=body, message_count=0, status_count=1)
            status_apply(report=report, event=event, now=now)
            return event.pk
