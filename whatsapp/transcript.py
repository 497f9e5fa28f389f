"""A conversation as the admin shows it: messages oldest first, each outbound with its sender and
delivery state, and the assistant's work (tool calls, tokens) under the reply it led to.

The assistant's records are read through the reverse relations its models declare on Message and
Conversation (`tool_calls`, `agent_turns`): the channel never imports the agent, and without it
the transcript simply has no tool calls.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from whatsapp.models import Conversation, Message

# The change page shows this many of the newest messages; the Messages list has them all.
TRANSCRIPT_LIMIT = 500

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
TOKEN_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


@dataclass
class AgentWork:
    """What the assistant did to answer one inbound message."""

    tool_calls: list = field(default_factory=list)
    turns: list = field(default_factory=list)

    @property
    def tokens(self) -> dict:
        return {name: sum(getattr(turn, name) for turn in self.turns) for name in TOKEN_FIELDS}


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


def _reverse_model(model, related_name: str):
    """The model behind a reverse relation another app declared, or None when it is not installed."""
    descriptor = getattr(model, related_name, None)
    return descriptor.rel.related_model if descriptor is not None else None


def _agent_work(conversation: Conversation, message_ids: list[int]) -> dict[int, AgentWork]:
    """Tool calls and turns of these messages, and only of this conversation's: what the assistant did
    for one person never shows on another person's transcript."""
    work: dict[int, AgentWork] = defaultdict(AgentWork)
    mine = {"message_id__in": message_ids, "message__conversation": conversation}
    tool_call_model = _reverse_model(Message, "tool_calls")
    if tool_call_model is not None:
        for call in tool_call_model.objects.filter(**mine).order_by("created_at", "id"):
            work[call.message_id].tool_calls.append(call)
    turn_model = _reverse_model(Message, "agent_turns")
    if turn_model is not None:
        for turn in turn_model.objects.filter(**mine).order_by("created_at", "id"):
            work[turn.message_id].turns.append(turn)
    return work


def token_totals(conversation: Conversation) -> dict | None:
    """Turns and tokens the assistant spent on this conversation; None without the assistant."""
    turn_model = _reverse_model(Conversation, "agent_turns")
    if turn_model is None:
        return None
    turns = turn_model.objects.filter(conversation=conversation)
    totals = turns.aggregate(**{name: Sum(name) for name in TOKEN_FIELDS})
    return {"turns": turns.count(), **{name: value or 0 for name, value in totals.items()}}


def transcript_build(*, conversation: Conversation, limit: int | None = None) -> dict:
    """The newest messages, oldest first, ready for templates/admin/whatsapp/conversation/transcript.html.

    The caller decides who may read `conversation` (whatsapp.visibility.conversations_visible_to).

    Each message gets `sender` (the person, "assistant" or the staff member's name), `delivery`
    (ticks, label, css class) for outbound ones, and `agent_work` on the first part of the reply a
    turn led to (on the inbound message itself when no reply is shown).
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
        if message.direction == Message.Direction.INBOUND:
            message.sender = person
            message.delivery = None
        else:
            message.sender = message.sent_by.display_name if message.sent_by_id else "assistant"
            message.delivery = DELIVERY.get(message.status, ("", message.get_status_display(), ""))
    for inbound_id, agent_work in work.items():
        target = first_reply.get(inbound_id) or next(m for m in messages if m.pk == inbound_id)
        target.agent_work = agent_work
    return {"transcript": messages, "transcript_total": total, "token_totals": token_totals(conversation)}
