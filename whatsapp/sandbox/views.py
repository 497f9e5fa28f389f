"""/sandbox/: staff chat as any allowed person, through the real webhook, worker, agent and sender.

The page asks `compose` for the webhook a phone's message would cause (built and signed here, so
the app secret never reaches the browser), posts it to /webhooks/whatsapp/ itself, and polls `feed`.
"""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.middleware.csrf import get_token
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from whatsapp.models import SandboxMedia
from whatsapp.sandbox import feed as feeds
from whatsapp.sandbox import phone, services
from whatsapp.sandbox.mode import sandbox_only

MAX_TEXT = 4096
CLOCK_HOURS = 25  # past the 24-hour window


def _not_speakable():
    return JsonResponse({"error": "Not someone you can chat as."}, status=404)


@require_GET
@sandbox_only
@staff_member_required
def chat(request):
    config = {
        "feedUrl": reverse("sandbox-feed", args=[0]),
        "composeUrl": reverse("sandbox-compose", args=[0]),
        "clockUrl": reverse("sandbox-clock", args=[0]),
        "webhookUrl": reverse("whatsapp-webhook"),
        "csrfToken": get_token(request),
    }
    # The assistant's rule (agent.llm.llm_configured), read from settings: the channel never imports it.
    if settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL:
        # Only the host: a base URL may carry a key (user:key@host, ?api-key=...).
        where = urlsplit(settings.OPENAI_BASE_URL).hostname if settings.OPENAI_BASE_URL else "OpenAI"
        ai = {"on": True, "label": f"AI replies on: {settings.OPENAI_MODEL} at {where}"}
    else:
        ai = {"on": False, "label": "AI replies off: commands only (set OPENAI_API_KEY or OPENAI_BASE_URL)"}
    return render(request, "sandbox/chat.html", {"people": feeds.people(request.user), "config": config, "ai": ai,
                                                 "business_name": settings.BUSINESS_NAME})


@require_GET
@sandbox_only
@staff_member_required
def feed(request, user_id):
    user = feeds.person(request.user, user_id)
    return JsonResponse(feeds.feed(user)) if user else _not_speakable()


@require_POST
@sandbox_only
@staff_member_required
def compose(request, user_id):
    """The signed webhook for one message from this person: text, a file, or a button tap."""
    user = feeds.person(request.user, user_id)
    if user is None:
        return _not_speakable()
    try:
        message = _message_from(request)
    except ValueError as exc:  # UploadRefused too: the message says what to do
        return JsonResponse({"error": str(exc)}, status=400)
    webhook = phone.message_webhook(wa_id=phone.wa_id_of(user.phone_number),
                                    profile_name=user.get_full_name() or user.username, message=message)
    return JsonResponse({"body": webhook.body.decode(), "signature": webhook.signature})


def _message_from(request) -> dict:
    upload = request.FILES.get("file")
    if upload is not None:
        caption = request.POST.get("caption", "").strip()[:1024]
        kind, media = services.media_store(content=upload.read(), mime_type=upload.content_type or "",
                                           filename=upload.name or "")
        # An ogg/opus recording is what WhatsApp sends as a voice note; other audio is an audio file.
        voice = media.mime_type == "audio/ogg"
        return phone.media(kind, media_id=media.media_id, sha256=media.sha256, caption=caption,
                           mime_type="audio/ogg; codecs=opus" if voice else media.mime_type,
                           filename=media.filename, voice=voice)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ValueError("Send JSON or a file.") from None
    button = data.get("button")
    if isinstance(button, dict):
        if not (button.get("id") and button.get("title") and data.get("replying_to")):
            raise ValueError("A button tap needs the button's id and title and the message it belongs to.")
        return phone.button_reply(button_id=str(button["id"]), title=str(button["title"]),
                                  replying_to=str(data["replying_to"]))
    text = str(data.get("text") or "").strip()
    if not text:
        raise ValueError("Type a message first.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"WhatsApp messages are at most {MAX_TEXT} characters.")
    return phone.text(text)


@require_POST
@sandbox_only
@staff_member_required
def clock(request, user_id):
    """Move this person's chat past the 24-hour window: 25 hours pass in it (nothing else)."""
    user = feeds.person(request.user, user_id)
    conversation = feeds.conversation_of(user) if user else None
    if conversation is None:
        return _not_speakable() if user is None else JsonResponse(
            {"error": "Nothing to move yet: send a message first."}, status=400)
    services.chat_clock_advance(conversation=conversation, hours=CLOCK_HOURS)
    return JsonResponse({"moved_hours": CLOCK_HOURS})


@require_GET
@sandbox_only
@staff_member_required
def media(request, media_id):
    """A file the sandbox phone sent, for the chat view (shown inline, never run as a page).

    Only from the chats of people the viewer may chat as."""
    if not feeds.media_visible_to(request.user, media_id):
        raise Http404("No such media.")
    item = get_object_or_404(SandboxMedia, media_id=media_id)
    response = HttpResponse(bytes(item.content), content_type=item.mime_type)
    if not item.mime_type.startswith(("image/", "audio/")):
        response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response
