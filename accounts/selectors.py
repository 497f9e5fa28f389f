"""Reads about people."""

from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.lookups import Exact

from accounts.models import User


def sender_match(*, phone: str, bsuid: str) -> QuerySet[User]:
    """The people a WhatsApp sender may be, best first: only the first counts.

    `phone` is the E.164 number Meta sent ("+16505551234"), `bsuid` its business-scoped user id;
    "" for one Meta left out. The person with that number comes first. The person with that BSUID
    is a match when Meta sent no number (a username hides it), or when we know no number for them:
    a BSUID never overrides a number, so an id typed on the wrong person cannot let a stranger in.
    Inactive people are matched too (the caller decides what they may do).

    The PostgreSQL intake statement embeds this queryset's SQL (whatsapp.intake.sql), so the rule
    is written once, here.
    """
    by_phone = Q(phone_number=phone)
    by_bsuid = Q(bsuid=bsuid) & (Q(phone_number__isnull=True) | Exact(Value(phone), ""))
    # Neither column is ever "" (NULL when unknown; check constraints), so "" matches nobody.
    return (User.objects.filter(by_phone | by_bsuid)
            .order_by(Case(When(by_phone, then=Value(0)), default=Value(1)), "pk"))
