"""The inbox at /admin/inbox/ (settings.ADMIN_PAGES): conversations on the left (waiting for a person
first), the chat in the middle with the take-over in its header and the composer under it, the
person on the right. /admin/inbox/live/ answers the page's poll (whatsapp/static/whatsapp/inbox.js)
with what changed, so new messages, ticks and the assistant's replies appear without a reload.

Conversations are read through whatsapp.visibility (whatsapp.inbox) and changed through
ConversationAdmin's views (take over, hand back, assign, reply), which check the object each time.
"""

import hashlib
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.admin import person_sections
from config.display import local_date, local_time, phone
from whatsapp.admin.conversations import allow_list_add_url
from whatsapp.admin.transcript import transcript_build, window_state
from whatsapp.inbox import (
    FILTERS,
    LIST_LIMIT,
    inbox_conversations,
    inbox_filter_counts,
    inbox_fingerprint,
    inbox_mark_read,
)
from whatsapp.models import Conversation
from whatsapp.catalogue.picker import picker_context
from whatsapp.takeover import assignees_for
from whatsapp.visibility import conversations_visible_to

VIEW_PERMISSION = "whatsapp.view_conversation"
# The newest messages of a conversation the inbox shows (its page has them all).
INBOX_TRANSCRIPT_LIMIT = 200
# How often the page asks what changed, in milliseconds (a new message shows within this and the
# time the request takes: under 2 s).
POLL_MS = 1000


class InboxQuery:
    """What the page shows: a filter, a search and the open conversation, from its query string."""

    def __init__(self, request):
        self.filter = request.GET.get("filter") if request.GET.get("filter") in FILTERS else "all"
        self.search = request.GET.get("q", "").strip()[:100]
        selected = request.GET.get("c", "")
        self.selected_id = int(selected) if selected.isdigit() and len(selected) < 19 else None

    def url(self, **changes) -> str:
        params = {"filter": self.filter, "q": self.search, "c": self.selected_id or ""}
        params.update(changes)
        return reverse("admin:inbox") + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None, "all")})


def _conversation_admin():
    return admin.site.get_model_admin(Conversation)


def _require_view(request) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def _when(moment) -> str:
    """A list row's time: the time today, else the day (config.display: the locale's formats)."""
    if moment is None:
        return ""
    return local_time(moment) if timezone.localtime(moment).date() == timezone.localdate() else local_date(moment)


def _etag(state) -> str:
    return hashlib.sha256(repr(state).encode()).hexdigest()[:20]


def list_etag(request, query: InboxQuery) -> str:
    """Changes whenever the left pane would (whatsapp.inbox.inbox_fingerprint), without rendering it."""
    return _etag((inbox_fingerprint(viewer=request.user), query.filter, query.search, query.selected_id))


# --- the left pane ---------------------------------------------------------------------------------
def list_pane(request, query: InboxQuery) -> str:
    conversations = list(inbox_conversations(viewer=request.user, filter_name=query.filter,
                                             search=query.search)[:LIST_LIMIT])
    counts = inbox_filter_counts(viewer=request.user)
    tabs = [{"name": name, "label": label, "count": counts.get(name), "url": query.url(filter=name),
             "active": name == query.filter} for name, label in FILTERS.items()]
    for conversation in conversations:
        conversation.inbox_url = query.url(c=conversation.pk)
        conversation.when = _when(conversation.last_message_at)
    return render_to_string("admin/whatsapp/inbox/list.html", {
        "conversations": conversations, "tabs": tabs, "query": query, "list_limit": LIST_LIMIT,
    }, request=request)


# --- the open conversation -------------------------------------------------------------------------
def conversation_for(request, conversation_id) -> Conversation | None:
    """The conversation, if `request.user` may read it (whatsapp.visibility); else None."""
    if conversation_id is None:
        return None
    return conversations_visible_to(request.user).select_related("user", "assigned_to").filter(
        pk=conversation_id).first()


def conversation_etag(conversation: Conversation) -> str:
    """Changes whenever what the middle and right panes show changes: a message stored, a status
    (ticks, failures), a message handled, the take-over, the assignee, the window, the person."""
    messages = conversation.messages.order_by()
    statuses = sorted(messages.values_list("status").annotate(n=Count("id"), newest=Max("id")))
    times = messages.aggregate(Max("sent_at"), Max("delivered_at"), Max("read_at"), Max("failed_at"),
                               Max("handled_at"), Max("media_removed_at"))
    state = (statuses, sorted(times.items()), conversation.bot_paused, conversation.assigned_to_id,
             conversation.window_open(), conversation.last_inbound_at, conversation.user_id)
    return _etag(state)


