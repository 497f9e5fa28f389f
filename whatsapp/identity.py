"""Who wrote: one person and one conversation, whichever of their ids Meta sends.

Meta names a person by their phone number (wa_id) and, since 2026, by a business-scoped user id
(BSUID, "US.13491208655302741918"); someone who turns on a WhatsApp username may be named by the
BSUID alone. The rules, once:

- the person (accounts.User) is the one with that number; without a number from Meta, the one with
  that BSUID (accounts.selectors.sender_match);
- the conversation is the one that knows the number, else the one that knows the BSUID
  (conversation_match); a new one is created under the number, else the BSUID;
- a conversation keeps the person it was with: a message from anyone else (the number went to a
  new hire, a stranger writes from a former colleague's number) makes it let go of that id, history
  and person kept, and opens a new conversation (conversation_open). Only a stranger's conversation
  nobody of ours wrote in as its person becomes the person's once they are known;
- a BSUID Meta sends beside a number is remembered on the person and the conversation
  (identity_remember), so a later message with the BSUID alone reaches both;
- a changed number or BSUID (a `system` message) moves both to the new ids (identity_change_apply);
- a number or BSUID staff give a person makes the strangers' conversations it names theirs
  (conversations_link).

The ORM intake store (whatsapp.intake.orm) evaluates these querysets; the PostgreSQL statements
(whatsapp.intake.sql) embed their SQL, so both follow the same rule.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL

from accounts.models import User
from accounts.permissions import conversations_private
from accounts.phone import e164_from_wa_id
from accounts.selectors import sender_match
from accounts.services import user_bsuid_learn, user_bsuid_release, user_identity_change
from whatsapp.models import Conversation
from whatsapp.payload_values import as_text
from whatsapp.payloads import InboundMessage

logger = logging.getLogger(__name__)

# The unique keys two first messages of one person can race for (see identity_race).
IDENTITY_CONSTRAINTS = {"conversation_per_contact", "conversation_per_wa_id", "conversation_per_bsuid"}
IDENTITY_CHANGES = {"user_changed_number", "user_changed_user_id"}
_EMPTY = RawSQL("''", ())


def sender_for(*, wa_id: str, bsuid: str) -> User | None:
    """The person who sent a message naming these ids (either may be ""), or None: a stranger."""
    return sender_match(phone=e164_from_wa_id(wa_id), bsuid=bsuid).first()


# A stranger's conversation nobody of ours wrote in as its person: it becomes the person's once they
# are known. (adoptable() is the same rule for a loaded row.)
ADOPTABLE = Q(user__isnull=True, private=False)


def adoptable(conversation: Conversation) -> bool:
    return conversation.user_id is None and not conversation.private


def conversation_match(*, phone_number_id: str, wa_id: str, bsuid: str,
                       phone: str | None = None) -> QuerySet[Conversation]:
    """The conversation with the person these ids name on our number, best first (only the first
    counts): the one that knows the number, else the one that knows the BSUID.

    Each is annotated `kept`: whether the person these ids name now (sender_match; `phone` is the
    number as people are stored, from `wa_id` unless given) goes on in it: their own, or an
    adoptable stranger's. One that is not kept (False, or NULL: SQL's comparison with nobody) is
    someone else's (conversation_open).
    """
    # "" written as a literal, not a parameter: the query then states the partial unique indexes'
    # condition, so PostgreSQL uses them in the intake statement's generic (prepared) plan too.
    by_wa_id = Q(wa_id=wa_id) & ~Q(wa_id=_EMPTY)
    by_bsuid = Q(bsuid=bsuid) & ~Q(bsuid=_EMPTY)
    sender = sender_match(phone=e164_from_wa_id(wa_id) if phone is None else phone, bsuid=bsuid)
    kept = Q(user_id=Subquery(sender.values("pk")[:1])) | ADOPTABLE
    return (Conversation.objects.filter(Q(phone_number_id=phone_number_id) & (by_wa_id | by_bsuid))
            .annotate(kept=ExpressionWrapper(kept, output_field=BooleanField()))
            .order_by(Case(When(by_wa_id, then=Value(0)), default=Value(1)), "pk"))


def conversation_open(*, phone_number_id: str, wa_id: str, bsuid: str, user: User | None = None,
                      profile_name: str = "") -> Conversation:
    """The conversation these ids name, created (under the number, else the BSUID) if there is none.

    One that is someone else's lets go of the ids first (conversation_release): the person these
    ids name now gets their own. Two first messages of a new person racing each other meet on one
    row: the loser of the insert finds the winner's.
    """
    lookup = conversation_match(phone_number_id=phone_number_id, wa_id=wa_id, bsuid=bsuid)
    while (conversation := lookup.first()) is not None and not conversation.kept:
        conversation_release(conversation.pk, wa_id=wa_id, bsuid=bsuid)
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(phone_number_id=phone_number_id, contact_key=wa_id or bsuid,
                                               wa_id=wa_id, bsuid=bsuid, user=user, profile_name=profile_name,
                                               private=conversations_private(user))
    except IntegrityError:
        conversation = lookup.first()
        if conversation is None:
            raise
        return conversation


def conversation_for_inbound(*, inbound: InboundMessage, user: User | None) -> Conversation:
    """The conversation a message belongs to (the ORM intake path), its person and profile name
    brought up to date. A system message (no contacts block) keeps the profile name it had."""
    conversation = conversation_open(phone_number_id=inbound.phone_number_id, wa_id=inbound.wa_id,
                                     bsuid=inbound.bsuid, user=user, profile_name=inbound.profile_name)
    changed = []
    if inbound.profile_name and conversation.profile_name != inbound.profile_name:
        conversation.profile_name = inbound.profile_name
        changed.append("profile_name")
    user_id = user.pk if user else None
    if conversation.user_id != user_id:  # a stranger's conversation: now known, it becomes theirs
        conversation.user_id = user_id
        changed.append("user")
    if conversations_private(user) and not conversation.private:  # a team member writes: theirs for good
        conversation.private = True
        changed.append("private")
    if changed:
        conversation.save(update_fields=changed)
    return conversation


@dataclass(frozen=True)
class Seen:
    """What intake found for a stored message: its conversation's ids and the person it matched."""

    conversation_id: int
    conversation_wa_id: str
    conversation_bsuid: str
    # The person's newest message so far, this one included (None: only system notices yet).
    conversation_last_inbound_at: datetime | None = None
    user_id: int | None = None
    user_phone: str | None = None
    user_bsuid: str | None = None


