"""Raw webhook bodies and the statuses Meta reported, read-only, as far as the viewer may read them
(whatsapp.visibility)."""

import json

from django.contrib import admin
from django.utils.html import format_html

from config.admin_site import ReadOnlyAdmin
from whatsapp.admin.common import admin_url, changelist_url, pretty_json
from whatsapp.admin.conversations import BusinessNumberFilter
from whatsapp.models import Message, StatusUpdate, WebhookEvent, on_our_number
from whatsapp.visibility import status_updates_visible_to, webhook_events_visible_to


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
                           changelist_url(Message, webhook_event__id__exact=obj.pk),
                           changelist_url(StatusUpdate, webhook_event__id__exact=obj.pk))

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
        return format_html('<a href="{}">#{}</a>', admin_url(obj.message), obj.message_id)

    @admin.display(description="Error")
    def error(self, obj):
        first = (obj.errors or [{}])[0] or {}
        return f"{first.get('code', '')} {first.get('title', '')}".strip() or ""

    @admin.display(description="Errors")
    def errors_pretty(self, obj):
        return pretty_json(obj.errors)

    @admin.display(description="Raw")
    def raw_pretty(self, obj):
        return pretty_json(obj.raw)
