"""The template catalogue in the admin: what Meta has, its status, category, quality and last sync.

Read-only: templates are made and changed at Meta (`manage.py whatsapp_templates create`, or
WhatsApp Manager) and synced here; "Sync now" asks Graph at once instead of waiting for beat.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from config.admin_site import ReadOnlyAdmin
from whatsapp.admin.common import pretty_json
from whatsapp.catalogue.components import Fill, render
from whatsapp.catalogue.held import held_templates
from whatsapp.catalogue.sync import CatalogueNotConfigured, templates_sync
from whatsapp.models import MessageTemplate
from whatsapp.outbound.errors import GraphError

QUALITY = {"GREEN": "High", "YELLOW": "Medium", "RED": "Low", "UNKNOWN": "Not rated yet"}


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdmin):
    change_list_template = "admin/whatsapp/messagetemplate/change_list.html"
    list_display = ("name", "language", "status_shown", "category_shown", "quality", "last_synced_at")
    list_filter = ("status", "category", "quality_score", "language")
    search_fields = ("name",)
    fields = ("name", "language", "status_shown", "status_reason", "status_changed_at", "category_shown",
              "quality", "what_the_person_reads", "values", "held", "parameter_format", "meta_id", "components_json",
              "last_synced_at", "created_at")
    readonly_fields = fields

    @admin.display(description="Status", ordering="status")
    def status_shown(self, obj):
        if obj.approved:
            return obj.get_status_display()
        return format_html('<strong style="color: var(--error-fg)">{}</strong> (not sent: messages that need it '
                           "are held)", obj.get_status_display())

    @admin.display(description="Category", ordering="category")
    def category_shown(self, obj):
        if obj.previous_category and obj.previous_category != obj.category:
            return f"{obj.category} (Meta moved it from {obj.previous_category}, which changes its price)"
        return obj.category or "—"

    @admin.display(description="Quality", ordering="quality_score")
    def quality(self, obj):
        return QUALITY.get(obj.quality_score, obj.quality_score or "—")

    @admin.display(description="What the person reads")
    def what_the_person_reads(self, obj):
        text = render(obj.shape, Fill(values={slot.key: slot.example for slot in obj.shape.slots if slot.example}))
        return format_html('<div style="white-space: pre-wrap; max-width: 40em">{}</div>', text or "—")

    @admin.display(description="Values it takes")
    def values(self, obj):
        slots = obj.shape.slots
        if not slots and not obj.shape.media_header:
            return "None"
        rows = format_html_join("", "<li>{} (e.g. {})</li>", ((s.label, s.example or "—") for s in slots))
        media = format_html("<li>A {} in the header</li>", obj.shape.media_header) if obj.shape.media_header else ""
        return format_html("<ul>{}{}</ul>", media, rows)

    @admin.display(description="Messages held for it")
    def held(self, obj):
        return held_templates(name=obj.name, language=obj.language).count()

    @admin.display(description="Components (as Meta lists them)")
    def components_json(self, obj):
        return pretty_json(obj.components)

    # --- sync now ---------------------------------------------------------------------------------
    def get_urls(self):
        return [path("sync/", self.admin_site.admin_view(self.sync_view), name="whatsapp_messagetemplate_sync"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        context = {"last_sync": MessageTemplate.objects.aggregate(at=Max("last_synced_at"))["at"],
                   "sync_url": reverse("admin:whatsapp_messagetemplate_sync"), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def sync_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            result = templates_sync()
        except (CatalogueNotConfigured, GraphError) as exc:
            self.message_user(request, f"Not synced: {exc}", messages.ERROR)
        else:
            self.message_user(request, f"Synced {result.listed} template(s) from Meta: {len(result.added)} new, "
                                       f"{len(result.changed)} changed, {len(result.removed)} no longer listed; "
                                       f"{result.released} held message(s) released.", messages.SUCCESS)
        return redirect("admin:whatsapp_messagetemplate_changelist")
