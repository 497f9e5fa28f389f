"""What a conversation's transcript shows of the assistant's work (settings.WHATSAPP_AGENT_WORK):
under each reply, the tool calls and turns of the message it answered, and above the chat, the
turns and tokens spent on the conversation. The channel names this function; it never imports the
agent."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.template.loader import render_to_string

from agent.models import AgentTurn, ToolCall

TOKEN_FIELDS = ("prompt_tokens", "cached_tokens", "completion_tokens", "total_tokens")


@dataclass
class AgentWork:
    """What the assistant did to answer one inbound message."""

    tool_calls: list = field(default_factory=list)
    turns: list = field(default_factory=list)

    @property
    def tokens(self) -> dict:
        return {name: sum(getattr(turn, name) for turn in self.turns) for name in TOKEN_FIELDS}


def agent_work(*, conversation, message_ids: list[int]) -> dict:
    """{"messages": {inbound message id: HTML}, "summary": HTML}, for these messages and only of this
    conversation's: what the assistant did for one person never shows on another person's transcript.
    The caller decides who may read the conversation."""
    work: dict[int, AgentWork] = defaultdict(AgentWork)
    mine = {"message_id__in": message_ids, "message__conversation": conversation}
    for call in ToolCall.objects.filter(**mine).order_by("created_at", "id"):
        work[call.message_id].tool_calls.append(call)
    for turn in AgentTurn.objects.filter(**mine).order_by("created_at", "id"):
        work[turn.message_id].turns.append(turn)
    return {
        "messages": {message_id: render_to_string("admin/agent/agent_work.html", {"work": shown})
                     for message_id, shown in work.items()},
        "summary": render_to_string("admin/agent/token_totals.html", {"token_totals": token_totals(conversation)}),
    }


def token_totals(conversation) -> dict:
    """Turns and tokens the assistant spent on this conversation."""
    turns = AgentTurn.objects.filter(conversation=conversation)
    totals = turns.aggregate(**{name: Sum(name) for name in TOKEN_FIELDS})
    return {"turns": turns.count(), **{name: value or 0 for name, value in totals.items()}}