def identity_remember(*, inbound: InboundMessage, seen: Seen) -> None:
    """Keep the ids this message names on its conversation, and a BSUID Meta sent beside a person's
    number on that person, so a later message naming only the BSUID reaches both.

    Nearly always there is nothing to do (one comparison, no query). Meta's newest pairing wins: an id
    on another conversation (or person) moves here, and a stranger's BSUID is taken from anyone of
    ours who has it beside another number. A message older than the person's newest (Meta retries
    for days) only fills in ids not known yet: what it says may have changed since. A failure is
    logged, never fatal: the message is stored, and the next one carrying both ids tries again.
    """
    newest = seen.conversation_last_inbound_at is None or inbound.timestamp >= seen.conversation_last_inbound_at
    ids = {}
    if inbound.wa_id and inbound.wa_id != seen.conversation_wa_id and (newest or not seen.conversation_wa_id):
        ids["wa_id"] = inbound.wa_id
    if inbound.bsuid and inbound.bsuid != seen.conversation_bsuid and (newest or not seen.conversation_bsuid):
        ids["bsuid"] = inbound.bsuid
    phone = e164_from_wa_id(inbound.wa_id)
    paired = bool(phone and inbound.bsuid)
    learn = (paired and seen.user_id is not None and seen.user_phone == phone and seen.user_bsuid != inbound.bsuid
             and (newest or not seen.user_bsuid))
    # A stranger's number and BSUID: nobody of ours may keep that BSUID beside another number.
    release = paired and seen.user_id is None
    if not (ids or learn or release):
        return
    try:
        with transaction.atomic():
            if ids:
                _conversation_ids_set(seen.conversation_id, phone_number_id=inbound.phone_number_id,
                                      user_id=seen.user_id, **ids)
            if learn:
                user_bsuid_learn(user_id=seen.user_id, bsuid=inbound.bsuid)
            if release:
                user_bsuid_release(bsuid=inbound.bsuid, paired_with_phone=phone)
    except DatabaseError:
        logger.warning("Could not remember the ids of message %s on conversation %s", inbound.wamid,
                       seen.conversation_id, exc_info=True)


