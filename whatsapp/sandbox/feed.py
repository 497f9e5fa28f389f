"""What the sandbox phone shows: one person's conversation, newest last, with ticks both ways."""

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from config.display import local_time, phone
from whatsapp.models import Conversation, Message, SandboxDelivery, SandboxMedia
from whatsapp.outbound.text import text_for_person
from whatsapp.sandbox.phone import wa_id_of

FEED_LIMIT = 100
# The ticks a message we sent shows, from its status.
OUTBOUND_TICKS = {
    Message.Status.QUEUED: "pending", Message.Status.HELD: "pending", Message.Status.SENT: "sent",
    Message.Status.DELIVERED: "delivered", Message.Status.READ: "read", Message.Status.PLAYED: "read",
    Message.Status.FAILED: "failed",
}


def speakable_by(viewer):
    """Whom `viewer` may chat as: people on the allow-list (active, with a number).

    What the assistant does is decided by the sender's role, so speaking as someone is acting as
    them: managers (and superusers) may speak as anyone, other team members as themselves and
    as customers, never as another team member.
    """
    rows = User.objects.filter(is_active=True).exclude(phone_number__isnull=True).exclude(phone_number="")
    if not (viewer.is_superuser or viewer.role == User.Role.MANAGER):
        rows = rows.filter(Q(pk=viewer.pk) | Q(role=User.Role.CUSTOMER))
    return rows


def people(viewer) -> list[dict]:
    rows = speakable_by(viewer).order_by("first_name", "last_name", "username")
    return [{"id": user.pk, "name": user.get_full_name() or user.username, "phone": phone(user.phone_number),
             "role": user.get_role_display()} for user in rows]


def person(viewer, user_id) -> User | None:
    return speakable_by(viewer).filter(pk=user_id).first()


def media_visible_to(viewer, media_id: str) -> bool:
    """Whether the media was sent in the chat of someone `viewer` may chat as."""
    wa_ids = [wa_id_of(phone) for phone in speakable_by(viewer).values_list("phone_number", flat=True)]
    return Message.objects.filter(media_id=media_id, conversation__phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
                                  conversation__wa_id__in=wa_ids).exists()


def conversation_of(user: User) -> Conversation | None:
    return Conversation.objects.filter(phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
                                       wa_id=wa_id_of(user.phone_number)).first()


def feed(user: User) -> dict:
    conversation = conversation_of(user)
    if conversation is None:
        return {"messages": [], "typing": False, "window_open": False, "paused": False}
    messages = list(conversation.messages.order_by("-timestamp", "-id")[:FEED_LIMIT])[::-1]
    inbound_ids = [m.wamid for m in messages if m.direction == Message.Direction.INBOUND and m.wamid]
    read = set(SandboxDelivery.objects.filter(kind=SandboxDelivery.Kind.READ, wamid__in=inbound_ids)
               .values_list("wamid", flat=True))
    media_ids = {m.media_id for m in messages if m.media_id}
    stored_media = set(SandboxMedia.objects.filter(media_id__in=media_ids).values_list("media_id", flat=True))
    typing = any(m.direction == Message.Direction.INBOUND and m.status == Message.Status.RECEIVED
                 and m.wamid in read for m in messages)
    return {
        "messages": [_row(m, read, stored_media) for m in messages],
        "typing": typing,
        "window_open": conversation.window_open(),
        "paused": conversation.bot_paused,
    }


def _row(message: Message, read: set, stored_media: set) -> dict:
    inbound = message.direction == Message.Direction.INBOUND
    row = {
        "id": message.pk,
        "wamid": message.wamid or "",
        "direction": message.direction,
        "type": message.type,
        "text": _text(message),
        "time": message.timestamp.isoformat(),
        "time_shown": local_time(message.timestamp),  # the one format of times (config/display.py)
        "ticks": ("read" if message.wamid in read else "delivered") if inbound
        else OUTBOUND_TICKS.get(message.status, "pending"),
        "error": "" if inbound else message.error_title or "",
        "buttons": [],
        "media": None,
    }
    if message.transcript:
        row["transcript"] = message.transcript
    if message.media_id in stored_media:
        row["media"] = {"url": reverse("sandbox-media", args=[message.media_id]), "mime_type": message.media_mime_type,
                        "filename": message.media_filename}
    if message.type == "interactive" and not inbound:
        buttons = ((message.payload or {}).get("interactive") or {}).get("action", {}).get("buttons") or []
        row["buttons"] = [{"id": b["reply"]["id"], "title": b["reply"]["title"]} for b in buttons
                          if isinstance(b, dict) and "reply" in b]
    if message.type == "template" and not inbound:
        row["template"] = (((message.payload or {}).get("template")) or {}).get("name", "")
    return row


def _text(message: Message) -> str:
    if message.text:
        return text_for_person(message)
    if message.type == "template":
        name = (((message.payload or {}).get("template")) or {}).get("name", "")
        return f"Template “{name}”"
    return ""
