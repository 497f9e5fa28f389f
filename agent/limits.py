"""Per-person limits: messages per minute and per day, model tokens per day (settings).

A message over a limit gets no model call (nor a transcription or a file read): the person is told
once, politely, when they reach it, and their further messages while it lasts get no answer. An
episode lasts while they keep writing within a minute of the last held-back message (the minute
limit) or until midnight in TIME_ZONE (the day limits). Commands and Yes/No answers are code, not
the model: they still work (agent.runner checks those first). Each episode is a LimitReached row,
which staff see in the admin. 0 turns a limit off.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from agent.models import AgentTurn, LimitReached
from whatsapp.models import Message

NOTICES = {
    LimitReached.Kind.MESSAGES_PER_MINUTE: (
        "You're sending messages faster than I can answer them. Please wait a minute, then send your "
        "question again."),
    LimitReached.Kind.MESSAGES_PER_DAY: (
        "You've sent as many messages as I can answer today. I'll be glad to help again tomorrow."),
    LimitReached.Kind.TOKENS_PER_DAY: (
        "I've done as much work for you as I can today. I'll be glad to help again tomorrow."),
}
COMMANDS_STILL_WORK = "Commands such as /help still work."
NOT_COUNTED = ("reaction", "system")  # not something the person asked


@dataclass(frozen=True)
class Held:
    """The message is over a limit: `notice` is what the person is told (None: told already)."""

    kind: str
    notice: str | None


def _day_start(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))


def _sent_since(user, since: datetime) -> int:
    return (Message.objects.filter(conversation__user=user, direction=Message.Direction.INBOUND, timestamp__gte=since)
            .exclude(type__in=NOT_COUNTED).count())


def _over(user, now: datetime) -> tuple[str, int] | None:
    """The first limit `user` is over, with its value; None when within all of them."""
    day = _day_start(now)
    per_minute, per_day = settings.AGENT_LIMIT_MESSAGES_PER_MINUTE, settings.AGENT_LIMIT_MESSAGES_PER_DAY
    if per_minute and _sent_since(user, now - timedelta(minutes=1)) > per_minute:
        return LimitReached.Kind.MESSAGES_PER_MINUTE, per_minute
    if per_day and _sent_since(user, day) > per_day:
        return LimitReached.Kind.MESSAGES_PER_DAY, per_day
    tokens = settings.AGENT_LIMIT_TOKENS_PER_DAY
    if tokens:
        used = AgentTurn.objects.filter(user=user, created_at__gte=day).aggregate(n=Sum("total_tokens"))["n"] or 0
        if used >= tokens:
            return LimitReached.Kind.TOKENS_PER_DAY, tokens
    return None


def limit_check(*, user, message) -> Held | None:
    """None when `message` may go to the model; else what to do with it (recorded for staff)."""
    if message.type in NOT_COUNTED:
        return None
    now = timezone.now()
    over = _over(user, now)
    if over is None:
        return None
    kind, limit = over
    since = now - timedelta(minutes=1) if kind == LimitReached.Kind.MESSAGES_PER_MINUTE else _day_start(now)
    ongoing = LimitReached.objects.filter(user=user, kind=kind, last_at__gte=since).order_by("-last_at").first()
    if ongoing is not None:
        LimitReached.objects.filter(pk=ongoing.pk).update(messages=F("messages") + 1, last_at=now)
        return Held(kind=kind, notice=None)
    LimitReached.objects.create(user=user, kind=kind, limit=limit, started_at=now, last_at=now, message=message)
    return Held(kind=kind, notice=f"{NOTICES[kind]} {COMMANDS_STILL_WORK}")
