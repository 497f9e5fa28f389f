"""One turn's requests to the model, each within AGENT_MAX_PROMPT_TOKENS, all within the turn's budget.

A request is, in this order: the system prompt (the same for everyone of a role), the tool schemas,
the turn's context (the day, who is writing), the history (whole earlier turns, newest last), the
person's message (cut to AGENT_MESSAGE_TOKENS), and this turn's tool calls and results so far (each
result within AGENT_TOOL_RESULT_TOKENS: agent.tools.results). The history gets what the rest leaves
of the cap, at most AGENT_HISTORY_TOKENS. When this turn's tool results outgrow the room, the oldest
history turns are dropped first, then the oldest of this turn's results are replaced by a note, so
a tool call always keeps its (possibly replaced) result and the cap holds at every round.

The turn's budget, AGENT_TURN_PROMPT_TOKENS, counts the prompt tokens of every request of the turn.
A round may call tools only while a final answering request would still fit in what is left; the
final one offers no tool (tool_choice "none") and asks the model to answer with what it has. So a
turn costs at most its budget, whatever the model does.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings

from agent.history import build_history
from agent.inputs import UserContent
from agent.prompt import system_prompt, turn_context
from agent.tokens import cut, request_tokens
from agent.tools import tools_for

logger = logging.getLogger(__name__)

ANSWER_NOW = ("Tool use for this message has ended: answer now with what you have, and say plainly what you "
              "could not do.")
DROPPED = '{"note":"result dropped to keep the request small; call again if you need it"}'


def specs_for(user) -> list[dict]:
    return [t.spec() for t in tools_for(user)]


@dataclass
class TurnPrompt:
    specs: list[dict]
    head: list[dict]  # the system prompt, then the turn's context
    history: list[list[dict]]  # whole earlier turns, oldest first
    person: dict  # the person's message
    steps: list[dict] = field(default_factory=list)  # this turn's tool calls and results
    spent: int = 0  # prompt tokens of the requests sent so far this turn

    @classmethod
    def start(cls, *, user, conversation, message, content: UserContent, today) -> "TurnPrompt":
        text = cut(content.text, settings.AGENT_MESSAGE_TOKENS)
        person = {"role": "user", "content": UserContent(text=text, image_url=content.image_url,
                                                         kind=content.kind).as_openai()}
        head = [{"role": "system", "content": system_prompt(role=user.role, role_label=user.get_role_display())},
                {"role": "system", "content": turn_context(user=user, today=today)}]
        specs = specs_for(user)
        room = settings.AGENT_MAX_PROMPT_TOKENS - request_tokens(head + [person], specs)
        history = build_history(conversation=conversation, before=message,
                                budget_tokens=max(0, min(settings.AGENT_HISTORY_TOKENS, room)))
        return cls(specs=specs, head=head, history=history, person=person)

    def _messages(self, answer_now: bool) -> list[dict]:
        messages = [*self.head, *(m for group in self.history for m in group), self.person, *self.steps]
        if answer_now:
            messages.append({"role": "system", "content": ANSWER_NOW})
        return messages

    def size(self, *, answer_now: bool = False) -> int:
        return request_tokens(self._messages(answer_now), self.specs)

    def room_for_another_round(self) -> bool:
        """May the next request offer tools? Only while a final answer would still fit the turn's budget."""
        self._fit(answer_now=False)
        return self.spent + self.size() + settings.AGENT_MAX_PROMPT_TOKENS <= settings.AGENT_TURN_PROMPT_TOKENS

    def request(self, *, answer_now: bool) -> list[dict]:
        """The next request's messages, within the cap; counted as spent."""
        self._fit(answer_now=answer_now)
        messages = self._messages(answer_now)
        self.spent += request_tokens(messages, self.specs)
        return messages

    def add_calls(self, tool_calls: list[dict], *, content: str | None) -> None:
        self.steps.append({"role": "assistant", "content": content or None, "tool_calls": tool_calls})

    def add_result(self, call_id: str, text: str) -> None:
        self.steps.append({"role": "tool", "tool_call_id": call_id, "content": text})

    def _fit(self, *, answer_now: bool) -> None:
        cap = settings.AGENT_MAX_PROMPT_TOKENS
        while self.size(answer_now=answer_now) > cap:
            if self.history:
                self.history.pop(0)
                while self.history and self.history[0][0]["role"] != "user":
                    self.history.pop(0)  # never open with an assistant's answer to a dropped turn
                continue
            kept = [m for m in self.steps if m["role"] == "tool" and m["content"] != DROPPED]
            if not kept:
                logger.warning("A request of %s tokens cannot be cut to the cap of %s", self.size(), cap)
                return
            kept[0]["content"] = DROPPED
