"""Yes/No confirmations, decided by code: the person confirms, never the model.

A tool that deletes, marks paid, reviews or changes an expense only asks when the model calls it
(agent.tools.registry). At the end of that turn `attach` records the question as a PendingAction
(who asked, the conversation, the tool, its validated arguments, an expiry) and puts Yes/No buttons
under the reply, whose ids carry the action's unguessable token ("confirm:<id>:<token>:yes"). A
newer question supersedes the person's older open ones.

Only the asker's own answer carries it out, once, through the tool layer again (so roles and
querysets are checked again): a tap on one of its buttons while it is open, or a typed yes/no
(YES_WORDS / NO_WORDS), written after the question went out and quoting no other message, to a
question asked in answer to their previous message. Anything else (a tap on an old, answered, expired or someone else's question, an id the
model invented) changes nothing and says so.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agent.models import PendingAction, ToolCall
from agent.tools.registry import ToolContext, execute
from agent.tools.serialize import untyped
from whatsapp.models import Message
from whatsapp.replies import Reply

logger = logging.getLogger(__name__)

PREFIX = "confirm"
BODY_LIMIT = 1024  # characters in the body of an interactive message
# A typed answer, after lower-casing and trimming spaces and punctuation.
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "ok", "okay", "sure", "sí", "si", "ja", "oui", "sim", "da", "👍"})
NO_WORDS = frozenset({"no", "n", "nope", "nah", "nein", "non", "não", "nao", "nee", "👎"})
PUNCTUATION = " \t\n.,!?¡¿;:'\"()"

LEFT_AS_IT_WAS = "OK, I left it as it was."
NOT_YOURS = "Sorry, that button isn't for a question I asked you, so nothing was changed."
ALREADY = {
    PendingAction.State.DONE: "You already answered that question and it was done. Nothing more was changed.",
    PendingAction.State.FAILED: "You already answered that question. Nothing more was changed.",
    PendingAction.State.DECLINED: "You already said no to that, so I left it as it was.",
    PendingAction.State.SUPERSEDED: "I asked you something newer since, so that button no longer works and nothing "
                                    "was changed. Please answer the latest question.",
    PendingAction.State.EXPIRED: "That question has expired, so nothing was changed. Ask me again if you still "
                                 "want it done.",
}


@dataclass(frozen=True)
class Tap:
    action_id: int | None
    token: str
    yes: bool


# --- asking ---------------------------------------------------------------------------------------
def attach(reply: Reply, ctx: ToolContext) -> Reply:
    """The turn's reply, with the question its tools asked (if any) recorded and its buttons added."""
    if not ctx.questions:
        return reply
    asked = ctx.questions[-1]
    question = untyped(asked.question)
    action = pending_action_create(user=ctx.user, conversation=ctx.conversation, message=ctx.message,
                                   tool=asked.tool, arguments=asked.arguments, question=question)
    # The code's question is always the last thing above the buttons: whatever the model wrote (or
    # was talked into writing) before it, Yes and No answer exactly that question.
    asks_it = reply.text.rstrip().endswith(question)
    text = reply.text if asks_it else f"{reply.text}\n\n{question}"
    if len(text.strip()) > BODY_LIMIT:
        # WhatsApp cuts a button message's body at 1024 characters: shorten the answer, keep the question.
        text = f"{reply.text[:BODY_LIMIT - len(question) - 4].rstrip()}…\n\n{question}"
    # For the history: the whole answer as the model wrote it, then the question as the code wrote it.
    written = reply.as_written or reply.text
    as_written = written if asks_it else f"{written}\n\n{asked.question}"
    return Reply(text=text.strip(), as_written=as_written.strip(),
                 buttons=[(button_id(action, yes=True), "Yes"), (button_id(action, yes=False), "No")])


@transaction.atomic
def pending_action_create(*, user, conversation, message, tool: str, arguments: dict, question: str) -> PendingAction:
    """Record a question for `user`; it supersedes their questions still open in this conversation."""
    now = timezone.now()
    open_ = PendingAction.objects.filter(conversation=conversation, user=user, state=PendingAction.State.PENDING)
    open_.filter(expires_at__lte=now).update(state=PendingAction.State.EXPIRED)
    open_.update(state=PendingAction.State.SUPERSEDED)
    return PendingAction.objects.create(
        user=user, conversation=conversation, message=message, tool=tool, arguments=arguments, question=question,
        created_at=now, expires_at=now + timedelta(minutes=settings.AGENT_CONFIRMATION_MINUTES),
    )


