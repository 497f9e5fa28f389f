"""The channel in the admin: conversations with their transcripts, raw webhooks, statuses, alerts.

What Meta sent is evidence: webhook events, messages and status updates are read-only here. Each
list, page and file shows only what the viewer may read (whatsapp.visibility: a team member's own
conversation is theirs, their managers' and the superusers').
Conversations (list, transcript, take-over) are in whatsapp.admin_conversations.
"""

import functools
import json
import mimetypes

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from whatsapp.admin_conversations import (  # noqa: F401
    UNKNOWN,
    BusinessNumberFilter,
    ConversationAdmin,
    admin_url,
    changelist_url,
)
from whatsapp.alerts import alerts_open
from whatsapp.outbound.errors import OPERATOR_CODES
from whatsapp.models import (
    ChannelAlert,
    Conversation,
    Message,
    SandboxDelivery,
    StatusUpdate,
    WebhookEvent,
    on_our_number,
)
from whatsapp.visibility import (
    conversations_visible_to,
    messages_visible_to,
    status_updates_visible_to,
    webhook_events_visible_to,
)

# Shown in the page; anything else is downloaded, never rendered by the browser: a document sent as
# image/svg+xml or text/html would otherwise run its script with the admin's cookies.
INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")
INLINE_MEDIA_PREFIXES = ("audio/", "video/")

_admin_url = admin_url
_changelist_url = changelist_url


def _pretty_json(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
                       json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


# --- messages, webhook events, statuses: what Meta sent, read-only ------------------------------
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "conversation_link", "direction", "type", "preview", "status", "sender_allowed",
                    "error_code")
    list_filter = ("direction", "type", "status", "sender_allowed")
    list_select_related = ("conversation",)
    search_fields = ("text", "transcript", "wamid", "conversation__wa_id", "conversation__profile_name")
    date_hierarchy = "timestamp"
    fieldsets = (
        (None, {"fields": ("conversation_link", "direction", "type", "timestamp", "status", "content", "wamid",
                           "context_wamid")}),
        ("Inbound", {"fields": ("sender_allowed", "webhook_event", "handled_at")}),
        ("Outbound", {"fields": ("sent_by", "in_reply_to", "part", "attempts", "first_attempt_at",
                                 "next_attempt_at", "sent_at", "delivered_at", "read_at", "failed_at")}),
        ("Errors", {"fields": ("error_code", "error_title", "error_details")}),
        ("Raw", {"classes": ("collapse",), "fields": ("data_pretty", "referral_pretty", "payload_pretty",
                                                      "raw_pretty")}),
    )
    readonly_fields = ("conversation_link", "content", "data_pretty", "referral_pretty", "payload_pretty",
                       "raw_pretty")

    def get_queryset(self, request):
        return messages_visible_to(request.user, super().get_queryset(request))

    def get_urls(self):
        return [
            path("<int:message_id>/media/", self.admin_site.admin_view(self.media_view),
                 name="whatsapp_message_media"),
        ] + super().get_urls()

    def media_view(self, request, message_id):
        """The downloaded photo, voice note or document of a message, for staff who may read messages,
        and only of a conversation they may read (any other answers 404, as a missing one does)."""
        if not request.user.has_perm("whatsapp.view_message"):
            raise PermissionDenied
        message = messages_visible_to(request.user).filter(pk=message_id).first()
        if message is None or not message.media_file:
            raise Http404("No media stored for this message.")
        content_type = (message.media_mime_type or mimetypes.guess_type(message.media_file.name)[0]
                        or "application/octet-stream").split(";")[0].strip().lower()
        inline = content_type in INLINE_IMAGES or content_type.startswith(INLINE_MEDIA_PREFIXES)
        filename = message.media_filename or message.media_file.name.rsplit("/", 1)[-1]
        response = FileResponse(message.media_file.open("rb"), as_attachment=not inline, filename=filename,
                                content_type=content_type if inline else "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description="Conversation", ordering="conversation")
    def conversation_link(self, obj):
        return format_html('<a href="{}">{}</a>', _admin_url(obj.conversation), obj.conversation)

    @admin.display(description="Content")
    def content(self, obj):
        return render_to_string("admin/whatsapp/message_content.html", {"m": obj})

    @admin.display(description="Data")
    def data_pretty(self, obj):
        return _pretty_json(obj.data)

    @admin.display(description="Referral")
    def referral_pretty(self, obj):
        return _pretty_json(obj.referral)

    @admin.display(description="Payload sent")
    def payload_pretty(self, obj):
        return _pretty_json(obj.payload)

    @admin.display(description="Raw (as Meta sent it)")
    def raw_pretty(self, obj):
        return _pretty_json(obj.raw)


class UnreadItemsFilter(admin.SimpleListFilter):
    title = "items not read"
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("yes", "Some items not read"), ("no", "Every item read")]

    def queryset(self, request, queryset):
        processed = queryset.filter(status=WebhookEvent.Status.PROCESSED)
        if self.value() == "yes":
            return processed.exclude(error="")
        if self.value() == "no":
            return processed.filter(error="")
        return queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "received_at", "status", "message_count", "status_count", "short_error",
                    "replayed_at")
    list_filter = ("status", UnreadItemsFilter)
    date_hierarchy = "received_at"
    fields = ("received_at", "status", "replay", "message_count", "status_count", "stored", "error", "replayed_at",
              "body_pretty")
    readonly_fields = ("replay", "stored", "body_pretty")

    @admin.display(description="Replay")
    def replay(self, obj):
        if obj.status == WebhookEvent.Status.NOT_STORED:
            return format_html("Nothing of it is stored yet. Once the cause (in Error) is fixed: "
                               "<code>manage.py replay_webhook {}</code> (or <code>--not-stored</code> for all).",
                               obj.pk)
        return "—"

    def get_queryset(self, request):
        # The list shows counts; bodies (up to 3 MB each) are read on the event's own page.
        queryset = webhook_events_visible_to(request.user, super().get_queryset(request))
        return queryset.defer("body") if request.resolver_match.url_name.endswith("changelist") else queryset

    @admin.display(description="Error")
    def short_error(self, obj):
        return obj.error if len(obj.error) <= 80 else obj.error[:79] + "…"

    @admin.display(description="Stored from it")
    def stored(self, obj):
        return format_html('<a href="{}">messages</a> · <a href="{}">statuses</a>',
                           _changelist_url(Message, webhook_event__id__exact=obj.pk),
                           _changelist_url(StatusUpdate, webhook_event__id__exact=obj.pk))

    @admin.display(description="Body")
    def body_pretty(self, obj):
        text = obj.body_text
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass  # rejected bodies are shown as they came
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdmin):
    list_display = ("wamid", "status", "timestamp", "recipient_id", "recipient_user_id", "message_link", "error",
                    "received_at", "phone_number_id")
    list_filter = ("status", BusinessNumberFilter)
    search_fields = ("wamid", "recipient_id", "recipient_user_id")
    date_hierarchy = "timestamp"
    fields = ("wamid", "status", "timestamp", "recipient_id", "recipient_user_id", "phone_number_id", "message_link",
              "webhook_event",
              "received_at", "errors_pretty", "raw_pretty")
    readonly_fields = ("message_link", "errors_pretty", "raw_pretty")

    def get_queryset(self, request):
        return status_updates_visible_to(request.user, super().get_queryset(request))

    @admin.display(description="Message")
    def message_link(self, obj):
        if obj.message_id is None and not on_our_number(obj.phone_number_id):
            return "— (reported for another business number: moves nothing)"
        if obj.message_id is None:
            return "— (not one of ours, or not stored yet)"
        return format_html('<a href="{}">#{}</a>', _admin_url(obj.message), obj.message_id)

    @admin.display(description="Error")
    def error(self, obj):
        first = (obj.errors or [{}])[0] or {}
        return f"{first.get('code', '')} {first.get('title', '')}".strip() or ""

    @admin.display(description="Errors")
    def errors_pretty(self, obj):
        return _pretty_json(obj.errors)

    @admin.display(description="Raw")
    def raw_pretty(self, obj):
        return _pretty_json(obj.raw)


