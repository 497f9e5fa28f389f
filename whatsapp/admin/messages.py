"""Messages in the admin: read-only (what Meta sent is evidence), each with its media, shown only
to those who may read its conversation (whatsapp.visibility)."""

import mimetypes

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.template.loader import render_to_string
from django.urls import path
from django.utils.html import format_html

from config.admin_site import ReadOnlyAdmin
from whatsapp.admin.common import admin_url, pretty_json
from whatsapp.models import Message
from whatsapp.visibility import messages_visible_to

# Shown in the page; anything else is downloaded, never rendered by the browser: a document sent as
# image/svg+xml or text/html would otherwise run its script with the admin's cookies.
INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")
INLINE_MEDIA_PREFIXES = ("audio/", "video/")


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
        return format_html('<a href="{}">{}</a>', admin_url(obj.conversation), obj.conversation)

    @admin.display(description="Content")
    def content(self, obj):
        return render_to_string("admin/whatsapp/message_content.html", {"m": obj})

    @admin.display(description="Data")
    def data_pretty(self, obj):
        return pretty_json(obj.data)

    @admin.display(description="Referral")
    def referral_pretty(self, obj):
        return pretty_json(obj.referral)

    @admin.display(description="Payload sent")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="Raw (as Meta sent it)")
    def raw_pretty(self, obj):
        return pretty_json(obj.raw)
