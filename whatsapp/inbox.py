"""The inbox: the conversations a team member may read, what needs a person first, and what they
have not read yet.

Every row is read through whatsapp.visibility (a team member's own conversation with the assistant
is theirs, their managers' and the superusers'), so the inbox, its filters, its counts and its
live updates show nobody a conversation they may not open.
"""

from datetime import datetime
from datetime import timezone as dt_timezone

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from whatsapp.attention import NEEDS_PERSON
from whatsapp.models import Conversation, InboxRead, Message
from whatsapp.visibility import conversations_visible_to

EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)  # "no answer yet": every message waits

# The inbox's filters, in the order its tabs show them.
FILTERS = {
    "all": "All",
    "waiting": "Waiting",
    "mine": "Assigned to me",
    "paused": "Paused",
    "failed": "Failed",
}
# The newest conversations the inbox lists (a search or a filter finds older ones).
LIST_LIMIT = 100


def _outbound(**filters):
    return Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.OUTBOUND, **filters)


def conversations_annotated(queryset: QuerySet) -> QuerySet:
    """Newest message, failed deliveries, and messages waiting for an answer (from the person,
    allowed, stored after the last answer that did not fail). Storage times, not Meta's: its
    timestamps have whole seconds, and an answer is often in the same second."""
    newest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-timestamp", "-id")
    failed = _outbound(status=Message.Status.FAILED).order_by().values("conversation").annotate(n=Count("pk"))
    last_answer = _outbound().exclude(status=Message.Status.FAILED).order_by("-created_at", "-id")
    waiting = (Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.INBOUND,
                                      sender_allowed=True, created_at__gt=OuterRef("last_answer_at"))
               .exclude(type="reaction").order_by().values("conversation").annotate(n=Count("pk")))
    return queryset.annotate(
        last_text=Subquery(newest.values("text")[:1]),
        last_type=Subquery(newest.values("type")[:1]),
        last_direction=Subquery(newest.values("direction")[:1]),
        failed_count=Coalesce(Subquery(failed.values("n"), output_field=IntegerField()), 0),
        last_answer_at=Coalesce(Subquery(last_answer.values("created_at")[:1]), Value(EPOCH),
                                output_field=DateTimeField()),
    ).annotate(waiting_count=Coalesce(Subquery(waiting.values("n"), output_field=IntegerField()), 0))


def failed_q() -> Q:
    """Conversations with a delivery that failed."""
    return Q(Exists(_outbound(status=Message.Status.FAILED)))


def waiting_for_person_q() -> Q:
    """Conversations a person must answer: the assistant is paused and the person's messages wait,
    or the assistant could not answer them and told them a person will (whatsapp.attention).
    (On an annotated queryset: conversations_annotated.)"""
    return Q(bot_paused=True, waiting_count__gt=0) | NEEDS_PERSON


def _filter_conditions(viewer) -> dict[str, Q]:
    """Each filter but "all", as a condition on conversations_annotated."""
    return {"waiting": Q(waiting_count__gt=0) | NEEDS_PERSON, "mine": Q(assigned_to=viewer), "paused": Q(bot_paused=True),
            "failed": Q(failed_count__gt=0)}


def _filtered(queryset: QuerySet, *, viewer, name: str) -> QuerySet:
    condition = _filter_conditions(viewer).get(name)
    return queryset if condition is None else queryset.filter(condition)


def _searched(queryset: QuerySet, search: str) -> QuerySet:
    """By name (the profile's or the person's), WhatsApp id, or any digits of the number however
    they are typed ("+1 (650) 555")."""
    search = search.strip()
    if not search:
        return queryset
    condition = Q()
    for word in search.split():
        condition &= (Q(profile_name__icontains=word) | Q(user__first_name__icontains=word)
                      | Q(user__last_name__icontains=word) | Q(bsuid__icontains=word))
    digits = "".join(ch for ch in search if ch.isdigit())
    if len(digits) >= 3:
        condition |= Q(wa_id__contains=digits)
    return queryset.filter(condition)


def inbox_conversations(*, viewer, filter_name: str = "all", search: str = "") -> QuerySet:
    """What `viewer` sees in the inbox: conversations waiting for a person first, then those with
    messages waiting for an answer, then the newest; each with `unread_count` (the person's
    messages after what `viewer` last had on screen) and `waiting_for_person`."""
    # Inside the message subquery below: OuterRef("conversation") is the message's conversation.
    read_up_to = InboxRead.objects.filter(conversation=OuterRef("conversation"), user=viewer).values(
        "last_read_message_id")
    unread = (Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.INBOUND,
                                     id__gt=Coalesce(Subquery(read_up_to[:1]), 0))
              .exclude(type="reaction").order_by().values("conversation").annotate(n=Count("pk")))
    queryset = conversations_annotated(conversations_visible_to(viewer)).select_related("user", "assigned_to")
    queryset = queryset.annotate(
        unread_count=Coalesce(Subquery(unread.values("n"), output_field=IntegerField()), 0),
        waiting_for_person=Case(When(waiting_for_person_q(), then=Value(True)), default=Value(False),
                                output_field=BooleanField()),
    )
    queryset = _searched(_filtered(queryset, viewer=viewer, name=filter_name), search)
    return queryset.order_by("-waiting_for_person", "-waiting_count", F("last_message_at").desc(nulls_last=True),
                             "-id")


def inbox_filter_counts(*, viewer) -> dict[str, int]:
    """How many conversations each filter but "all" holds for `viewer` (the tabs' badges), in one query."""
    queryset = conversations_annotated(conversations_visible_to(viewer))
    return queryset.aggregate(**{name: Count("pk", filter=condition)
                                 for name, condition in _filter_conditions(viewer).items()})


def inbox_fingerprint(*, viewer) -> tuple:
    """Changes whenever anything the inbox's list shows for `viewer` may have changed: a message
    stored or failed in a conversation they may read, a conversation paused, assigned, renamed,
    given to someone or no longer theirs to read, what they have read, the day (times become dates).
    A few cheap queries, so the page's poll renders the list only when it changed."""
    visible = conversations_visible_to(viewer)
    messages = Message.objects.filter(conversation__in=visible.values("pk"))
    newest = messages.aggregate(newest=Max("id"))["newest"]
    failed = messages.filter(direction=Message.Direction.OUTBOUND, status=Message.Status.FAILED).count()
    rows = list(visible.order_by("pk").values_list("pk", "bot_paused", "assigned_to_id", "profile_name", "user_id",
                                                   "needs_person_since"))
    reads = list(InboxRead.objects.filter(user=viewer).order_by("conversation_id")
                 .values_list("conversation_id", "last_read_message_id"))
    return newest, failed, rows, reads, timezone.localdate()


def inbox_mark_read(*, viewer, conversation: Conversation) -> None:
    """`viewer` has this conversation on screen: everything in it so far is read to them."""
    newest = conversation.messages.aggregate(newest=Max("id"))["newest"] or 0
    mark, created = InboxRead.objects.get_or_create(conversation=conversation, user=viewer,
                                                    defaults={"last_read_message_id": newest})
    if not created and mark.last_read_message_id < newest:
        InboxRead.objects.filter(pk=mark.pk, last_read_message_id__lt=newest).update(
            last_read_message_id=newest, read_at=timezone.now())