def identity_change_apply(*, conversation_id: int, inbound: InboundMessage) -> None:
    """A `system` message: the person changed their number (which gives them a new BSUID too), or
    their BSUID changed. Their conversation and their allow-list entry follow them to the new ids,
    so the next message reaches both, and the old number (which may go to someone else one day)
    reaches neither. When another person already has the new number nothing changes: staff decide.
    """
    change = as_text(inbound.data.get("type"))  # the notice is kept as Meta sent it: any JSON value
    if inbound.type != "system" or change not in IDENTITY_CHANGES:
        return
    new_bsuid = as_text(inbound.data.get("user_id"))
    ids = {"bsuid": new_bsuid}
    if change == "user_changed_number":
        ids["wa_id"] = "".join(ch for ch in as_text(inbound.data.get("wa_id")) if ch.isdigit())
        if not ids["wa_id"]:
            logger.warning("System message %s says the number changed but names no new one", inbound.wamid)
            return
    try:
        with transaction.atomic():
            conversation = (Conversation.objects.select_for_update(of=("self",)).select_related("user")
                            .get(pk=conversation_id))
            user = conversation.user
            if user is not None and not user_identity_change(
                    user=user, old_phone=e164_from_wa_id(conversation.wa_id or inbound.wa_id),
                    new_phone=e164_from_wa_id(ids.get("wa_id", "")), new_bsuid=new_bsuid):
                logger.warning("Conversation %s: %s left unchanged, another person has the new number",
                               conversation.pk, change)
                return
            _conversation_ids_set(conversation.pk, phone_number_id=conversation.phone_number_id,
                                  user_id=conversation.user_id, **ids)
    except DatabaseError:
        # The notice is stored and shown to staff; Meta must not be made to send it again for ever.
        logger.warning("Could not apply %s of message %s to conversation %s", change, inbound.wamid,
                       conversation_id, exc_info=True)


def conversations_link(*, user: User) -> int:
    """Staff gave this person a number or a BSUID: the adoptable strangers' conversations those ids
    name (a BSUID-only stranger's included) get the person the next message would find. Returns how
    many changed. Earlier messages stay as they were; the next one is answered. A conversation with
    someone else stays theirs, history and all: the next message opens the person's own."""
    named = Q(pk__in=[])
    if user.phone_number:
        named |= Q(wa_id=user.phone_number.lstrip("+"))
    if user.bsuid:
        named |= Q(bsuid=user.bsuid)
    changed = 0
    for conversation in Conversation.objects.filter(named, ADOPTABLE).only("pk", "wa_id", "bsuid"):
        match = sender_for(wa_id=conversation.wa_id, bsuid=conversation.bsuid)
        if match is not None:
            changed += Conversation.objects.filter(ADOPTABLE, pk=conversation.pk).update(
                user_id=match.pk, private=conversations_private(match))
    return changed


def conversation_release(conversation_id: int, *, wa_id: str, bsuid: str) -> None:
    """Someone else writes from (or is written to at) these ids, which name a conversation that is
    not theirs: it lets go of them, keeping its person and its history, so the next message from
    them opens a conversation of their own and nothing of this one reaches them."""
    conversation = Conversation.objects.only("pk", "wa_id", "bsuid", "contact_key").get(pk=conversation_id)
    dropped = {field: "" for field, value in (("wa_id", wa_id), ("bsuid", bsuid))
               if value and getattr(conversation, field) == value}
    logger.info("Conversation %s lets go of %s: someone else has them now", conversation_id, ", ".join(dropped))
    _ids_write(conversation, **dropped)


def identity_race(exc: IntegrityError) -> bool:
    """Whether an insert lost a race for a person's conversation (two first messages at once, one
    with the number and one with the BSUID alone): storing the message again finds the winner's."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) in IDENTITY_CONSTRAINTS


def _conversation_ids_set(conversation_id: int, *, phone_number_id: str, user_id: int | None, **ids: str) -> None:
    """Give a conversation these ids ("" drops one). Another conversation that had one of them
    loses it (Meta's newest word on whose id it is wins) and keeps its history: with this person
    when it was an adoptable stranger's, else with the person it was with."""
    for field, value in ids.items():
        if value:
            for other in (Conversation.objects.filter(phone_number_id=phone_number_id, **{field: value})
                          .exclude(pk=conversation_id)):
                _ids_write(other, **{field: ""}, user_id=user_id if adoptable(other) else other.user_id)
    _ids_write(Conversation.objects.get(pk=conversation_id), **ids)


def _ids_write(conversation: Conversation, **fields) -> None:
    """update(), not save(): workers move leases and times on this row concurrently.

    The key a conversation was created under stays only while it is still one of its ids: a
    number the person left must not lead a later message (from whoever has it next) back here.
    """
    wa_id = fields.setdefault("wa_id", conversation.wa_id)
    bsuid = fields.setdefault("bsuid", conversation.bsuid)
    if conversation.contact_key not in {wa_id, bsuid} - {""}:
        fields["contact_key"] = wa_id or bsuid or f"#{conversation.pk}"
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