def composer_mode(request, conversation: Conversation) -> str:
    """What the composer offers: free "text" inside the 24-hour window, a "template" outside it,
    "none" where the viewer may not answer (no change permission, another business number)."""
    if not conversation.on_our_number or not _conversation_admin().has_change_permission(request, conversation):
        return "none"
    return "text" if conversation.window_open() else "template"


def _action_url(action: str, conversation: Conversation) -> str:
    return reverse(f"admin:whatsapp_conversation_{action}", args=[conversation.pk])


def _person_context(request, conversation: Conversation) -> dict:
    person = conversation.user
    context = {"person": person, "sections": [], "person_url": None, "add_url": None}
    if person is None or not person.is_active:
        context["add_url"] = allow_list_add_url(conversation) if (
            conversation.wa_id or conversation.bsuid) and request.user.has_perm("accounts.add_user") else None
    if person is not None:
        if request.user.has_perm("accounts.view_user"):
            try:
                context["person_url"] = reverse("admin:accounts_user_change", args=[person.pk])
            except NoReverseMatch:
                pass
        context["sections"] = [s for s in person_sections(person, viewer=request.user) if s["title"] != "Conversations"]
    return context


def conversation_panes(request, conversation: Conversation, query: InboxQuery) -> dict:
    """The header, the chat and the person, rendered; the composer separately (it keeps what is
    being typed: the page replaces it only when its mode changes)."""
    mode = composer_mode(request, conversation)
    here = query.url(c=conversation.pk)
    context = {
        "conversation": conversation, "query": query, "next": here, "back_url": query.url(c=""), "mode": mode,
        "number": phone(conversation.wa_id) if conversation.wa_id else "",
        "can_answer": mode != "none", "window_open": conversation.window_open(),
        "window_state": window_state(conversation), "window_expires_at": conversation.window_expires_at,
        "assignees": assignees_for(conversation) if mode != "none" else [],
        "take_over_url": _action_url("take_over", conversation),
        "hand_back_url": _action_url("hand_back", conversation),
        "assign_url": _action_url("assign", conversation),
        "reply_url": _action_url("reply", conversation),
        "page_url": _action_url("change", conversation),
        # Outside the window only a template can go out: the picker's templates and fields.
        "template_picker": picker_context() if mode == "template" else {},
        **transcript_build(conversation=conversation, limit=INBOX_TRANSCRIPT_LIMIT),
        **_person_context(request, conversation),
    }
    render = lambda name: render_to_string(f"admin/whatsapp/inbox/{name}.html", context, request=request)  # noqa: E731
    return {"id": conversation.pk, "etag": conversation_etag(conversation), "head": render("head"),
            "chat": render("chat"), "person": render("person"), "mode": mode, "composer": render("composer")}


# --- the views -------------------------------------------------------------------------------------
def inbox_view(request):
    """The page: three panes, filled in at once (the poll only brings what changes)."""
    _require_view(request)
    query = InboxQuery(request)
    conversation = conversation_for(request, query.selected_id)
    if conversation is not None:
        inbox_mark_read(viewer=request.user, conversation=conversation)
    list_html = list_pane(request, query)
    panes = conversation_panes(request, conversation, query) if conversation else None
    context = {
        **admin.site.each_context(request), "title": "Inbox", "query": query,
        "is_nav_sidebar_enabled": False,  # the page needs the width; the menu is one click away
        "list_html": list_html, "panes": panes,
        "missing": query.selected_id is not None and conversation is None,
        "live_config": {"url": reverse("admin:inbox_live"), "poll_ms": POLL_MS, "filter": query.filter,
                        "q": query.search, "c": conversation.pk if conversation else None,
                        "list_etag": list_etag(request, query), "etag": panes["etag"] if panes else "",
                        "mode": panes["mode"] if panes else ""},
    }
    return TemplateResponse(request, "admin/whatsapp/inbox/page.html", context)


def inbox_live_view(request):
    """What changed since the page's last look (JSON): the list when its content changed, the open
    conversation's panes when its etag did, and its composer only when the composer's mode did.
    The open conversation counts as read while the page is in view (`seen=1`)."""
    _require_view(request)
    query = InboxQuery(request)
    answer = {}
    if query.selected_id is not None:
        conversation = conversation_for(request, query.selected_id)
        if conversation is None:
            answer["conversation"] = {"missing": True}
        else:
            if request.GET.get("seen") == "1":
                inbox_mark_read(viewer=request.user, conversation=conversation)
            if conversation_etag(conversation) != request.GET.get("etag"):
                panes = conversation_panes(request, conversation, query)
                if panes["mode"] == request.GET.get("mode"):
                    del panes["composer"]
                answer["conversation"] = panes
    etag = list_etag(request, query)
    if etag != request.GET.get("list_etag"):
        answer["list"] = {"etag": etag, "html": list_pane(request, query)}
    return JsonResponse(answer)
