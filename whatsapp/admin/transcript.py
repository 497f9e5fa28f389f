"""A conversation as the admin shows it: messages oldest first, each outbound with its sender and
delivery state, and the answering side's work (the assistant's tool calls, tokens) under the reply
it led to.

That work comes from the function named in settings.WHATSAPP_AGENT_WORK (the channel never imports
the agent): (conversation=, message_ids=) -> {"messages": {inbound message id: HTML}, "summary":
HTML shown above the chat}. Unset, the transcript shows no such work.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import capfirst

from whatsapp.models import Conversation, Message

# The change page shows this many of the newest messages; the Messages list has them all.
TRANSCRIPT_LIMIT = 500

# Team members' replies are drawn in one of this many colours (whatsapp/static/whatsapp/transcript.css).
STAFF_COLOURS = 6

# status -> (ticks, label, css class): sent ✓, delivered ✓✓, read blue ✓✓.
DELIVERY = {
    Message.Status.QUEUED: ("🕓", "Queued", "queued"),
    Message.Status.HELD: ("⏸", "Held until the person writes", "held"),
    Message.Status.SENT: ("✓", "Sent", "sent"),
    Message.Status.DELIVERED: ("✓✓", "Delivered", "delivered"),
    Message.Status.READ: ("✓✓", "Read", "read"),
    Message.Status.PLAYED: ("✓✓", "Played", "read"),
    Message.Status.FAILED: ("✗", "Failed", "failed"),
}
# A template waits for its catalogue entry, not for the person (why: its error title and details).
HELD_TEMPLATE = ("⏸", "Held until its template can go out", "held")


def staff_colour(user_id: int) -> int:
    """Which of the STAFF_COLOURS a team member's replies are drawn in (templates/admin/whatsapp/
    conversation/chat.html): the same one on every page, none of them the assistant's green."""
    return user_id % STAFF_COLOURS


def time_left(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def window_state(conversation: Conversation, now=None) -> str:
    """"Open, 3 h 05 min left" or "Closed": derived from the person's last message, never stored."""
    now = now or timezone.now()
    if conversation.window_open(now):
        return f"Open, {time_left(conversation.window_expires_at - now)} left"
    return "Closed" if conversation.last_inbound_at else "Closed (never wrote)"


def _agent_work(conversation: Conversation, message_ids: list[int]) -> dict:
    if not settings.WHATSAPP_AGENT_WORK:
        return {"messages": {}, "summary": ""}
    return import_string(settings.WHATSAPP_AGENT_WORK)(conversation=conversation, message_ids=message_ids)


def transcript_build(*, conversation: Conversation, limit: int | None = None) -> dict:
    """The newest messages, oldest first, ready for templates/admin/whatsapp/conversation/transcript.html.

    The caller decides who may read `conversation` (whatsapp.visibility.conversations_visible_to).

    Each message gets `sender` (the person, "assistant" or the staff member's name, as the person read
    it), `sender_colour` (a team member's colour, see staff_colour; None otherwise), `delivery`
    (ticks, label, css class) for outbound ones, and `agent_work` (HTML) on the first part of the
    reply a turn led to (on the inbound message itself when no reply is shown).
    """
    limit = limit or TRANSCRIPT_LIMIT
    rows = conversation.messages.select_related("sent_by")
    total = rows.count()
    messages = list(rows.order_by("-timestamp", "-id")[:limit])[::-1]
    work = _agent_work(conversation, [m.pk for m in messages if m.direction == Message.Direction.INBOUND])
    first_reply = {}
    for message in messages:
        if message.in_reply_to_id and message.in_reply_to_id not in first_reply:
            first_reply[message.in_reply_to_id] = message
    person = str(conversation)
    for message in messages:
        message.agent_work = None
        message.sender_colour = None
        if message.direction == Message.Direction.INBOUND:
            message.sender = person
            message.delivery = None
        else:
            message.delivery = DELIVERY.get(message.status, ("", message.get_status_display(), ""))
            if message.status == Message.Status.HELD and message.type == "template":
                message.delivery = HELD_TEMPLATE
            if message.sent_by_id:
                # Under the name the person read (whatsapp.takeover), in the team member's own colour.
                message.sender = capfirst(message.sent_by.public_name)
                message.sender_colour = staff_colour(message.sent_by_id)
            else:
                message.sender = "assistant"
    for inbound_id, agent_work in work["messages"].items():
        target = first_reply.get(inbound_id) or next(m for m in messages if m.pk == inbound_id)
        target.agent_work = agent_work
    return {"transcript": messages, "transcript_total": total, "agent_summary": work["summary"]}