def button_id(action: PendingAction, *, yes: bool) -> str:
    return f"{PREFIX}:{action.pk}:{action.token}:{'yes' if yes else 'no'}"


# --- answering ------------------------------------------------------------------------------------
def parse_button(message) -> Tap | None:
    """A tap on one of our confirmation buttons (any id starting "confirm:"), else None."""
    if message.type != "interactive" or message.data.get("reply_type") != "button_reply":
        return None
    parts = str(message.data.get("id") or "").split(":")
    if parts[0] != PREFIX:
        return None
    if len(parts) != 4 or not parts[1].isdigit() or parts[3] not in ("yes", "no"):
        return Tap(action_id=None, token="", yes=False)  # ours in form, but not one we made
    return Tap(action_id=int(parts[1]), token=parts[2], yes=parts[3] == "yes")


def answer_tap(*, user, conversation, message, tap: Tap) -> Reply:
    return _decide(user=user, conversation=conversation, message=message, action_id=tap.action_id,
                   token=tap.token, yes=tap.yes)


def typed_answer(*, user, conversation, message) -> Reply | None:
    """A typed yes or no to the question asked in answer to the person's previous message, else None
    (then the message goes on to the model like any other)."""
    if message.type != "text":
        return None
    word = message.text.strip(PUNCTUATION).casefold()
    if word not in YES_WORDS and word not in NO_WORDS:
        return None
    action = (PendingAction.objects.filter(conversation=conversation, user=user, state=PendingAction.State.PENDING)
              .order_by("-id").first())
    if action is None or action.message_id is None:
        return None
    question = Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND,
                                      in_reply_to_id=action.message_id, sent_at__lt=message.created_at)
    if not question.exists():
        return None  # written before the question reached them (not asked yet, or still in the outbox)
    if message.context_wamid and not question.filter(wamid=message.context_wamid).exists():
        return None  # a reply quoting another message (an older question, say) answers that, not this one
    said_since = (Message.objects.filter(conversation=conversation, direction=Message.Direction.INBOUND,
                                         id__gt=action.message_id, id__lt=message.pk)
                  .exclude(type="reaction").exists())
    if said_since:
        return None  # they moved on: a later "yes" may mean anything, so only the buttons still count
    return _decide(user=user, conversation=conversation, message=message, action_id=action.pk, token=action.token,
                   yes=word in YES_WORDS)


@transaction.atomic
def _decide(*, user, conversation, message, action_id: int | None, token: str, yes: bool) -> Reply:
    action = PendingAction.objects.select_for_update().filter(pk=action_id).first() if action_id else None
    token_matches = action is not None and secrets.compare_digest(action.token.encode(), (token or "").encode())
    if not token_matches or action.user_id != user.pk or action.conversation_id != conversation.pk:
        logger.warning("Refused a confirmation tap %r from user %s in conversation %s",
                       message.data.get("id"), user.pk, conversation.pk)
        return Reply(text=NOT_YOURS)
    now = timezone.now()
    if action.state == PendingAction.State.PENDING and action.is_expired(now):
        action.state = PendingAction.State.EXPIRED
        action.save(update_fields=["state"])
    if action.state != PendingAction.State.PENDING:
        return Reply(text=ALREADY[action.state])
    action.answered_at, action.answer_message = now, message
    if yes:
        action.state, action.outcome = _carry_out(action, user=user, conversation=conversation, message=message)
    else:
        action.state, action.outcome = PendingAction.State.DECLINED, LEFT_AS_IT_WAS
    action.save(update_fields=["state", "outcome", "answered_at", "answer_message"])
    return Reply(text=action.outcome)


def _carry_out(action: PendingAction, *, user, conversation, message) -> tuple[str, str]:
    """Run the confirmed call through the tool layer (role and queryset checks again) and log it."""
    ctx = ToolContext(user=user, conversation=conversation, message=message, today=timezone.localdate())
    outcome = execute(ctx, action.tool, action.arguments, person_confirmed=True)
    ToolCall.objects.create(
        conversation=conversation, message=message, name=action.tool, arguments=action.arguments,
        result=None if outcome.error else outcome.result, error=outcome.error, duration_ms=outcome.duration_ms,
        model="", call_id=f"confirmed-{action.pk}", round=1,
    )
    if outcome.error:
        return PendingAction.State.FAILED, f"Sorry, that didn't work: {outcome.error}"
    return PendingAction.State.DONE, str(outcome.result.get("summary") or "Done.")