# --- operator alerts ----------------------------------------------------------------------------
class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(ChannelAlert)
class ChannelAlertAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "source", "count", "first_seen_at", "last_seen_at", "resolved")
    list_filter = (AlertStateFilter, "source", "code")
    actions = ("mark_resolved",)
    fields = ("code", "title", "details", "source", "count", "first_seen_at", "last_seen_at", "resolved_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # raised by the channel, not by people

    def has_delete_permission(self, request, obj=None):
        return False  # resolved, not deleted: the history stays

    @admin.display(description="Resolved", boolean=True, ordering="resolved_at")
    def resolved(self, obj):
        return obj.resolved_at is not None

    @admin.action(description="Mark resolved", permissions=["change"])
    def mark_resolved(self, request, queryset):
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(request, f"{count} alert(s) marked resolved.", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {"show_save": False, "show_save_and_continue": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=context)


def _index_with_channel_state(index):
    """The admin index shows open alerts (nothing may be going out) and unknown senders first."""

    @functools.wraps(index)
    def view(request, extra_context=None):
        context = {}
        if request.user.has_perm("whatsapp.view_channelalert"):
            context["channel_alerts"] = list(alerts_open())
            context["operator_codes"] = OPERATOR_CODES
            context["channel_alerts_url"] = _changelist_url(ChannelAlert, state="open")
        if request.user.has_perm("whatsapp.view_conversation"):
            context["unknown_sender_count"] = conversations_visible_to(request.user).filter(UNKNOWN).count()
            context["unknown_senders_url"] = _changelist_url(Conversation, sender="unknown")
        if request.user.has_perm("whatsapp.view_webhookevent"):
            # Bodies Meta sent that are kept raw only: nothing in them is answered until replayed.
            context["not_stored_count"] = WebhookEvent.objects.filter(status=WebhookEvent.Status.NOT_STORED).count()
            context["not_stored_url"] = _changelist_url(WebhookEvent, status__exact=WebhookEvent.Status.NOT_STORED)
        return index(request, extra_context={**context, **(extra_context or {})})

    return view


# No custom AdminSite (that would mean changing config/urls.py): the default site's index gets the context.
admin.site.index = _index_with_channel_state(admin.site.index)


@admin.register(SandboxDelivery)
class SandboxDeliveryAdmin(ReadOnlyAdmin):
    """Sandbox mode: what the Graph API stand-in accepted, i.e. what would have reached a phone."""

    list_display = ["created_at", "kind", "type", "to", "wamid"]
    list_filter = ["kind", "type"]
    search_fields = ["wamid", "to"]
    fields = ["created_at", "kind", "type", "to", "phone_number_id", "wamid", "payload"]
