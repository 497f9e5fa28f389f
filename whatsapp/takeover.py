"""A person takes a conversation over from the assistant (it is then theirs: assigned to them),
replies by hand, and hands it back; a conversation can also be assigned to a team member who may read it.

Manual replies go through the same outbound queue as the assistant's (whatsapp.outbound.queue), with
`sent_by` set, so they are sent, retried and shown in the transcript the same way. Outside the
24-hour window staff send a template with the picker (whatsapp.catalogue.picker).
"""

import logging

from django.db import transaction
from django.utils.text import capfirst

from accounts.models import User
from accounts.permissions import team_members
from whatsapp.attention import conversation_flag_clear
from whatsapp.models import Conversation, Message
from whatsapp.outbound.queue import outbound_queue
from whatsapp.replies import Reply
from whatsapp.visibility import conversations_visible_to

logger = logging.getLogger(__name__)


class TakeoverError(Exception):
    """A manual action that cannot be done as asked; the message says why, for the person."""


class WindowClosedForFreeText(TakeoverError):
    """More than 24 hours since the person last wrote: only an approved template may go out."""


class EmptyReply(TakeoverError):
    pass


def _set_paused(conversation: Conversation, paused: bool) -> Conversation:
    # update(), not save(): workers move leases and times on this row concurrently.
    Conversation.objects.filter(pk=conversation.pk).update(bot_paused=paused)
    conversation.bot_paused = paused
    return conversation


def conversation_pause(*, conversation: Conversation, by) -> Conversation:
    """Stop the assistant answering this person; their messages wait for a person in the admin."""
    logger.info("Conversation %s: assistant paused by %s", conversation.pk, by)
    return _set_paused(conversation, True)


def conversation_resume(*, conversation: Conversation, by) -> Conversation:
    """Hand the conversation back to the assistant (it answers the next message the person sends)."""
    logger.info("Conversation %s: assistant resumed by %s", conversation.pk, by)
    return _set_paused(conversation, False)


class NotAssignable(TakeoverError):
    """The chosen person cannot answer this conversation (not an active team member who may read it)."""


def assignees_for(conversation: Conversation):
    """Who may be given this conversation to answer: active team members (and superusers) who may
    read it (whatsapp.visibility: a team member's own conversation only themselves, managers and
    superusers)."""
    candidates = User.objects.filter(team_members(), is_active=True).order_by("first_name", "last_name", "username")
    return [person for person in candidates
            if conversations_visible_to(person).filter(pk=conversation.pk).exists()]


def conversation_assign(*, conversation: Conversation, to, by) -> Conversation:
    """Give the conversation to `to` to answer by hand (None: to nobody). The caller checks that `by`
    may change this conversation; `to` must be able to read it (NotAssignable otherwise)."""
    if to is not None and to not in assignees_for(conversation):
        raise NotAssignable(f"{to.display_name} cannot answer this conversation: only an active team member who "
                            "may read it can.")
    Conversation.objects.filter(pk=conversation.pk).update(assigned_to=to)
    conversation.assigned_to = to
    logger.info("Conversation %s: assigned to %s by %s", conversation.pk, to, by)
    return conversation


@transaction.atomic
def conversation_take_over(*, conversation: Conversation, by) -> Conversation:
    """`by` answers this person from now on: the assistant pauses and the conversation is theirs."""
    conversation_pause(conversation=conversation, by=by)
    return conversation_assign(conversation=conversation, to=by, by=by)


@transaction.atomic
def conversation_hand_back(*, conversation: Conversation, by) -> Conversation:
    """The assistant answers this person again, and the conversation is nobody's to answer by hand."""
    conversation_resume(conversation=conversation, by=by)
    return conversation_assign(conversation=conversation, to=None, by=by)


@transaction.atomic
def manual_reply_send(*, conversation: Conversation, by, text: str) -> list[Message]:
    """Queue free text written by a staff member. Only while the person's 24-hour window is open.

    Raises WindowClosedForFreeText when it is closed (send an approved template instead) and
    EmptyReply for a blank text.
    """
    text = (text or "").strip()
    if not text:
        raise EmptyReply("Write a reply first.")
    conversation.refresh_from_db(fields=["last_inbound_at"])
    if not conversation.window_open():
        raise WindowClosedForFreeText(
            "The 24-hour window is closed: the person has not written for more than 24 hours. "
            "Only an approved template can be sent."
        )
    # Signed with their name (the person reads who answered them, never a login name).
    sent = outbound_queue(conversation=conversation, reply=Reply(text=text, signature=capfirst(by.public_name)),
                          sent_by=by)
    conversation_flag_clear(conversation=conversation)
    return sent
