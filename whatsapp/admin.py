"""The channel in the admin: conversations with their transcripts, raw webhooks, statuses, alerts.

What Meta sent is evidence: webhook events, messages and status updates are read-only here.
"""

import functools
import json
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from whatsapp.alerts import alerts_open
from whatsapp.errors import OPERATOR_CODES
from whatsapp.models import REPLY_WINDOW, ChannelAlert, Conversation, Message, StatusUpdate, WebhookEvent

# The change page shows this many of the newest messages; the Messages list has them all.
TRANSCRIPT_LIMIT = 500
UNKNOWN = Q(user__isnull=True) | Q(user__is_active=False)


def _admin_url(obj, action="change") -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}", args=[obj.pk])


def _changelist_url(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _pretty_json(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
                       json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def time_left(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def window_state(conversation: Conversation, now=None) -> str:
    """"Open, 3 h 05 min left" or "Closed": derived from the person's last message, never stored."""
    now = now or timezone.now()
    if conversation.window_open(now):
        return f"Open, {time_left(conversation.window_expires_at - now)} left"
    return "Closed" if conversation.last_inbound_at else "Closed (never wrote)"


def allow_list_add_url(conversation: Conversation) -> str:
    """The add-person page, filled in with this sender's number and profile name."""
    first, _, last = (conversation.profile_name or "").partition(" ")
    initial = {"phone_number": f"+{conversation.wa_id}", "first_name": first, "last_name": last, "role": "customer"}
    return reverse("admin:accounts_user_add") + "?" + urlencode(initial)


# --- conversations ------------------------------------------------------------------------------
class AllowListFilter(admin.SimpleListFilter):
    title = "sender"
    parameter_name = "sender"

    def lookups(self, request, model_admin):
        return [("known", "On the allow-list"), ("unknown", "Not on the allow-list (unknown senders)")]

    def queryset(self, request, queryset):
        if self.value() == "known":
            return queryset.filter(user__isnull=False, user__is_active=True)
        if self.value() == "unknown":
            return queryset.filter(UNKNOWN)
        return queryset


class WindowFilter(admin.SimpleListFilter):
    title = "24-hour window"
    parameter_name = "window"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        opened_after = timezone.now() - REPLY_WINDOW
        if self.value() == "open":
            return queryset.filter(last_inbound_at__gt=opened_after)
        if self.value() == "closed":
            return queryset.filter(Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lte=opened_after))
        return queryset


class FailedDeliveryFilter(admin.SimpleListFilter):
    title = "failed deliveries"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", "Some failed"), ("no", "None failed")]

    def queryset(self, request, queryset):
        failed = Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.OUTBOUND,
                                        status=Message.Status.FAILED)
        if self.value() == "yes":
            return queryset.filter(Exists(failed))
        if self.value() == "no":
            return queryset.exclude(Exists(failed))
        return queryset


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    change_form_template = "admin/whatsapp/conversation/change_form.html"
    list_display = ("person", "number", "allow_list", "last_message", "last_message_at", "window",
                    "bot_paused", "failed")
    list_filter = (AllowListFilter, WindowFilter, "bot_paused", FailedDeliveryFilter, "phone_number_id")
    list_select_related = ("user",)
    search_fields = ("profile_name", "wa_id", "bsuid", "user__first_name", "user__last_name",
                     "user__username", "user__phone_number")
    save_on_top = True
    fieldsets = (
        ("Person", {"fields": ("profile_name", "number", "bsuid", "allow_list")}),
        ("Channel", {"fields": ("phone_number_id", "window", "last_inbound_at", "last_message_at", "created_at",
                                "send_backoff_until")}),
        ("Assistant", {"fields": ("bot_paused",),
                       "description": "While paused, the assistant does not answer this person."}),
    )
    readonly_fields = ("profile_name", "number", "bsuid", "allow_list", "phone_number_id", "window",
                       "last_inbound_at", "last_message_at", "created_at", "send_backoff_until")

    def get_queryset(self, request):
        newest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-timestamp", "-id")
        failed = (Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.OUTBOUND,
                                         status=Message.Status.FAILED)
                  .order_by().values("conversation").annotate(n=Count("pk")).values("n"))
        return super().get_queryset(request).annotate(
            last_text=Subquery(newest.values("text")[:1]),
            last_type=Subquery(newest.values("type")[:1]),
            last_direction=Subquery(newest.values("direction")[:1]),
            failed_count=Coalesce(Subquery(failed, output_field=IntegerField()), 0),
        )

    def has_add_permission(self, request):
        return False  # conversations start when someone writes

    def get_search_results(self, request, queryset, search_term):
        """Numbers are found however they are typed ("+1 (650) 555"); Meta's wa_id has no "+"."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) >= 3:
            results = results | queryset.filter(wa_id__contains=digits)
        return results, may_have_duplicates

    @admin.display(description="Person", ordering="profile_name")
    def person(self, obj):
        return str(obj)

    @admin.display(description="Number", ordering="wa_id")
    def number(self, obj):
        return f"+{obj.wa_id}" if obj.wa_id else "—"

    @admin.display(description="Allow-list")
    def allow_list(self, obj):
        if obj.user_id and obj.user.is_active:
            return format_html('<a href="{}">{}</a>', _admin_url(obj.user), obj.user.display_name)
        if obj.user_id:
            return format_html('Inactive: <a href="{}">{}</a>', _admin_url(obj.user), obj.user.display_name)
        if obj.wa_id:
            return format_html('Not on it: <a href="{}">add +{}</a>', allow_list_add_url(obj), obj.wa_id)
        return "Not on it (no phone number: username-only sender)"

    @admin.display(description="Last message")
    def last_message(self, obj):
        if obj.last_type is None:
            return "—"
        arrow = "←" if obj.last_direction == Message.Direction.INBOUND else "→"
        text = obj.last_text or f"[{obj.last_type}]"
        return f"{arrow} {text[:60]}{'…' if len(text) > 60 else ''}"

    @admin.display(description="Window")
    def window(self, obj):
        return window_state(obj)

    @admin.display(description="Failed", ordering="failed_count")
    def failed(self, obj):
        if not obj.failed_count:
            return 0
        url = _changelist_url(Message, conversation__id__exact=obj.pk, status__exact=Message.Status.FAILED)
        return format_html('<a href="{}" style="color: var(--error-fg); font-weight: bold">{}</a>',
                           url, obj.failed_count)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        conversation = self.get_object(request, unquote(object_id))
        if conversation is not None:  # else Django answers "does not exist"
            context.update(self.transcript_context(conversation))
        return super().change_view(request, object_id, form_url, extra_context=context)

    def transcript_context(self, conversation: Conversation) -> dict:
        rows = conversation.messages.select_related("sent_by")
        total = rows.count()
        newest = list(rows.order_by("-timestamp", "-id")[:TRANSCRIPT_LIMIT])
        return {
            "transcript": newest[::-1],  # oldest first, by Meta's timestamp
            "transcript_total": total,
            "transcript_all_url": _changelist_url(Message, conversation__id__exact=conversation.pk),
        }

    def save_model(self, request, obj, form, change):
        # Only what the form changed: workers update leases and times on this row concurrently.
        if change and form.changed_data:
            obj.save(update_fields=form.changed_data)
        elif not change:
            obj.save()


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


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "received_at", "status", "message_count", "status_count", "short_error",
                    "replayed_at")
    list_filter = ("status",)
    date_hierarchy = "received_at"
    fields = ("received_at", "status", "message_count", "status_count", "stored", "error", "replayed_at",
              "body_pretty")
    readonly_fields = ("stored", "body_pretty")

    def get_queryset(self, request):
        # The list shows counts; bodies (up to 3 MB each) are read on the event's own page.
        queryset = super().get_queryset(request)
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
    list_display = ("wamid", "status", "timestamp", "recipient_id", "message_link", "error", "received_at")
    list_filter = ("status",)
    search_fields = ("wamid", "recipient_id")
    date_hierarchy = "timestamp"
    fields = ("wamid", "status", "timestamp", "recipient_id", "message_link", "webhook_event", "received_at",
              "errors_pretty", "raw_pretty")
    readonly_fields = ("message_link", "errors_pretty", "raw_pretty")

    @admin.display(description="Message")
    def message_link(self, obj):
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
            context["unknown_sender_count"] = Conversation.objects.filter(UNKNOWN).count()
            context["unknown_senders_url"] = _changelist_url(Conversation, sender="unknown")
        return index(request, extra_context={**context, **(extra_context or {})})

    return view


# No custom AdminSite (that would mean changing config/urls.py): the default site's index gets the context.
admin.site.index = _index_with_channel_state(admin.site.index)
