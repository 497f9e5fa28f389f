"""Operator alerts (an expired token, a restricted account, Meta's errors): resolved here, never
deleted, so the history stays."""

from django.contrib import admin, messages
from django.utils import timezone

from whatsapp.models import ChannelAlert


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
