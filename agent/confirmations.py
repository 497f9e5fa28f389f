"""Yes/No confirmations with WhatsApp reply buttons.

A tool that needs consent (deleting an expense, marking an invoice paid) returns a question
instead of acting. The reply then carries two buttons whose ids name the action
("confirm:delete_expense:12:yes"). A tap comes back as an interactive `button_reply` and is
carried out by code, through the same tool layer, so the permission is checked again.
"""

from dataclasses import dataclass

from django.utils import timezone

from agent.errors import ApplicationError
from agent.models import ToolCall
from agent.tools.registry import ToolContext, execute
from whatsapp.replies import Reply

PREFIX = "confirm"
# The tools that ask first, and the argument that names their record.
CONFIRMABLE = {"delete_expense": "expense_id", "mark_invoice_paid": "invoice_id"}
BODY_LIMIT = 1024  # characters in the body of an interactive message


@dataclass
class Tapped:
    tool: str
    record_id: int
    yes: bool


def ask(ctx: ToolContext, *, tool: str, record_id: int, question: str) -> dict:
    """What a tool returns instead of acting, until the person confirms."""
    # One message carries one pair of buttons: a second question in the same turn would lose the first.
    other = next((q for t, r, q in ctx.confirmations if (t, r) != (tool, record_id)), None)
    if other is not None:
        raise ApplicationError(f"Nothing was changed. Only one question at a time: the person is already asked "
                               f"{other!r}. Ask about this one after they answer.")
    ctx.confirmations.append((tool, record_id, question))
    return {
        "confirmation_required": True,
        "question": question,
        "instructions": "Nothing was changed. Ask the person this question; they answer with the Yes/No "
                        "buttons under your message.",
    }


def with_buttons(reply: Reply, pending: list) -> Reply:
    if not pending:
        return reply
    tool, record_id, question = pending[-1]
    text = reply.text if question in reply.text or reply.text.rstrip().endswith("?") else f"{reply.text}\n\n{question}"
    if len(text.strip()) > BODY_LIMIT:
        # WhatsApp cuts a button message's body at 1024 characters: shorten the answer, keep the question.
        text = f"{reply.text[:BODY_LIMIT - len(question) - 4].rstrip()}…\n\n{question}"
    return Reply(text=text.strip(), buttons=[(f"{PREFIX}:{tool}:{record_id}:yes", "Yes"),
                                             (f"{PREFIX}:{tool}:{record_id}:no", "No")])


def parse_button(message) -> Tapped | None:
    if message.type != "interactive" or message.data.get("reply_type") != "button_reply":
        return None
    parts = str(message.data.get("id") or "").split(":")
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] not in CONFIRMABLE or not parts[2].isdigit():
        return None
    return Tapped(tool=parts[1], record_id=int(parts[2]), yes=parts[3] == "yes")


def answer(*, user, conversation, message, tapped: Tapped) -> Reply:
    if not tapped.yes:
        return Reply(text="OK, I left it as it was.")
    ctx = ToolContext(user=user, conversation=conversation, message=message, today=timezone.localdate())
    # The question's own arguments (e.g. the paid_on date the person named), then the button's.
    asked = _asked_with(conversation=conversation, tapped=tapped)
    arguments = {**asked, CONFIRMABLE[tapped.tool]: tapped.record_id, "confirm": True}
    outcome = execute(ctx, tapped.tool, arguments)
    ToolCall.objects.create(
        conversation=conversation, message=message, name=tapped.tool, arguments=arguments,
        result=None if outcome.error else outcome.result, error=outcome.error, duration_ms=outcome.duration_ms,
        model="", call_id=f"button-{message.pk}", round=1,
    )
    if outcome.error:
        return Reply(text=f"Sorry, that didn't work: {outcome.error}")
    return Reply(text=str(outcome.result.get("summary") or "Done."))


def _asked_with(*, conversation, tapped: Tapped) -> dict:
    """The arguments of the tool call that asked this question, without its `confirm`."""
    key = CONFIRMABLE[tapped.tool]
    asking = (ToolCall.objects.filter(conversation=conversation, name=tapped.tool, result__confirmation_required=True)
              .order_by("-id").values_list("arguments", flat=True)[:20])
    for arguments in asking:
        if isinstance(arguments, dict) and str(arguments.get(key)) == str(tapped.record_id):
            return {name: value for name, value in arguments.items() if name != "confirm"}
    return {}
