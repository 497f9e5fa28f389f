"""Conversations in the admin: the list with what needs attention, the transcript as a chat, and
taking a conversation over from the assistant (pause, reply by hand, resume).

Every page and action reads conversations through whatsapp.visibility: a team member's own
conversation with the assistant is not in a colleague's list, and its transcript, pause, resume and
reply answer as for a conversation that does not exist.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from config.display import phone
from whatsapp import alerts
from whatsapp.admin.common import admin_url, changelist_url
from whatsapp.admin.transcript import transcript_build, window_state
from whatsapp.attention import NEEDS_PERSON
from whatsapp.inbox import conversations_annotated, failed_q
from whatsapp.models import REPLY_WINDOW, Conversation, Message, on_our_number_q
from whatsapp.catalogue.picker import TemplatePickError, picker_context, template_send_from_form
from whatsapp.takeover import (
    NotAssignable,
    TakeoverError,
    assignees_for,
    conversation_assign,
    conversation_hand_back,
    conversation_pause,
    conversation_resume,
    conversation_take_over,
    manual_reply_send,
)
from whatsapp.visibility import conversations_visible_to

UNKNOWN = Q(user__isnull=True) | Q(user__is_active=False)


def allow_list_add_url(conversation: Conversation) -> str:
    """The add-person page, filled in with this sender's number, business-scoped user id and profile name."""
    first, _, last = (conversation.profile_name or "").partition(" ")
    initial = {"phone_number": f"+{conversation.wa_id}" if conversation.wa_id else "", "first_name": first,
               "last_name": last, "role": "customer"}
    if conversation.bsuid:
        initial["bsuid"] = conversation.bsuid
    return reverse("admin:accounts_user_add") + "?" + urlencode(initial)


# --- filters --------------------------------------------------------------------------------------
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


class WaitingFilter(admin.SimpleListFilter):
    title = "waiting for an answer"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", "Messages waiting"), ("person", "Needs a person (the assistant could not answer)"),
                ("no", "Nothing waiting")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Q(waiting_count__gt=0) | NEEDS_PERSON)
        if self.value() == "person":
            return queryset.filter(NEEDS_PERSON)
        if self.value() == "no":
            return queryset.filter(waiting_count=0).exclude(NEEDS_PERSON)
        return queryset


class BusinessNumberFilter(admin.SimpleListFilter):
    title = "business number"
    parameter_name = "number"

    def lookups(self, request, model_admin):
        return [("ours", "Ours (answered)"), ("other", "Another number (not answered)")]

    def queryset(self, request, queryset):
        if self.value() == "ours":
            return queryset.filter(on_our_number_q())
        if self.value() == "other":
            return queryset.exclude(on_our_number_q())
        return queryset


class FailedDeliveryFilter(admin.SimpleListFilter):
    title = "failed deliveries"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", "Some failed"), ("no", "None failed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(failed_q())
        if self.value() == "no":
            return queryset.exclude(failed_q())
        return queryset


