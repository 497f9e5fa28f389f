"""What the admin home page shows of the channel first (settings.ADMIN_INDEX_CONTEXT): open alerts
(nothing may be going out), webhook bodies kept raw (not answered until replayed) and unknown
senders, each to those who may see them."""

from whatsapp.admin.common import changelist_url
from whatsapp.admin.conversations import UNKNOWN
from whatsapp.alerts import alerts_open
from whatsapp.attention import NEEDS_PERSON
from whatsapp.models import ChannelAlert, Conversation, WebhookEvent
from whatsapp.outbound.errors import OPERATOR_CODES
from whatsapp.visibility import conversations_visible_to


def channel_state(request) -> dict:
    """The index's context (templates/admin/index.html)."""
    context = {}
    if request.user.has_perm("whatsapp.view_channelalert"):
        context["channel_alerts"] = list(alerts_open())
        context["operator_codes"] = OPERATOR_CODES
        context["channel_alerts_url"] = changelist_url(ChannelAlert, state="open")
    if request.user.has_perm("whatsapp.view_conversation"):
        context["unknown_sender_count"] = conversations_visible_to(request.user).filter(UNKNOWN).count()
        context["unknown_senders_url"] = changelist_url(Conversation, sender="unknown")
        context["needs_person_count"] = conversations_visible_to(request.user).filter(NEEDS_PERSON).count()
        context["needs_person_url"] = changelist_url(Conversation, waiting="person")
    if request.user.has_perm("whatsapp.view_webhookevent"):
        # Bodies Meta sent that are kept raw only: nothing in them is answered until replayed.
        context["not_stored_count"] = WebhookEvent.objects.filter(status=WebhookEvent.Status.NOT_STORED).count()
        context["not_stored_url"] = changelist_url(WebhookEvent, status__exact=WebhookEvent.Status.NOT_STORED)
    return context
