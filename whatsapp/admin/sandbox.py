"""Sandbox mode in the admin: what the Graph API stand-in accepted."""

from django.contrib import admin

from config.admin_site import ReadOnlyAdmin
from whatsapp.models import SandboxDelivery


@admin.register(SandboxDelivery)
class SandboxDeliveryAdmin(ReadOnlyAdmin):
    """Sandbox mode: what the Graph API stand-in accepted, i.e. what would have reached a phone."""

    list_display = ["created_at", "kind", "type", "to", "wamid"]
    list_filter = ["kind", "type"]
    search_fields = ["wamid", "to"]
    fields = ["created_at", "kind", "type", "to", "phone_number_id", "wamid", "payload"]