# --- the admin ------------------------------------------------------------------------------------
@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    change_form_template = "admin/whatsapp/conversation/change_form.html"
    # The key columns fit a laptop beside the menu: the number under the name, the last message cut short.
    list_display = ("person", "allow_list", "last_message", "last_message_at", "window", "waiting", "bot_paused",
                    "failed", "business_number")
    list_filter = (AllowListFilter, "last_message_at", WindowFilter,
                   WaitingFilter, "bot_paused", FailedDeliveryFilter, BusinessNumberFilter)
    list_select_related = ("user",)
    search_fields = ("profile_name", "wa_id", "bsuid", "user__first_name", "user__last_name",
                     "user__username", "user__phone_number")
    fieldsets = (
        ("Person", {"fields": ("profile_name", "number", "bsuid", "allow_list")}),
        ("Channel", {"fields": ("business_number", "phone_number_id", "window", "last_inbound_at",
                                "last_message_at", "created_at", "send_backoff_until")}),
        ("Assistant", {"fields": ("bot_paused",),
                       "description": "While paused, the assistant does not answer this person."}),
    )
    readonly_fields = ("profile_name", "number", "bsuid", "allow_list", "business_number", "phone_number_id", "window",
                       "last_inbound_at", "last_message_at", "created_at", "send_backoff_until")

    def get_queryset(self, request):
        return conversations_annotated(conversations_visible_to(request.user, super().get_queryset(request)))

    def has_add_permission(self, request):
        return False  # conversations start when someone writes

    def get_search_results(self, request, queryset, search_term):
        """Numbers are found however they are typed ("+1 (650) 555"); Meta's wa_id has no "+"."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) >= 3:
            results = results | queryset.filter(wa_id__contains=digits)
        return results, may_have_duplicates

    # --- columns ----------------------------------------------------------------------------------
    @admin.display(description="Person", ordering="profile_name")
    def person(self, obj):
        if not obj.wa_id or str(obj) == f"+{obj.wa_id}":
            return str(obj)
        number = self.number(obj)
        return format_html('{}<br><small class="person-number">{}</small>', obj, number)

    @admin.display(description="Number", ordering="wa_id")
    def number(self, obj):
        return phone(obj.wa_id)

    @admin.display(description="Allow-list")
    def allow_list(self, obj):
        if obj.user_id and obj.user.is_active:
            return format_html('<a href="{}">{}</a>', admin_url(obj.user), obj.user.display_name)
        if obj.user_id:
            return format_html('Inactive: <a href="{}">{}</a>', admin_url(obj.user), obj.user.display_name)
        if obj.wa_id:
            return format_html('Not on it: <a href="{}">add {}</a>', allow_list_add_url(obj), phone(obj.wa_id))
        if obj.bsuid:
            # A WhatsApp username hides the number: the business-scoped user id is what names them.
            return format_html('Not on it (username, no number): <a href="{}">add {}</a>, or give this id to '
                               'someone on the allow-list', allow_list_add_url(obj), obj.bsuid)
        return "Not on it"

    @admin.display(description="Last message")
    def last_message(self, obj):
        if obj.last_type is None:
            return "—"
        arrow = "←" if obj.last_direction == Message.Direction.INBOUND else "→"
        text = obj.last_text or f"[{obj.last_type}]"
        return f"{arrow} {text[:50]}{'…' if len(text) > 50 else ''}"

    @admin.display(description="Window", ordering="last_inbound_at")
    def window(self, obj):
        return window_state(obj)

    @admin.display(description="Waiting", ordering="waiting_count")
    def waiting(self, obj):
        needs_person = format_html('<strong class="needs-person" title="{}">Needs a person</strong>',
                                   obj.needs_person_reason) if obj.needs_person_since else ""
        if not obj.waiting_count:
            return needs_person or 0
        return format_html('<strong class="waiting-count">{}</strong> {}', obj.waiting_count, needs_person)

    @admin.display(description="Failed", ordering="failed_count")
    def failed(self, obj):
        if not obj.failed_count:
            return 0
        url = changelist_url(Message, conversation__id__exact=obj.pk, status__exact=Message.Status.FAILED)
        return format_html('<a href="{}" style="color: var(--error-fg); font-weight: bold">{}</a>',
                           url, obj.failed_count)

    @admin.display(description="Business number", ordering="phone_number_id")
    def business_number(self, obj):
        if obj.on_our_number:
            return "Ours"
        return format_html('<strong class="other-number" style="color: var(--error-fg)">Another number: {}</strong>'
                           " (stored, not answered)", obj.phone_number_id or "none given")

    # --- the change page: transcript and take-over ------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        conversation = self.get_object(request, unquote(object_id))
        if conversation is not None:  # else Django answers "does not exist"
            context.update(transcript_build(conversation=conversation))
            context["transcript_all_url"] = changelist_url(Message, conversation__id__exact=conversation.pk)
            context["inbox_url"] = reverse("admin:inbox") + f"?c={conversation.pk}"
            context.update(self.takeover_context(request, conversation))
        return super().change_view(request, object_id, form_url, extra_context=context)

    def takeover_context(self, request, conversation: Conversation) -> dict:
        url = lambda action: reverse(f"admin:whatsapp_conversation_{action}", args=[conversation.pk])  # noqa: E731
        return {
            # Another business number's conversation is not ours to answer, by hand either.
            "can_take_over": conversation.on_our_number and self.has_change_permission(request, conversation),
            "window_open": conversation.window_open(),
            "window_state": window_state(conversation),
            # Outside the window only a template can go out: the picker's templates and fields.
            "template_picker": {} if conversation.window_open() else picker_context(),
            "pause_url": url("pause"),
            "resume_url": url("resume"),
            "reply_url": url("reply"),
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/pause/", wrap(self.pause_view), name="whatsapp_conversation_pause"),
            path("<path:object_id>/resume/", wrap(self.resume_view), name="whatsapp_conversation_resume"),
            path("<path:object_id>/reply/", wrap(self.reply_view), name="whatsapp_conversation_reply"),
            path("<path:object_id>/take-over/", wrap(self.take_over_view), name="whatsapp_conversation_take_over"),
            path("<path:object_id>/hand-back/", wrap(self.hand_back_view), name="whatsapp_conversation_hand_back"),
            path("<path:object_id>/assign/", wrap(self.assign_view), name="whatsapp_conversation_assign"),
        ] + super().get_urls()

    def _takeover(self, request, object_id, act):
        """POST only, change_conversation on this conversation. The outcome is a message on the page
        it came from (`next`: the inbox; else the conversation's page), or JSON for the inbox's
        script (`Accept: application/json`): {"ok", "message", "warning"}, 400 when it could not be done."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        conversation = self.get_object(request, unquote(object_id))
        if conversation is None:
            raise Http404("No such conversation.")
        if not self.has_change_permission(request, conversation):
            raise PermissionDenied
        back = _next_url(request) or admin_url(conversation) + "#takeover"
        wants_json = "application/json" in request.headers.get("Accept", "")
        if not conversation.on_our_number:
            ok, text, level = False, "This conversation is with another business number: it is not answered from here.", \
                messages.ERROR
        else:
            try:
                done = act(conversation)
            except (TakeoverError, TemplatePickError) as exc:
                ok, text, level = False, str(exc), messages.ERROR
            else:
                # Done, or done with a warning (text, level): a template held, not sent.
                ok, (text, level) = True, done if isinstance(done, tuple) else (done, messages.SUCCESS)
        if wants_json:
            return JsonResponse({"ok": ok, "message": text, "warning": level == messages.WARNING},
                                status=200 if ok else 400)
        self.message_user(request, text, level)
        return redirect(back)

    def take_over_view(self, request, object_id):
        def take_over(conversation):
            conversation_take_over(conversation=conversation, by=request.user)
            return "You answer this person now: the assistant is paused and the conversation is yours."

        return self._takeover(request, object_id, take_over)

    def hand_back_view(self, request, object_id):
        def hand_back(conversation):
            conversation_hand_back(conversation=conversation, by=request.user)
            return "Handed back: the assistant answers this person's next message."

        return self._takeover(request, object_id, hand_back)

    def assign_view(self, request, object_id):
        def assign(conversation):
            chosen = request.POST.get("assignee", "")
            to = next((p for p in assignees_for(conversation) if str(p.pk) == chosen), None) if chosen else None
            if chosen and to is None:
                raise NotAssignable("That person cannot answer this conversation: only an active team member who "
                                    "may read it can.")
            conversation_assign(conversation=conversation, to=to, by=request.user)
            return f"Assigned to {to.display_name}." if to else "Assigned to nobody."

        return self._takeover(request, object_id, assign)

    def pause_view(self, request, object_id):
        def pause(conversation):
            conversation_pause(conversation=conversation, by=request.user)
            return "Assistant paused: you answer this person until you resume it."

        return self._takeover(request, object_id, pause)

    def resume_view(self, request, object_id):
        def resume(conversation):
            conversation_resume(conversation=conversation, by=request.user)
            return "Assistant resumed: it answers this person's next message."

        return self._takeover(request, object_id, resume)

    def reply_view(self, request, object_id):
        def send(conversation):
            if "template" in request.POST:
                message = template_send_from_form(conversation=conversation, data=request.POST, sent_by=request.user)
                name = message.payload["template"]["name"]
                if message.status == Message.Status.HELD:
                    return (f"Template {name} is held, not sent: {message.error_title}. {message.error_details}",
                            messages.WARNING)
                return f"Template {name} queued.{_paused_note()}"
            manual_reply_send(conversation=conversation, by=request.user, text=request.POST.get("text", ""))
            return f"Reply queued.{_paused_note()}"

        return self._takeover(request, object_id, send)

    def save_model(self, request, obj, form, change):
        # Pausing from the form goes through the same services as the buttons.
        changed = list(form.changed_data) if change else []
        if "bot_paused" in changed:
            changed.remove("bot_paused")
            service = conversation_pause if obj.bot_paused else conversation_resume
            service(conversation=obj, by=request.user)
        # Only what the form changed: workers update leases and times on this row concurrently.
        if changed:
            obj.save(update_fields=changed)
        elif not change:
            obj.save()


def _next_url(request) -> str:
    """Where a take-over form asks to go back to (the inbox), if it is on this site."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return ""


def _paused_note() -> str:
    """Said when delivery is paused, so nobody thinks a reply went out when it cannot yet."""
    if alerts.operator_pause_until() is None:
        return ""
    return (" Delivery is paused: Graph refuses the access token or the account (see the open alerts on the "
            "admin home page). It goes out once that is fixed.")
